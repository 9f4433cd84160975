"""Searching a roster reveals no more than the reader may see: roles that see numbers masked
(138****8000) search by code, name or the last four digits, never by a longer run of digits;
searches are limited per staff account and recorded in the audit trail."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from tests.web import login, post_form, untimed

WANG_PHONE = "13800138000"
# Every way of typing Wang's number, whole or in part, that is longer than four digits.
LONG_DIGIT_QUERIES = [
    "13800138000",
    "138 0013 8000",
    "+86 138-0013-8000",
    "008613800138000",
    "0013 8000",
    "38000",
    "(138) 0013-8000",
    "１３８００１３８０００",  # full-width, as a Chinese input method may type them
]
MASKED_ROLES = ["checker", "organiser"]
FULL_ROLES = ["manager", "admin"]
HOW_TO_SEARCH = "Search by registration code, name or the last four digits"


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def booked(make, client):
    """A session of organisation A with Wang (138 0013 8000) and Zhao; A's staff of each
    role and an administrator. The client reads English."""
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    event_session = make.event_session(make.event(organisation=centre), capacity=20)
    wang = make.registration(event_session, 2, name="王秀英", phone=WANG_PHONE)
    zhao = make.registration(event_session, 1, name="赵大妈", phone="13911112222")
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    url = f"/staff/sessions/{event_session.id}/roster"
    return SimpleNamespace(session=event_session, wang=wang, zhao=zhao, users=users, url=url)


def unregistered(query: str) -> str:
    """The query with its last 8 made a 6: a number (or part) nobody registered with."""
    return query[::-1].replace("8", "6", 1)[::-1]


def echoing(page: str, typed: str, instead: str) -> str:
    """The page with the query it repeats (as text and in links) replaced by another."""
    return page.replace(typed, instead).replace(quote_plus(typed), quote_plus(instead))


def search(client, booked, query):
    return client.get(booked.url, query_string={"q": query})


def searches(session_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "roster_search", AuditEntry.target_id == session_id)
            .order_by(AuditEntry.id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Who may search by what


@pytest.mark.parametrize("query", LONG_DIGIT_QUERIES)
@pytest.mark.parametrize("who", MASKED_ROLES)
def test_masked_roles_cannot_confirm_a_full_number(client, booked, who, query):
    login(client, booked.users[who])
    registered = search(client, booked, query)
    assert registered.status_code == 200
    text = text_of(registered)
    assert "王秀英" not in text and "赵大妈" not in text
    assert HOW_TO_SEARCH in text
    # A number nobody registered with gets the very same answer: nothing to tell them apart.
    other = unregistered(query)
    answer = echoing(text_of(search(client, booked, other)), other, query)
    assert untimed(answer) == untimed(text)


@pytest.mark.parametrize("who", MASKED_ROLES)
def test_masked_roles_find_by_the_last_four_digits(client, booked, who):
    login(client, booked.users[who])
    for query in (" 8000 ", "８０００"):
        text = text_of(search(client, booked, query))
        assert "1 registration found" in text
        assert "王秀英" in text and "赵大妈" not in text and HOW_TO_SEARCH not in text


@pytest.mark.parametrize("who", MASKED_ROLES + FULL_ROLES)
def test_every_role_finds_by_code_and_name(client, booked, who):
    login(client, booked.users[who])
    code = booked.wang.code
    by_code = text_of(search(client, booked, f"{code[:3].lower()} {code[3:]}"))
    assert "王秀英" in by_code and "赵大妈" not in by_code
    by_name = text_of(search(client, booked, "赵大"))
    assert "赵大妈" in by_name and "王秀英" not in by_name
    assert HOW_TO_SEARCH not in by_code + by_name


@pytest.mark.parametrize("query", LONG_DIGIT_QUERIES)
@pytest.mark.parametrize("who", FULL_ROLES)
def test_managers_and_admins_search_by_full_number_or_digits(client, booked, who, query):
    login(client, booked.users[who])
    text = text_of(search(client, booked, query))
    assert "1 registration found" in text
    assert "王秀英" in text and "赵大妈" not in text and HOW_TO_SEARCH not in text


def test_the_search_box_names_what_a_masked_role_may_search_by(client, booked):
    login(client, booked.users["checker"])
    assert "Find by code, name or last four digits" in text_of(client.get(booked.url))
    login(client, booked.users["manager"])
    assert "Find by code, mobile number or name" in text_of(client.get(booked.url))


def test_the_refusal_is_said_in_chinese_to_a_chinese_reader(client, booked):
    client.set_cookie("lang", "zh")
    login(client, booked.users["checker"])
    text = text_of(search(client, booked, "13800138000"))
    assert "请按报名码、姓名或手机号后四位查找" in text
    assert HOW_TO_SEARCH not in text


# ---------------------------------------------------------------------------------------------
# No other way round: exports, the check-in desk


@pytest.mark.parametrize("page", ["roster.csv", "roster.xlsx"])
def test_exports_ignore_a_query(client, booked, page):
    login(client, booked.users["checker"])
    url = f"/staff/sessions/{booked.session.id}/{page}"
    whole = client.get(url).data
    for params in ({"q": WANG_PHONE}, {"q": "38000"}, {"sort": "phone"}, {"phone": WANG_PHONE}):
        response = client.get(url, query_string=params)
        assert response.status_code == 200
        if page.endswith(".csv"):
            assert response.data == whole
    csv_text = client.get(f"/staff/sessions/{booked.session.id}/roster.csv").data.decode()
    assert WANG_PHONE not in csv_text and "138****8000" in csv_text


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_the_desk_answers_a_typed_number_alike_whether_registered_or_not(client, booked, accept):
    login(client, booked.users["checker"])
    url = f"/staff/sessions/{booked.session.id}/check-in"
    answers = []
    for number in (WANG_PHONE, unregistered(WANG_PHONE)):
        response = post_form(client, url, {"code": number}, headers={"Accept": accept})
        page = untimed(text_of(client.get(booked.url))) if accept == "text/html" else ""
        answers.append((response.status_code, text_of(response), page))
    assert answers[0] == answers[1]
    db.session.expire_all()
    assert booked.wang.checked_in_at is None


# ---------------------------------------------------------------------------------------------
# Limited per account


def test_searches_are_limited_per_staff_account(app, client, booked):
    app.config["ROSTER_SEARCHES"] = "3 per minute"
    login(client, booked.users["checker"])
    for query in ("8000", "王", "2222"):
        assert search(client, booked, query).status_code == 200
    refused = search(client, booked, "赵")
    assert refused.status_code == 429
    assert "Too many searches" in text_of(refused)
    # The roster itself still opens; only searching waits.
    assert client.get(booked.url).status_code == 200
    # Another account has a limit of its own.
    login(client, booked.users["organiser"])
    assert search(client, booked, "8000").status_code == 200


def walk_in(client, booked, phone):
    data = {"name": "李大爷", "phone": phone, "party_size": "1", "consent": "y"}
    body = {f"walkin-{key}": value for key, value in data.items()}
    return post_form(client, f"/staff/sessions/{booked.session.id}/walk-in", body)


def test_walk_ins_refused_for_a_registered_number_count_as_searches(app, client, booked):
    """A walk-in refused as "already registered" also says whether a number is on the roster."""
    app.config["ROSTER_SEARCHES"] = "3 per minute"
    login(client, booked.users["checker"])
    assert walk_in(client, booked, "139 1000 2000").status_code == 302  # registered: not counted
    assert search(client, booked, "8000").status_code == 200
    duplicate = walk_in(client, booked, WANG_PHONE)
    assert duplicate.status_code == 422 and "already registered" in text_of(duplicate)
    assert walk_in(client, booked, WANG_PHONE).status_code == 422
    assert search(client, booked, "8000").status_code == 429
    assert walk_in(client, booked, WANG_PHONE).status_code == 429


def test_the_limit_page_is_translated(app, client, booked):
    app.config["ROSTER_SEARCHES"] = "1 per minute"
    client.set_cookie("lang", "zh")
    login(client, booked.users["organiser"])
    assert search(client, booked, "8000").status_code == 200
    refused = search(client, booked, "8000")
    assert refused.status_code == 429
    assert "查找次数过多" in text_of(refused)


def test_the_default_limit_is_sixty_a_minute(app):
    assert app.config["ROSTER_SEARCHES"] == "60 per minute"


# ---------------------------------------------------------------------------------------------
# Audited


def test_each_search_is_audited_with_who_which_session_and_what_kind(client, booked):
    login(client, booked.users["checker"])
    search(client, booked, "13800138000")
    search(client, booked, "8000")
    search(client, booked, booked.wang.code.lower())
    search(client, booked, "赵大妈")
    client.get(booked.url)  # no query: not a search
    login(client, booked.users["manager"])
    search(client, booked, "138 0013 8000")

    entries = searches(booked.session.id)
    checker, manager = booked.users["checker"], booked.users["manager"]
    assert [e.actor_id for e in entries] == [checker.id] * 4 + [manager.id]
    assert {e.target_type for e in entries} == {"event_session"}
    assert {e.organisation_id for e in entries} == {booked.session.event.organisation_id}
    kinds = [e.changes["query_kind"]["after"] for e in entries]
    assert kinds == ["phone_refused", "last_four", "code", "name", "phone"]
    queries = [e.changes["query"]["after"] for e in entries]
    assert queries[0] == "138****8000" and queries[1] == "8000"
    assert queries[2] == booked.wang.code
    assert queries[4] == "138****8000"
    assert [e.changes["found"]["after"] for e in entries] == [0, 1, 1, 1, 1]
    # The number typed is never kept whole, whoever typed it; nor a resident's name.
    stored = json.dumps([e.changes for e in entries], ensure_ascii=False)
    assert WANG_PHONE not in stored and "赵大妈" not in stored


def test_the_audit_trail_names_a_search(client, booked):
    login(client, booked.users["checker"])
    search(client, booked, "13800138000")
    login(client, booked.users["manager"])
    text = text_of(client.get("/staff/audit", query_string={"action": "roster_search"}))
    assert "Searched a roster" in text
    assert "Mobile number, longer than the last four digits: not allowed" in text
    assert "138****8000" in text and WANG_PHONE not in text
