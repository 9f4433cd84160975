"""The event page reads its slots as plain rows (registrations/slot_rows.py): the same slots,
in the same order, with the same seats taken, as the ORM loads for the session, in every
state a page shows (full, taken, a cancelled session's, a finished session's, none)."""

from __future__ import annotations

from datetime import timedelta

from outreach.database import db
from outreach.events import services as event_services
from outreach.events.models import SessionStatus
from outreach.registrations import services
from outreach.registrations.slot_rows import SlotRow, slot_rows
from tests import factories as make
from tests.test_event_page_forms import _world
from tests.test_pages import page_text


def _as_loaded(slot) -> tuple:
    return tuple(getattr(slot, name) for name in SlotRow._fields)


def _events_with_every_kind_of_slot():
    clinic, strict, grouped, _names = _world()
    # A session called off with its slots, and a finished one with slots (and a registration).
    place = grouped.venue
    off = make.event_session(clinic, place, capacity=8, day=grouped.starts_at.date())
    make.slot(off, "眼科", capacity=2, label_en="Eyes", position=3)
    make.slot(off, "牙科", capacity=2, position=1)
    make.registration(off, 2, slot_id=off.slots[-1].id)
    off.status = SessionStatus.CANCELLED
    done = make.event_session(clinic, place, day=grouped.starts_at.date() + timedelta(days=5))
    make.slot(done, "内科", capacity=3)
    make.registration(done, 1, slot_id=done.slots[0].id)
    done.starts_at -= timedelta(days=9)
    done.ends_at -= timedelta(days=9)
    db.session.flush()
    return clinic, strict


def test_the_rows_are_the_slots_the_orm_loads(app):
    events = _events_with_every_kind_of_slot()
    db.session.expire_all()  # seats taken as the database's triggers counted them
    compared = 0
    for each in events:
        event = event_services.public_event(each.id)
        ids = [s.id for s in event.sessions]
        rows = slot_rows(ids)
        assert list(rows) == ids
        for event_session in event.sessions:
            found = rows[event_session.id]
            assert [tuple(row) for row in found] == [_as_loaded(s) for s in event_session.slots]
            for row, slot in zip(found, event_session.slots, strict=True):
                for language in ("zh", "en"):
                    assert row.label_and_times(language) == slot.label_and_times(language)
                    assert row.text_in("label", language) == slot.text_in("label", language)
                assert row.window() == slot.window()
            compared += len(found)
        # What the page counts from the rows is what it counted from the loaded slots.
        assert services.counted_rooms(event.sessions, rows) == services.counted_rooms(
            event.sessions
        )
    assert compared == 11
    assert any(row.seats_taken for found in rows.values() for row in found)


def test_no_sessions_no_query(app, count_queries):
    with count_queries() as statements:
        assert slot_rows([]) == {}
    assert statements == []


def test_the_event_page_reads_its_slots_in_one_query_whatever_their_number(client, count_queries):
    event = make.event("义诊日", allow_waitlist=True)
    first = make.event_session(event, capacity=30)
    make.slot(first, "内科", capacity=2)
    db.session.flush()
    with count_queries() as few:
        page = page_text(client.get(f"/events/{event.id}"))
    assert "共1个时段，报名时请选择。" in page
    for day in range(1, 6):
        more = make.event_session(
            event, first.venue, capacity=30, day=first.starts_at.date() + timedelta(days=day)
        )
        for n in range(12):
            make.slot(more, f"科室{n}", capacity=3, position=n)
    db.session.flush()
    with count_queries() as many:
        page = page_text(client.get(f"/events/{event.id}"))
    assert page.count("科室11") == 5
    assert page.count("共12个时段，报名时请选择。") == 5
    assert len(many) == len(few) <= 6  # the data version and the page's five
