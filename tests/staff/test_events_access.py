"""Staff event pages: who may open them, and the list of events."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Event, EventStatus, SessionStatus
from tests.staff.support import count, event_form, fresh, text_of
from tests.web import post_form

# ---------------------------------------------------------------------------------------------
# Who may see what


def every_url(org) -> list[tuple[str, str]]:
    """Every page and action of the editor for the fixture's event and session."""
    event, event_session = org["event"].id, org["session"].id
    base = f"/staff/events/{event}"
    session = f"{base}/sessions/{event_session}"
    return [
        ("GET", f"{base}/edit"),
        ("POST", f"{base}/edit"),
        ("GET", f"{base}/sessions"),
        ("POST", f"{base}/sessions"),
        ("POST", f"{base}/sessions/campaign"),
        ("GET", f"{session}/edit"),
        ("POST", f"{session}/edit"),
        ("GET", f"{session}/cancel"),
        ("POST", f"{session}/cancel"),
        ("POST", f"{session}/restore"),
        ("GET", f"{base}/cancel"),
        ("POST", f"{base}/cancel"),
        ("POST", f"{base}/restore"),
        ("GET", f"{base}/delete"),
        ("POST", f"{base}/delete"),
        ("GET", f"{base}/clone"),
        ("POST", f"{base}/clone"),
    ]


def request(client, method: str, url: str, data: dict | None = None):
    if method == "GET":
        return client.get(url)
    return post_form(client, url, data or {"reason": "x", "first_day": "2099-01-01"})


@pytest.mark.parametrize("who", ["stranger", "checker"])
def test_staff_without_rights_in_the_organisation_get_403_on_every_url(client, org, login_as, who):
    login_as(org[who])
    for method, url in every_url(org):
        assert request(client, method, url).status_code == 403, (method, url)
    event = fresh(org["event"])
    assert event.status == EventStatus.PUBLISHED
    assert fresh(org["session"]).status == SessionStatus.SCHEDULED
    assert count(Event) == 1


def test_checker_cannot_list_or_create_events(client, org, login_as):
    login_as(org["checker"])
    assert client.get("/staff/events").status_code == 403
    assert client.get("/staff/events/new").status_code == 403
    assert post_form(client, "/staff/events/new", event_form(org)).status_code == 403
    assert count(Event) == 1


def test_staff_of_another_organisation_cannot_create_events_for_mine(english, org, login_as):
    login_as(org["stranger"])
    response = post_form(english, "/staff/events/new", event_form(org))
    assert response.status_code == 200
    assert "Please choose one of your organisations." in text_of(response)
    assert count(Event) == 1


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, org):
    for method, url in [("GET", "/staff/events"), ("GET", "/staff/events/new"), *every_url(org)]:
        response = client.get(url) if method == "GET" else client.post(url)
        if method == "POST":
            # CSRF is checked first: without a token a POST is refused before anything else.
            assert response.status_code in (302, 400), url
            continue
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/staff/login?next=")
        assert url.replace("/", "%2F") in response.headers["Location"]


def test_anonymous_post_with_a_token_is_sent_to_sign_in(client, org):
    response = post_form(client, f"/staff/events/{org['event'].id}/cancel", {"reason": "x"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    assert fresh(org["event"]).status == EventStatus.PUBLISHED


@pytest.mark.parametrize("who", ["organiser", "manager", "admin"])
def test_editors_of_the_organisation_open_every_page(client, org, login_as, who):
    login_as(org[who])
    for method, url in every_url(org):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    assert client.get("/staff/events").status_code == 200
    assert client.get("/staff/events/new").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/staff/events/999999/edit",
        "/staff/events/999999/sessions",
        "/staff/events/999999/clone",
        "/staff/events/abc/edit",
        "/staff/events/99999999999999999999/edit",
        "/staff/events/{event}/sessions/999999/edit",
        "/staff/events/{event}/sessions/{foreign}/edit",
        "/staff/events/{event}/sessions/{foreign}/cancel",
        "/staff/events/{event}/sessions/x/edit",
    ],
)
def test_unknown_ids_and_sessions_of_other_events_are_not_found(client, org, make, login_as, url):
    foreign = make.event_session(make.event(organisation=org["centre"]))
    login_as(org["admin"])
    url = url.format(event=org["event"].id, foreign=foreign.id)
    assert client.get(url).status_code == 404


def test_restoring_a_session_of_another_event_is_not_found(client, org, make, login_as):
    foreign = make.event_session(
        make.event(organisation=org["centre"]), status=SessionStatus.CANCELLED
    )
    login_as(org["organiser"])
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions/{foreign.id}/restore")
    assert response.status_code == 404
    assert fresh(foreign).status == SessionStatus.CANCELLED


# ---------------------------------------------------------------------------------------------
# The list


def test_list_shows_my_organisations_events_newest_first_with_counts(english, org, make, login_as):
    newer = make.event("生态日", organisation=org["centre"], status=EventStatus.DRAFT)
    make.event("别人的活动", organisation=org["other"])
    login_as(org["organiser"])
    text = text_of(english.get("/staff/events"))
    assert text.index("生态日") < text.index("专家义诊")
    assert "别人的活动" not in text
    assert "Draft" in text and "Published" in text
    assert f'href="/staff/events/{newer.id}/sessions"' in text
    assert f'href="/staff/events/{newer.id}/clone"' in text
    row = text[text.index(f'id="event-{org["event"].id}"') :]
    assert "<td>2</td>" in row[: row.index("</tr>")]


def test_a_page_past_the_end_offers_the_first_page(app, english, org, make, login_as):
    login_as(org["organiser"])
    for page in ("99", "abc", "-3"):  # numbered links of old still open the first page
        assert english.get(f"/staff/events?page={page}").status_code == 200
    app.config["STAFF_PER_PAGE"] = 1
    earlier = make.event("较早的活动", organisation=org["centre"])
    earlier.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    db.session.commit()
    following = re.search(r'rel="next" href="([^"]+)"', text_of(english.get("/staff/events")))
    later = html.unescape(following.group(1))
    db.session.delete(db.session.scalar(select(Event).where(Event.title == "较早的活动")))
    db.session.commit()
    assert "Back to the first page" in text_of(english.get(later))


def test_admin_sees_every_organisations_events(client, org, make, login_as):
    make.event("别人的活动", organisation=org["other"])
    login_as(org["admin"])
    text = text_of(client.get("/staff/events"))
    assert "别人的活动" in text and "专家义诊" in text


def test_list_query_count_does_not_grow_with_events(client, org, make, login_as, count_queries):
    login_as(org["organiser"])
    client.get("/staff/events")
    with count_queries() as few:
        client.get("/staff/events")
    for _ in range(6):
        make.event_session(make.event(organisation=org["centre"]))
    with count_queries() as many:
        client.get("/staff/events")
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------
# Links to the campaign's statistics


@pytest.mark.parametrize(
    ("who", "shown"), [("manager", True), ("admin", True), ("organiser", False)]
)
@pytest.mark.parametrize("page", ["edit", "sessions", "list"])
def test_event_pages_link_to_the_statistics_for_those_allowed(
    client, org, login_as, who, shown, page
):
    login_as(org[who])
    event_id = org["event"].id
    url = "/staff/events" if page == "list" else f"/staff/events/{event_id}/{page}"
    response = client.get(url)
    assert response.status_code == 200
    assert (f'href="/staff/stats/events/{event_id}"' in text_of(response)) is shown
    if shown:
        assert client.get(f"/staff/stats/events/{event_id}").status_code == 200
