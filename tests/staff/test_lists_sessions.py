"""The sessions of an event in keyset pages by start time: a campaign of thousands of
sessions shows a page at a time, in order, stable while sessions are added."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from tests.staff.walk import links, rows, walk, walk_back

SESSION = r'<tr id="session-(\d+)"'
DAY = date(2099, 3, 1)


@pytest.fixture
def small_pages(app):
    app.config["STAFF_PER_PAGE"] = 3


@pytest.fixture
def campaign(make):
    """An event of seven sessions; two start at the same time (the id breaks the tie)."""
    event = make.event("义诊进社区")
    venue = make.venue(None, "服务站")
    starts = [(0, 9), (0, 14), (1, 9), (1, 9), (2, 9), (3, 9), (4, 9)]
    made = [
        make.event_session(event, venue, day=DAY + timedelta(days=d), start=time(h, 0))
        for d, h in starts
    ]
    return event, sorted(made, key=lambda s: (s.starts_at, s.id))


def test_sessions_come_in_start_order_across_pages_and_back(client, admin, small_pages, campaign):
    event, sessions = campaign
    pages, urls = walk(client, f"/staff/events/{event.id}/sessions", SESSION)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [int(i) for p in pages for i in p] == [s.id for s in sessions]
    assert walk_back(client, urls[-1], SESSION) == [pages[1], pages[0]]
    # The heading counts every session, not only the page's.
    assert "7 sessions" in client.get(urls[1]).text


def test_a_session_added_between_page_loads_neither_repeats_nor_hides_rows(
    client, admin, small_pages, campaign, make
):
    event, sessions = campaign
    first = client.get(f"/staff/events/{event.id}/sessions")
    seen = rows(first, SESSION)
    venue = sessions[0].venue
    make.event_session(event, venue, day=DAY, start=time(8, 0))  # before the next page
    added = make.event_session(event, venue, day=DAY + timedelta(days=9))  # after it
    url = links(first)["next"]
    while url:
        response = client.get(url)
        seen += rows(response, SESSION)
        url = links(response).get("next")
    assert len(seen) == len(set(seen))
    assert {s.id for s in sessions} | {added.id} == {int(i) for i in seen}


def test_a_damaged_cursor_is_a_400_in_the_users_language(client, admin, campaign):
    event, _sessions = campaign
    response = client.get(f"/staff/events/{event.id}/sessions?cursor=abc")
    assert response.status_code == 400
    assert "first page" in response.text


def test_a_cursor_of_another_list_is_refused(client, admin, small_pages, campaign, make):
    event, _sessions = campaign
    for number in range(4):
        make.venue(None, f"{number}号站")
    venues = client.get("/staff/places?kind=venues")
    other = links(venues)["next"].split("cursor=", 1)[1]
    response = client.get(f"/staff/events/{event.id}/sessions?cursor={other}")
    assert response.status_code == 400


def test_only_the_events_organisation_sees_its_sessions(client, login_as, org):
    url = f"/staff/events/{org['event'].id}/sessions"
    login_as(org["stranger"])
    assert client.get(url).status_code == 403
    login_as(org["organiser"])
    assert len(rows(client.get(url), SESSION)) == 2
    assert client.get("/staff/events/999999/sessions").status_code == 404


def test_a_page_of_sessions_takes_the_same_queries_however_many_sessions(
    client, admin, small_pages, campaign, make, count_queries
):
    event, sessions = campaign
    url = f"/staff/events/{event.id}/sessions"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for number in range(12):
        make.event_session(event, make.venue(None, f"新站{number}"), day=DAY)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
