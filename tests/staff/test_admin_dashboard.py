"""The staff dashboard: the fortnight of one's organisations, drafts and recent changes."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from tests.staff.support import page_text


@pytest.fixture
def board(make):
    """Organisation A (with a published campaign, a draft and a far-off session) and B."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("区生态环境局", slug="other")
    community = make.community(name="炫特社区")
    venue = make.venue(community, "炫特社区服务站")
    screening = make.event("三天义诊", organisation=centre)
    tomorrow = local_today() + timedelta(days=1)
    make.event_session(screening, venue, day=tomorrow, start=time(9, 0))
    make.event_session(
        screening, venue, day=tomorrow + timedelta(days=1), status=SessionStatus.CANCELLED
    )
    make.event_session(screening, venue, day=local_today() + timedelta(days=20))
    draft = make.event("草稿活动", organisation=centre, status=EventStatus.DRAFT)
    theirs = make.event("别家的活动", organisation=other)
    make.event_session(theirs, day=tomorrow)
    return {"centre": centre, "other": other, "screening": screening, "draft": draft}


def test_dashboard_shows_my_organisations_fortnight_drafts_and_recent_changes(
    client, make, login_as, english, board
):
    login_as(make.staff(organisation=board["centre"], role="organiser"))
    response = client.get("/staff/")
    text = page_text(response)
    assert response.status_code == 200
    upcoming = text.split('id="upcoming"')[1].split('id="drafts"')[0]
    assert upcoming.count("三天义诊") == 2  # the session 20 days away is not in the fortnight
    assert "09:00–11:00" in upcoming
    assert "炫特社区服务站" in upcoming and "炫特社区" in upcoming
    assert "Session cancelled" in upcoming and "Published" in upcoming
    drafts = text.split('id="drafts"')[1].split('id="recent"')[0]
    assert "草稿活动" in drafts and "三天义诊" not in drafts
    recent = text.split('id="recent"')[1]
    assert "草稿活动" in recent and "三天义诊" in recent
    assert "别家的活动" not in text
    event_id = board["screening"].id
    assert f'href="/staff/events/{event_id}/edit"' in text
    assert f'href="/staff/events/{event_id}/sessions"' in text
    assert f'href="/events/{event_id}"' in text
    assert f'href="/events/{board["draft"].id}"' not in text  # drafts have no public page


def test_checker_sees_the_sessions_without_editing_links(client, make, login_as, english, board):
    login_as(make.staff(organisation=board["centre"], role="checker"))
    text = page_text(client.get("/staff/"))
    assert "三天义诊" in text
    assert "/staff/events/" not in text


def test_administrator_dashboard_covers_every_organisation(client, admin, board):
    text = page_text(client.get("/staff/"))
    assert "三天义诊" in text and "别家的活动" in text


def test_signed_in_account_without_a_role_is_refused_the_dashboard(client, make, login_as):
    login_as(make.staff())
    assert client.get("/staff/").status_code == 403


def test_dashboard_query_count_does_not_grow_with_its_rows(client, make, login_as, count_queries):
    centre = make.organisation()
    login_as(make.staff(organisation=centre, role="manager"))
    make.event_session(make.event(organisation=centre))
    make.event(organisation=centre, status=EventStatus.DRAFT)
    client.get("/staff/")
    with count_queries() as few:
        assert client.get("/staff/").status_code == 200
    for number in range(6):
        event = make.event(organisation=centre)
        make.event_session(event, day=local_today() + timedelta(days=number % 10 + 1))
        make.event_session(event, make.venue(township=make.township()))
        make.event(organisation=centre, status=EventStatus.DRAFT)
    with count_queries() as many:
        assert client.get("/staff/").status_code == 200
    assert len(many) == len(few)
