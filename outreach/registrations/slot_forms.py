"""Forms of the slot editor."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from outreach.events.forms import ClockField
from outreach.forms import BaseForm

MAX_SLOT_CAPACITY = 10_000
# Between a slot's Chinese and English names on one line: a bar, half- or full-width (what
# a Chinese input method types).
_BAR = re.compile(r"[|｜]")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:100]


class AddSlotsForm(BaseForm):
    """Labels, one per line, each becoming a slot (or one per time window)."""

    labels = TextAreaField(
        _l("Slots, one per line"),
        validators=[DataRequired(_l("Please enter at least one slot."))],
        render_kw={
            "rows": 4,
            "placeholder": "中医科 | Traditional Chinese medicine\n骨伤与骨关节\n脑卒中\n全科",
        },
    )
    capacity = IntegerField(
        _l("Places in each slot"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(0, MAX_SLOT_CAPACITY, _l("From 0 to %(max)d.", max=MAX_SLOT_CAPACITY)),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    start = ClockField(_l("Windows from (optional)"), render_kw={"type": "time"})
    end = ClockField(_l("Windows until (optional)"), render_kw={"type": "time"})
    window_minutes = IntegerField(
        _l("Minutes per window (optional)"),
        validators=[Optional(), NumberRange(5, 720, _l("From 5 to 720 minutes."))],
        render_kw={"inputmode": "numeric"},
    )

    def _pairs(self) -> dict[str, str]:
        """{Chinese label: English label or ""} in the order typed, without blanks."""
        seen: dict[str, str] = {}
        for line in (self.labels.data or "").splitlines():
            label, _bar, english = _BAR.sub("|", line).partition("|")
            label = _one_line(label)
            if label:
                seen.setdefault(label, _one_line(english))
        return seen

    def label_list(self) -> tuple[str, ...]:
        """The distinct labels typed, in order, without blanks."""
        return tuple(self._pairs())

    def english_labels(self) -> dict[str, str]:
        """English names typed after a bar ("中医科 | Traditional Chinese medicine")."""
        return {label: english for label, english in self._pairs().items() if english}

    def validate_end(self, field) -> None:
        """Windows need both ends, or neither."""
        if (self.start.data is None) != (field.data is None):
            raise ValidationError(_l("Give both ends of the windows, or neither."))


class EditSlotForm(BaseForm):
    """Rename a slot or change its capacity."""

    label = StringField(
        _l("Slot"), validators=[DataRequired(_l("Please enter a name.")), Length(max=100)]
    )
    label_en = StringField(
        _l("Slot in English (optional)"), validators=[Length(max=100)], render_kw={"lang": "en"}
    )
    capacity = IntegerField(
        lazy_pgettext("capacity", "Places"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(0, MAX_SLOT_CAPACITY, _l("From 0 to %(max)d.", max=MAX_SLOT_CAPACITY)),
        ],
    )
