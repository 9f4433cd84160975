"""Enums that carry their own display labels, so pages, forms and exports name a value alike."""

from __future__ import annotations

import enum
from typing import Any


class LabelledEnum(enum.StrEnum):
    """A string enum whose members are declared with their label, and optionally a longer
    description for choosing one: `DRAFT = "draft", _l("Draft"), _l("Draft: only staff …")`.

    The value is what the database, URLs and the API carry; the label (a lazy translation) is
    what people read.
    """

    _label: Any
    _description: Any

    def __new__(cls, value: str, label: Any, description: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        member._description = description
        return member

    @property
    def label(self) -> Any:
        """The member's name for people, translated when it is shown."""
        return self._label

    @property
    def description(self) -> Any:
        """What choosing the member means, where a form offers it; else its label."""
        return self._description if self._description is not None else self._label

    @classmethod
    def choices(cls, members: tuple[LabelledEnum, ...] | None = None) -> list[tuple[str, Any]]:
        """(value, description) pairs for a form's choices: all members, or those given."""
        return [(member.value, member.description) for member in (members or tuple(cls))]
