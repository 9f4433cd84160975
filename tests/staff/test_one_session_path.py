"""Every change to a session goes through the one path (outreach.events.scheduling): the
editor, the series generator and the calendar importer call it, and no session row is
written that it did not see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from outreach.database import db
from outreach.events import importer, scheduling
from outreach.events.models import EventSession, SessionStatus
from tests.factories import local
from tests.staff.support import (
    TOMORROW,
    beijing,
    mondays,
    save_series,
    series_url,
    session_form,
)
from tests.staff.support import session_url as editor_url
from tests.web import post_form

PATH = ("add_sessions", "change_session", "remove_session", "leave_series", "follow_event")


@dataclass
class Path:
    """What went through the one path, and every session row a flush wrote."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)  # id() of each session the path was given
    written: list[EventSession] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        """The keyword arguments (and `sessions`) of each call of one function."""
        return [details for called, details in self.calls if called == name]

    def changes(self) -> list[dict[str, Any]]:
        """The calls of `change_session` that changed something."""
        return [details for details in self.named("change_session") if details["changed"]]

    def unseen(self) -> list[EventSession]:
        """Session rows written that the path was never handed."""
        return [s for s in self.written if id(s) not in self.seen]


@pytest.fixture
def path(monkeypatch) -> Iterator[Path]:
    """Spies on the one path's functions, and watches every flush for session rows."""
    found = Path()

    def spy(name: str, real):
        def recorded(*args, **kwargs):
            if name == "add_sessions":
                created = real(*args, **kwargs)
                found.seen.update(id(s) for s in created)
                found.calls.append((name, {**kwargs, "sessions": created, "new": args[2]}))
                return created
            if name in ("leave_series", "follow_event"):
                sessions = list(args[0])
                found.seen.update(id(s) for s in sessions)
                found.calls.append((name, {**kwargs, "sessions": sessions}))
                return real(sessions, *args[1:], **kwargs)
            found.seen.add(id(args[1]))
            result = real(*args, **kwargs)
            found.calls.append((name, {**kwargs, "sessions": [args[1]], "changed": result}))
            return result

        return recorded

    for name in PATH:
        monkeypatch.setattr(scheduling, name, spy(name, getattr(scheduling, name)))

    def watch(session, _context, _instances):
        dirty = [o for o in session.dirty if session.is_modified(o)]
        for obj in [*session.new, *dirty, *session.deleted]:
            if isinstance(obj, EventSession):
                found.written.append(obj)

    orm_event.listen(Session, "before_flush", watch)
    yield found
    orm_event.remove(Session, "before_flush", watch)


# ---------------------------------------------------------------------------------------------
# The calendar importer


def _ics(*starts: tuple[int, time], cancelled: int | None = None) -> bytes:
    """A file of one VEVENT with an occurrence (each overridden) on each day from today."""
    tz = "TZID=Asia/Shanghai"

    def stamp(days: int, at: time) -> str:
        return (TOMORROW + timedelta(days=days)).strftime("%Y%m%d") + at.strftime("T%H%M%S")

    master = [
        "BEGIN:VEVENT",
        "UID:path@example.org",
        "SUMMARY:每周太极拳",
        f"DTSTART;{tz}:{stamp(0, time(9))}",
        f"DTEND;{tz}:{stamp(0, time(10))}",
        f"RRULE:FREQ=DAILY;COUNT={len(starts)}",
        "END:VEVENT",
    ]
    overrides = []
    for days, at in starts:
        overrides += [
            "BEGIN:VEVENT",
            "UID:path@example.org",
            "SUMMARY:每周太极拳",
            f"RECURRENCE-ID;{tz}:{stamp(days, time(9))}",
            f"DTSTART;{tz}:{stamp(days, at)}",
            f"DTEND;{tz}:{stamp(days, time(at.hour + 1))}",
            *(["STATUS:CANCELLED"] if days == cancelled else []),
            "END:VEVENT",
        ]
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Path//EN"]
    return "\r\n".join([*head, *master, *overrides, "END:VCALENDAR", ""]).encode()


@pytest.fixture
def importing(make):
    """Import options: an organisation, a venue and a category; and who imports."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    options = importer.ImportOptions(centre, make.venue(), make.category(), publish=True)
    return options, make.staff(organisation=centre, role="organiser")


def test_the_importer_adds_moves_and_cancels_sessions_through_the_one_path(path, importing):
    options, actor = importing
    three_days = [(0, time(9)), (1, time(9)), (2, time(9))]
    importer.import_calendar(_ics(*three_days), options, actor)
    [added] = path.named("add_sessions")
    assert len(added["sessions"]) == 3 and added["audited"] is False
    assert all(s.uid.startswith("imported-") for s in added["sessions"])

    # Again, with the second day moved to the afternoon and the third called off.
    moved = [(0, time(9)), (1, time(14)), (2, time(9))]
    importer.import_calendar(_ics(*moved, cancelled=2), options, actor)
    changes = path.changes()
    assert [c["sessions"][0].starts_at for c in changes] == [
        local(TOMORROW + timedelta(days=1), time(14)),
        local(TOMORROW + timedelta(days=2), time(9)),
    ]
    assert changes[1]["status"] == SessionStatus.CANCELLED
    assert path.written and path.unseen() == []


def test_a_session_that_left_the_file_is_cancelled_through_the_one_path(path, importing):
    options, actor = importing
    importer.import_calendar(_ics((0, time(9)), (1, time(9))), options, actor)
    importer.import_calendar(_ics((0, time(9))), options, actor)
    [cancelled] = path.changes()
    assert cancelled["status"] == SessionStatus.CANCELLED
    assert cancelled["sessions"][0].starts_at == local(TOMORROW + timedelta(days=1), time(9))
    assert path.unseen() == []


def test_a_retitled_file_makes_the_sessions_follow_their_event(path, importing):
    options, actor = importing
    data = _ics((0, time(9)), (1, time(9)))
    importer.import_calendar(data, options, actor)
    importer.import_calendar(data.replace("每周太极拳".encode(), "太极拳".encode()), options, actor)
    [followed] = path.named("follow_event")
    assert len(followed["sessions"]) == 2 and followed.get("action") is None
    assert path.unseen() == []


# ---------------------------------------------------------------------------------------------
# The series generator


def test_regenerating_a_series_goes_through_the_one_path(client, weekly_clinic, path):
    save_series(client, weekly_clinic)
    [added] = path.named("add_sessions")
    assert len(added["sessions"]) == 4
    assert all(new.series_id is not None for new in added["new"])
    assert added["audited"] is False  # the series' one entry tells of them

    save_series(client, weekly_clinic, start_time="10:00", end_time="12:00")
    changed = path.named("change_session")
    assert len(changed) == 4
    assert all(c["audited"] is False and c["signalled"] is False for c in changed)
    assert {c["starts_at"] for c in changed} == {beijing(day, time(10)) for day in mondays(4)}
    assert path.unseen() == []


def test_removing_a_series_occurrence_goes_through_the_one_path(client, weekly_clinic, path):
    save_series(client, weekly_clinic)
    second = mondays(2)[1]
    save_series(client, weekly_clinic, exdates=second.isoformat())
    [removed] = path.named("remove_session")
    assert removed["sessions"][0].starts_at == beijing(second, time(9))
    assert db.session.get(EventSession, removed["sessions"][0].id) is None
    assert path.unseen() == []


def test_removing_the_rule_goes_through_the_one_path(client, weekly_clinic, path):
    save_series(client, weekly_clinic)
    post_form(client, series_url(weekly_clinic, "/delete"))
    assert len(path.named("remove_session")) == 4
    assert path.unseen() == []


# ---------------------------------------------------------------------------------------------
# The editor


def test_rescheduling_through_the_editor_goes_through_the_one_path(
    client, org, place, login_as, path
):
    login_as(org["organiser"])
    data = session_form(place["chenguang"], TOMORROW + timedelta(days=2), "14:00", "16:00")
    response = post_form(client, editor_url(org, "edit"), {**data, "capacity": "20"})
    assert response.status_code == 302
    [changed] = path.named("change_session")
    assert changed["sessions"][0].id == org["session"].id
    assert changed["venue"].id == place["chenguang"].id
    assert changed.get("audited", True) and changed.get("signalled", True)
    assert path.unseen() == []


def test_cancelling_and_restoring_through_the_editor_go_through_the_one_path(
    client, org, login_as, path
):
    login_as(org["organiser"])
    post_form(client, editor_url(org, "cancel"), {"reason": "下雨"})
    post_form(client, editor_url(org, "restore"))
    statuses = [c["status"] for c in path.named("change_session")]
    assert statuses == [SessionStatus.CANCELLED, SessionStatus.SCHEDULED]
    assert path.unseen() == []


def test_cancelling_and_cloning_an_event_go_through_the_one_path(client, org, login_as, path):
    login_as(org["organiser"])
    event_url = f"/staff/events/{org['event'].id}"
    post_form(client, f"{event_url}/cancel", {"reason": "取消"})
    [followed] = path.named("follow_event")
    assert followed["action"] == "cancel" and len(followed["sessions"]) == 2
    first_day = (TOMORROW + timedelta(days=30)).isoformat()
    post_form(client, f"{event_url}/clone", {"first_day": first_day, "title": ""})
    [added] = path.named("add_sessions")
    assert len(added["sessions"]) == 2 and added["audited"] is False
    assert path.unseen() == []


def test_the_watch_catches_a_session_written_past_the_path(path, make):
    stray = make.event_session()  # the factory builds the row itself
    assert path.unseen() == [stray]
