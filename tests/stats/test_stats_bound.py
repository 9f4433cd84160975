"""A choice holding too many sessions is refused with a message, not left to time out."""

from __future__ import annotations

from datetime import timedelta

from outreach.localtime import local_today
from tests.stats.support import text_of
from tests.web import login


def test_too_many_sessions_are_refused_with_a_message(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MAX_SESSIONS", 2)
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    other = make.organisation()
    tomorrow = local_today() + timedelta(days=1)
    for day in (0, 1, 2):
        make.event_session(make.event(organisation=centre), day=tomorrow + timedelta(days=day))
    make.event_session(make.event(organisation=other), day=tomorrow)
    login(client, manager)

    wide = client.get("/staff/stats")
    assert wide.status_code == 400
    assert "more than 2 sessions" in text_of(wide)
    assert client.get("/staff/stats/events.csv").status_code == 400

    # Two of the manager's sessions (the other organisation's are not counted): answered.
    span = f"from={tomorrow}&to={tomorrow + timedelta(days=1)}"
    narrow = client.get(f"/staff/stats?{span}")
    assert narrow.status_code == 200
    assert "more than 2 sessions" not in text_of(narrow)
    csv = client.get(f"/staff/stats/events.csv?{span}")
    assert csv.status_code == 200
    assert csv.data.decode().count("\n") == 4  # heading, two events, total


def test_the_message_is_in_chinese_for_chinese_readers(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MAX_SESSIONS", 0)
    make.event_session()
    client.set_cookie("lang", "zh")
    login(client, make.staff(is_admin=True))
    page = client.get("/staff/stats")
    assert page.status_code == 400
    assert "请缩短时间段" in text_of(page)


def test_drafts_are_not_counted_against_the_limit(app, client, make, monkeypatch):
    """The limit counts the sessions a page adds up: a draft's are left out of the figures,
    and of the count too."""
    monkeypatch.setitem(app.config, "STATS_MAX_SESSIONS", 1)
    tomorrow = local_today() + timedelta(days=1)
    make.event_session(make.event(), day=tomorrow)
    make.event_session(make.event(status="draft"), day=tomorrow)
    login(client, make.staff(is_admin=True))
    page = client.get(f"/staff/stats?from={tomorrow}&to={tomorrow}")
    assert page.status_code == 200
    assert "<dt>Sessions</dt><dd>1</dd>" in text_of(page)
    make.event_session(make.event(), day=tomorrow)
    assert client.get(f"/staff/stats?from={tomorrow}&to={tomorrow}").status_code == 400
