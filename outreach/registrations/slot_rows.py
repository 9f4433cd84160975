"""The event page's slots as plain read-only rows, loaded in one query without the ORM.

A clinic day's page lists dozens of slots and only reads them: an identity-mapped `Slot` for
each (its instance state, its attribute events) cost about 1.2 ms of the page's cold render
at demo scale (72 slots), these rows under half of that. Code that changes slots, or reads
them beside the session they belong to elsewhere, keeps the ORM's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, bindparam, select

from outreach.database import db
from outreach.registrations.models import Slot, SlotWording


class SlotRow(
    NamedTuple(
        "SlotRow",
        [
            ("id", int),
            ("session_id", int),
            ("label", str),
            ("label_en", str | None),
            ("starts_at", datetime | None),
            ("ends_at", datetime | None),
            ("capacity", int),
            ("position", int),
            ("seats_taken", int),
        ],
    ),
    SlotWording,
):
    """What a page reads of a slot: as `Slot` has it, with its wording (`label_and_times`,
    `window`, `text`). A tuple: made from a result row without a call per field."""

    __slots__ = ()


# The columns, in SlotRow's order.
_COLUMNS = tuple(getattr(Slot.__table__.c, name) for name in SlotRow._fields)


@functools.cache
def _slots_of_sessions() -> Select:
    """The slots of some sessions (`ids`), in each session's order (`EventSession.slots`'):
    built once."""
    table = Slot.__table__
    return (
        select(*_COLUMNS)
        .where(table.c.session_id.in_(bindparam("ids", expanding=True)))
        .order_by(table.c.position, table.c.id)
    )


def slot_rows(session_ids: Iterable[int]) -> dict[int, tuple[SlotRow, ...]]:
    """Each session's slots as rows, by session id (an empty tuple for none): one query,
    none for no sessions."""
    found: dict[int, list[SlotRow]] = {session_id: [] for session_id in session_ids}
    if found:
        for row in db.session.execute(_slots_of_sessions(), {"ids": list(found)}):
            found[row[1]].append(SlotRow._make(row))
    return {session_id: tuple(rows) for session_id, rows in found.items()}
