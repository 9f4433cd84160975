"""The staff roster page is bounded: keyset pages of the roster and of a search, with the
session's figures counted by the database; the desk's offline list still holds everyone."""

from __future__ import annotations

import re

from outreach.database import db
from tests import test_roster
from tests.test_roster import text_of
from tests.web import login

booked_session = test_roster.booked_session  # the roster tests' fixture

CODES = re.compile(r'<td class="code-cell">([^<]+)</td>')


def _codes(response) -> list[str]:
    return CODES.findall(text_of(response))


def _next(response) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', text_of(response))
    return found and found[1].replace("&amp;", "&")


def test_the_roster_comes_a_page_at_a_time_in_its_order(app, client, make, booked_session):
    app.config["STAFF_PER_PAGE"] = 4
    event_session = booked_session.session
    made = [make.registration(event_session, 1, name=f"居民{n}") for n in range(6)]
    db.session.commit()
    login(client, booked_session.users["manager"])
    first = client.get(booked_session.url)
    assert first.status_code == 200
    codes = _codes(first)
    url = _next(first)
    second = client.get(url)
    codes += _codes(second)
    assert len(codes) == len(set(codes)) == 7
    # Confirmed first (6 seats: the family of three, then three), then the waitlist in order.
    assert codes[:4] == [booked_session.wang.code, *[r.code for r in made[:3]]]
    assert codes[4:] == [r.code for r in made[3:]]
    assert "Waitlist, number 3" in text_of(second)
    # The figures count everyone, not the page.
    assert "On the waitlist: <strong>3</strong>" in text_of(second)
    assert 'rel="prev"' in text_of(second) and _next(second) is None


def test_a_search_is_paged_and_counts_every_match(app, client, make, booked_session):
    app.config["STAFF_PER_PAGE"] = 2
    for n in range(3):
        make.registration(booked_session.session, 1, name=f"张{n}")
    db.session.commit()
    login(client, booked_session.users["manager"])
    first = client.get(booked_session.url + "?q=张")
    assert "3 registrations found" in text_of(first) and len(_codes(first)) == 2
    second = client.get(_next(first))
    assert len(_codes(second)) == 1 and "3 registrations found" in text_of(second)


def test_a_tampered_roster_cursor_is_refused_in_the_readers_language(client, booked_session):
    login(client, booked_session.users["manager"])
    english = client.get(booked_session.url + "?cursor=WyJhIiwgWzFdXQ.forged")
    assert english.status_code == 400
    assert "out of date or damaged" in text_of(english)
    client.set_cookie("lang", "zh")
    chinese = client.get(booked_session.url + "?cursor=WyJhIiwgWzFdXQ.forged")
    assert chinese.status_code == 400 and "out of date" not in text_of(chinese)


def test_a_roster_page_costs_the_same_queries_however_long_the_roster(
    app, client, make, booked_session, count_queries
):
    app.config["STAFF_PER_PAGE"] = 5
    login(client, booked_session.users["manager"])
    client.get(booked_session.url)
    with count_queries() as few:
        client.get(booked_session.url)
    for n in range(20):
        make.registration(booked_session.session, 1, name=f"居民{n}")
    db.session.commit()
    with count_queries() as many:
        answer = client.get(booked_session.url)
    assert len(_codes(answer)) == 5
    assert len(many) == len(few)


def test_the_desks_offline_list_still_holds_the_whole_roster(app, client, make, booked_session):
    app.config["STAFF_PER_PAGE"] = 2
    made = [make.registration(booked_session.session, 1, name=f"居民{n}") for n in range(4)]
    db.session.commit()
    login(client, booked_session.users["manager"])
    body = text_of(client.get(f"/staff/sessions/{booked_session.session.id}/desk.json"))
    assert all(r.code in body for r in made)
