"""Staff event editor: events, sessions in rows and across venues, cancel, delete, clone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_date, local_today
from outreach.messages.models import Message
from outreach.registrations import services as registration_services
from tests.factories import SHANGHAI, local
from tests.web import post_form

TOMORROW = datetime.now(SHANGHAI).date() + timedelta(days=1)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return list(db.session.scalars(statement))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def local_date_of(event_session: EventSession) -> date:
    return local_date(event_session.starts_at)


def fresh(obj):
    """The row as the database has it now (the request ran in its own unit of work)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def english(client):
    """The interface in English for this client (messages are asserted in English)."""
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def place(make):
    """Three communities in two townships, a venue in each, and a township-only venue."""
    liulitun = make.township("六里屯街道", slug="liu-li-tun")
    wangjing = make.township("望京街道", slug="wang-jing")
    xuante = make.community(liulitun, "炫特社区", slug="xuan-te")
    chenguang = make.community(liulitun, "晨光社区", slug="chen-guang")
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="da-xi-yang")
    return {
        "xuante": make.venue(xuante, "炫特社区服务站"),
        "chenguang": make.venue(chenguang, "晨光社区服务站"),
        "daxiyang": make.venue(daxiyang, "大西洋新城社区服务站"),
        "school": make.venue(None, "望京实验学校", township=wangjing),
    }


@pytest.fixture
def org(make):
    """Two organisations, a category, an event of the first with two sessions, and staff."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("望京街道办事处", slug="other")
    category = make.category("健康义诊", slug="health", name_en="Free health screening")
    event = make.event("专家义诊", organisation=centre, category=category)
    return {
        "centre": centre,
        "other": other,
        "category": category,
        "event": event,
        "session": make.event_session(event, capacity=20),
        "second": make.event_session(event, day=TOMORROW + timedelta(days=1)),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "stranger": make.staff("stranger", organisation=other, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }


def event_form(org, **changes) -> dict:
    data = {
        "title": "三天义诊",
        "summary": "脑卒中、骨伤、中医、全科",
        "description": "第一段\n\n第二段 https://example.org/",
        "category_id": str(org["category"].id),
        "organisation_id": str(org["centre"].id),
        "audience": "辖区居民",
        "status": "draft",
        "max_party_size": "4",
        "allow_waitlist": "y",
    }
    return {**data, **changes}


def rows(*entries: dict) -> dict:
    """Form data for the rows editor: one dict per row, the rest of the six left empty."""
    data = {}
    for number in range(max(6, len(entries))):
        entry = entries[number] if number < len(entries) else {}
        for key in ("day", "start", "end", "venue", "capacity"):
            data[f"rows-{number}-{key}"] = str(entry.get(key, ""))
        if entry.get("all_day"):
            data[f"rows-{number}-all_day"] = "y"
    return data


def row(venue, day: date = TOMORROW, start="09:00", end="11:30", **extra) -> dict:
    return {"day": day.isoformat(), "start": start, "end": end, "venue": venue.id, **extra}


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


def test_a_page_past_the_end_offers_the_first_page(english, org, login_as):
    login_as(org["organiser"])
    for page in ("99", "abc", "-3"):
        assert english.get(f"/staff/events?page={page}").status_code == 200
    assert "Back to the first page" in text_of(english.get("/staff/events?page=99"))


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
# The event editor


def test_creating_an_event_records_it_and_leads_to_its_sessions(client, org, login_as):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org))
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{event.id}/sessions"
    assert event.status == EventStatus.DRAFT
    assert event.organisation_id == org["centre"].id
    assert event.description == "第一段\n\n第二段 https://example.org/"
    [entry] = audit_entries()
    assert (entry.action, entry.target_type, entry.target_id) == ("create", "event", event.id)
    assert entry.actor_id == org["organiser"].id
    assert entry.organisation_id == org["centre"].id
    assert entry.changes["title"] == {"before": None, "after": "三天义诊"}


def test_registration_settings_are_saved_in_local_time(client, org, login_as):
    login_as(org["organiser"])
    data = event_form(
        org,
        max_party_size="2",
        allow_waitlist="",
        one_registration_per_event="y",
        registration_opens_at="2099-08-01T09:00",
        registration_closes_at="2099-08-14 18:00",
    )
    data.pop("allow_waitlist")
    assert post_form(client, "/staff/events/new", data).status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert event.max_party_size == 2
    assert event.allow_waitlist is False and event.one_registration_per_event is True
    assert event.registration_opens_at.isoformat() == "2099-08-01T01:00:00+00:00"
    assert event.registration_closes_at.isoformat() == "2099-08-14T10:00:00+00:00"
    text = text_of(client.get(f"/staff/events/{event.id}/edit"))
    assert 'value="2099-08-01T09:00"' in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_party_size": "0"}, "From 1 to 20."),
        ({"max_party_size": "x"}, "Not a valid integer value."),
        ({"registration_opens_at": "2099-08-01"}, "Please enter a date and a time"),
        (
            {
                "registration_opens_at": "2099-08-02T09:00",
                "registration_closes_at": "2099-08-01T09:00",
            },
            "Registration must close after it opens.",
        ),
    ],
)
def test_registration_settings_are_validated(english, org, login_as, changes, message):
    login_as(org["organiser"])
    response = post_form(english, "/staff/events/new", event_form(org, **changes))
    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalar(select(Event).where(Event.title == "三天义诊")) is None


def test_creating_a_published_event_records_publish_too(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, "/staff/events/new", event_form(org, status="published"))
    assert [entry.action for entry in audit_entries()] == ["create", "publish"]


def test_organisation_list_offers_only_my_organisations(english, org, login_as):
    login_as(org["organiser"])
    text = text_of(english.get("/staff/events/new"))
    assert "六里屯社区卫生服务中心" in text
    assert "望京街道办事处" not in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Please enter a title."),
        ({"title": "   "}, "Please enter a title."),
        ({"title": "义" * 201}, "Please keep this to at most 200 characters."),
        ({"summary": "简" * 501}, "Please keep this to at most 500 characters."),
        ({"audience": "人" * 201}, "Please keep this to at most 200 characters."),
        ({"category_id": ""}, "Please choose a category."),
        ({"category_id": "abc"}, "Please choose a category."),
        ({"category_id": "999999"}, "Please choose a category."),
        ({"organisation_id": "{other}"}, "Please choose one of your organisations."),
        ({"organisation_id": "x"}, "Please choose one of your organisations."),
        ({"status": "cancelled"}, "Please choose draft or published."),
    ],
)
def test_event_form_explains_what_is_wrong_and_keeps_the_input(
    english, org, login_as, changes, message
):
    login_as(org["organiser"])
    changes = {k: v.format(other=org["other"].id) for k, v in changes.items()}
    response = post_form(english, "/staff/events/new", event_form(org, **changes))
    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "第二段 https://example.org/" in text  # what was typed is still there
    assert count(Event) == 1
    assert audit_entries() == []


def test_event_form_messages_in_chinese(client, org, login_as):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org, title=""))
    assert "请填写活动名称。" in text_of(response)


def test_editing_records_before_and_after_and_touches_future_sessions(client, org, make, login_as):
    past = make.event_session(org["event"], day=local_today() - timedelta(days=3))
    event_session = org["session"]
    before = (event_session.sequence, event_session.updated_at)
    login_as(org["organiser"])
    data = event_form(org, title="专家义诊进社区", status="published")
    response = post_form(client, f"/staff/events/{org['event'].id}/edit", data)
    assert response.status_code == 302
    event = fresh(org["event"])
    assert event.title == "专家义诊进社区"
    [entry] = audit_entries("update")
    assert entry.changes["title"] == {"before": "专家义诊", "after": "专家义诊进社区"}
    assert "status" not in entry.changes  # it was already published
    assert audit_entries("publish") == []
    touched = fresh(event_session)
    assert touched.sequence == before[0] + 1 and touched.updated_at > before[1]
    assert fresh(past).sequence == 0


def test_saving_without_changes_records_nothing(client, org, login_as):
    login_as(org["organiser"])
    event = org["event"]
    data = event_form(
        org,
        title=event.title,
        summary=event.summary,
        description=event.description,
        audience=event.audience,
        status="published",
    )
    assert post_form(client, f"/staff/events/{event.id}/edit", data).status_code == 302
    assert audit_entries() == []
    assert fresh(org["session"]).sequence == 0


def test_publishing_a_draft_records_publish(client, org, make, login_as):
    draft = make.event("草稿", organisation=org["centre"], status=EventStatus.DRAFT)
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{draft.id}/edit", event_form(org, status="published"))
    assert fresh(draft).status == EventStatus.PUBLISHED
    [update] = audit_entries("update")
    assert update.changes["status"] == {"before": "draft", "after": "published"}
    assert [entry.target_id for entry in audit_entries("publish")] == [draft.id]


def test_published_event_cannot_go_back_to_draft(english, org, login_as):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/edit"
    response = post_form(english, url, event_form(org, status="draft"))
    assert response.status_code == 200
    assert "A published event cannot go back to draft; cancel it instead." in text_of(response)
    assert fresh(org["event"]).status == EventStatus.PUBLISHED
    assert audit_entries() == []


def test_moving_an_event_to_an_organisation_i_cannot_edit_is_refused(client, org, login_as):
    login_as(org["organiser"])
    data = event_form(org, organisation_id=str(org["other"].id), status="published")
    response = post_form(client, f"/staff/events/{org['event'].id}/edit", data)
    assert response.status_code == 200
    assert fresh(org["event"]).organisation_id == org["centre"].id


# ---------------------------------------------------------------------------------------------
# Adding sessions


def test_rows_add_one_session_each_in_beijing_time(client, org, place, login_as):
    login_as(org["organiser"])
    day2, day3 = TOMORROW + timedelta(days=1), TOMORROW + timedelta(days=2)
    data = rows(
        row(place["xuante"], capacity="30"),
        {},
        row(place["chenguang"], day2, "13:30", "16:00"),
        row(place["daxiyang"], day3, start="", end="", all_day=True, capacity="0"),
    )
    event_id = org["event"].id
    response = post_form(client, f"/staff/events/{event_id}/sessions", data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{event_id}/sessions"
    created = list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.venue_id.in_([v.id for v in place.values()]))
            .order_by(EventSession.starts_at)
        )
    )
    assert [s.venue_id for s in created] == [
        place["xuante"].id,
        place["chenguang"].id,
        place["daxiyang"].id,
    ]
    first, second, third = created
    assert first.starts_at == local(TOMORROW, time(9, 0))
    assert first.starts_at.astimezone(UTC).hour == 1  # 09:00 in Beijing is 01:00 UTC
    assert (first.ends_at, first.capacity) == (local(TOMORROW, time(11, 30)), 30)
    assert second.starts_at == local(day2, time(13, 30)) and second.capacity is None
    assert third.all_day and third.capacity == 0
    assert (third.starts_at, third.ends_at) == (
        local(day3, time(0, 0)),
        local(day3 + timedelta(days=1), time(0, 0)),
    )
    assert len({s.uid for s in created}) == 3
    entries = audit_entries("create")
    assert [entry.target_id for entry in entries] == [s.id for s in created]
    assert entries[0].changes["capacity"] == {"before": None, "after": 30}


def test_full_width_digits_and_colons_are_understood(client, org, place, login_as):
    login_as(org["organiser"])
    day = TOMORROW.isoformat().replace("-", "－")
    data = rows(
        {"day": day, "start": "０９：００", "end": "１１：００", "venue": place["xuante"].id}
    )
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 302
    assert count(EventSession) == 3


BAD_ROWS = [
    ({"day": "2026-13-01"}, "“2026-13-01” is not a date; use the form YYYY-MM-DD"),
    ({"day": "15/08/2026"}, "“15/08/2026” is not a date"),
    ({"day": "0001-01-01"}, "Please enter a date from 2000 to 2100."),
    ({"start": "11:00", "end": "09:00"}, "The end time must be after the start time."),
    ({"start": "09:00", "end": "09:00"}, "The end time must be after the start time."),
    ({"start": "25:00"}, "“25:00” is not a time; use the form HH:MM"),
    ({"end": "9h"}, "“9h” is not a time"),
    ({"start": ""}, "Please enter the start time."),
    ({"end": ""}, "Please enter the end time."),
    ({"venue": ""}, "Please choose a venue."),
    ({"venue": "abc"}, "Please choose a venue."),
    ({"venue": "999999"}, "Please choose a venue."),
    ({"capacity": "-1"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "1.5"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "abc"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "99999999999"}, "The capacity must be a whole number from 0 to 100000"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS)
def test_a_bad_row_is_named_and_nothing_is_added(english, org, place, login_as, bad, message):
    login_as(org["organiser"])
    good = row(place["xuante"])
    data = rows(good, {**row(place["chenguang"]), **bad})
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 200
    text = text_of(response)
    assert "Row 2: " + message.split("”")[0] in text.replace("&#34;", '"')
    assert message in text
    assert count(EventSession) == 2  # not even the good row was added
    assert f'value="{good["day"]}"' in text  # what was typed is kept


def test_a_partly_filled_row_is_an_error_naming_the_row(english, org, place, login_as):
    login_as(org["organiser"])
    data = rows(row(place["xuante"]), {}, {"day": TOMORROW.isoformat()})
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", data)
    text = text_of(response)
    assert "Row 3: Please choose a venue." in text
    assert "Row 3: Please enter the start time." in text
    assert "Row 2" not in text.split("Please correct these rows:")[1].split("</ul>")[0]
    assert count(EventSession) == 2


@pytest.mark.parametrize("partial", [{"capacity": "10"}, {"all_day": True}, {"end": "10:00"}])
def test_any_single_value_makes_a_row_count(english, org, login_as, partial):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", rows(partial))
    assert "Row 1: Please enter the date." in text_of(response)
    assert count(EventSession) == 2


def test_no_rows_filled_is_an_error(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", rows())
    assert response.status_code == 200
    assert "Please fill in at least one row." in text_of(response)


def test_row_error_in_chinese(client, org, place, login_as):
    login_as(org["organiser"])
    data = rows(row(place["xuante"], start="11:00", end="09:00"))
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert "第1行：结束时间须晚于开始时间。" in text_of(response)


def test_more_rows_can_be_asked_for(client, org, login_as):
    login_as(org["organiser"])
    text = text_of(client.get(f"/staff/events/{org['event'].id}/sessions?rows=12"))
    assert 'name="rows-11-day"' in text and 'name="rows-12-day"' not in text
    text = text_of(client.get(f"/staff/events/{org['event'].id}/sessions?rows=99999"))
    assert 'name="rows-59-day"' in text and 'name="rows-60-day"' not in text


def test_rows_beyond_the_limit_are_ignored(client, org, place, login_as):
    login_as(org["organiser"])
    data = rows(*[row(place["xuante"], TOMORROW + timedelta(days=n)) for n in range(61)])
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 302
    assert count(EventSession) == 2 + 60


def test_venue_list_groups_venues_by_township_and_community(english, org, place, login_as):
    login_as(org["organiser"])
    text = text_of(english.get(f"/staff/events/{org['event'].id}/sessions"))
    assert 'label="六里屯街道 › 晨光社区"' in text
    assert 'label="望京街道 › 大西洋新城社区"' in text
    assert 'label="望京街道 › no community"' in text
    assert text.index("望京街道 › 大西洋新城社区") < text.index("望京街道 › no community")


def test_campaign_adds_a_session_per_venue_and_date(client, org, place, login_as):
    login_as(org["organiser"])
    day2 = TOMORROW + timedelta(days=1)
    data = {
        "venues": [place["xuante"].id, place["school"].id],
        "dates": f"{TOMORROW.isoformat()}, {day2.isoformat()}\n{TOMORROW.isoformat()}",
        "start": "09:00",
        "end": "11:00",
        "capacity": "",
    }
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    assert post_form(client, url, data).status_code == 302
    created = db.session.scalars(
        select(EventSession).where(EventSession.id > org["second"].id)
    ).all()
    pairs = sorted((local_date_of(s), s.venue_id) for s in created)
    expected = [(d, v.id) for d in (TOMORROW, day2) for v in (place["xuante"], place["school"])]
    assert pairs == sorted(expected)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"venues": []}, "Please choose at least one venue."),
        ({"venues": ["999999"]}, "Please choose venues from the list."),
        ({"dates": ""}, "Please enter at least one date."),
        ({"dates": "2026-08-15, tomorrow"}, "“tomorrow” is not a date"),
        ({"end": "08:00"}, "The end time must be after the start time."),
        ({"capacity": "-1"}, "The capacity must be a whole number from 0 to 100000"),
    ],
)
def test_campaign_form_explains_what_is_wrong(english, org, place, login_as, changes, message):
    login_as(org["organiser"])
    data = {
        "venues": [place["xuante"].id],
        "dates": "2026-08-15",
        "start": "09:00",
        "end": "11:00",
        **changes,
    }
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    response = post_form(english, url, data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert count(EventSession) == 2


def test_campaign_refuses_too_many_sessions_at_once(english, org, place, login_as):
    login_as(org["organiser"])
    dates = "\n".join((date(2030, 1, 1) + timedelta(days=n)).isoformat() for n in range(60))
    data = {"venues": [v.id for v in place.values()], "dates": dates, "all_day": "y"}
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    response = post_form(english, url, data)
    assert "That makes 240 sessions; please add at most 200 at once." in text_of(response)
    assert count(EventSession) == 2


def test_sessions_page_query_count_does_not_grow_with_sessions(
    client, org, place, make, login_as, count_queries
):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/sessions"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for venue in place.values():
        make.event_session(org["event"], venue)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------
# Changing, cancelling and restoring one session


def session_url(org, action: str, event_session=None) -> str:
    event_session = event_session or org["session"]
    return f"/staff/events/{org['event'].id}/sessions/{event_session.id}/{action}"


def session_form(venue, day: date = TOMORROW, start="09:00", end="11:00", **extra) -> dict:
    return {"day": day.isoformat(), "start": start, "end": end, "venue": venue.id, **extra}


def test_edit_form_shows_the_session_in_local_time(client, org, login_as):
    login_as(org["organiser"])
    text = text_of(client.get(session_url(org, "edit")))
    assert f'value="{TOMORROW.isoformat()}"' in text
    assert 'value="09:00"' in text and 'value="11:00"' in text and 'value="20"' in text


def test_rescheduling_bumps_sequence_and_records_before_and_after(client, org, place, login_as):
    event_session = org["session"]
    old_start, old_updated = event_session.starts_at, event_session.updated_at
    login_as(org["organiser"])
    data = session_form(place["chenguang"], TOMORROW + timedelta(days=2), "14:00", "16:00")
    response = post_form(client, session_url(org, "edit"), {**data, "capacity": "20"})
    assert response.status_code == 302
    changed = fresh(event_session)
    assert changed.starts_at == local(TOMORROW + timedelta(days=2), time(14, 0))
    assert changed.venue_id == place["chenguang"].id
    assert changed.sequence == 1 and changed.updated_at > old_updated
    [entry] = audit_entries("reschedule")
    assert entry.target_type == "event_session" and entry.target_id == event_session.id
    assert entry.changes["starts_at"]["before"] == old_start.isoformat()
    assert entry.changes["starts_at"]["after"] == changed.starts_at.isoformat()
    assert entry.changes["venue_id"]["after"] == place["chenguang"].id
    assert "capacity" not in entry.changes


def test_changing_only_the_places_is_an_update(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    data = session_form(event_session.venue, capacity="")
    post_form(client, session_url(org, "edit"), data)
    assert fresh(event_session).capacity is None
    assert fresh(event_session).sequence == 1
    [entry] = audit_entries()
    assert entry.action == "update"
    assert entry.changes == {"capacity": {"before": 20, "after": None}}


def test_turning_a_session_all_day(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    data = session_form(event_session.venue, start="", end="", all_day="y", capacity="20")
    assert post_form(client, session_url(org, "edit"), data).status_code == 302
    changed = fresh(event_session)
    assert changed.all_day
    assert changed.starts_at == local(TOMORROW, time(0, 0))
    assert changed.ends_at == local(TOMORROW + timedelta(days=1), time(0, 0))


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS[:12])
def test_session_form_explains_what_is_wrong(english, org, place, login_as, bad, message):
    login_as(org["organiser"])
    data = {**session_form(place["xuante"]), **bad}
    response = post_form(english, session_url(org, "edit"), data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert fresh(org["session"]).sequence == 0
    assert audit_entries() == []


def test_cancelling_a_session_needs_a_reason(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, session_url(org, "cancel"), {"reason": "  "})
    assert response.status_code == 200
    assert "Please give the reason; residents will see it." in text_of(response)
    assert fresh(org["session"]).status == SessionStatus.SCHEDULED


def test_cancelled_session_is_marked_with_its_reason_in_public(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    response = post_form(client, session_url(org, "cancel"), {"reason": "专家临时有会"})
    assert response.status_code == 302
    cancelled = fresh(event_session)
    assert cancelled.status == SessionStatus.CANCELLED
    assert cancelled.cancellation_reason == "专家临时有会"
    assert cancelled.sequence == 1
    [entry] = audit_entries("cancel")
    assert entry.changes == {
        "status": {"before": "scheduled", "after": "cancelled"},
        "cancellation_reason": {"before": "", "after": "专家临时有会"},
    }
    public = text_of(client.get(f"/events/{org['event'].id}"))
    assert "已取消</strong>：专家临时有会" in public


def test_restoring_a_session_puts_it_back_on(client, org, login_as):
    event_session = org["session"]
    event_session.status = SessionStatus.CANCELLED
    event_session.cancellation_reason = "下雨"
    db.session.commit()
    login_as(org["organiser"])
    assert post_form(client, session_url(org, "restore")).status_code == 302
    restored = fresh(event_session)
    assert restored.status == SessionStatus.SCHEDULED and restored.cancellation_reason == ""
    assert restored.sequence == 1
    assert [entry.action for entry in audit_entries()] == ["restore"]


def test_cancelling_twice_is_refused_politely(english, org, login_as):
    login_as(org["organiser"])
    post_form(english, session_url(org, "cancel"), {"reason": "下雨"})
    response = post_form(english, session_url(org, "cancel"), {"reason": "又下雨"})
    assert response.status_code == 302
    assert "This session is already cancelled." in text_of(english.get(response.location))
    assert fresh(org["session"]).cancellation_reason == "下雨"
    assert fresh(org["session"]).sequence == 1


# ---------------------------------------------------------------------------------------------
# Cancelling, restoring and deleting a whole event


def test_cancelling_an_event_marks_every_session_and_touches_it(client, org, login_as):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/cancel"
    assert post_form(client, url, {"reason": "台风预警"}).status_code == 302
    event = fresh(org["event"])
    assert (event.status, event.cancellation_reason) == (EventStatus.CANCELLED, "台风预警")
    assert all(s.sequence == 1 for s in event.sessions)
    [entry] = audit_entries("cancel")
    assert entry.target_type == "event"
    assert entry.changes["status"] == {"before": "published", "after": "cancelled"}
    public = text_of(client.get(f"/events/{event.id}"))
    assert "台风预警" in public
    # The event's banner ("此活动已取消：…") and each of the two session cards.
    assert public.count("已取消</strong>：台风预警") == 3


def test_cancelling_an_event_needs_a_reason(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/cancel", {"reason": ""})
    assert "Please give the reason; residents will see it." in text_of(response)
    assert fresh(org["event"]).status == EventStatus.PUBLISHED


def test_a_cancelled_event_can_be_restored(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/cancel", {"reason": "台风"})
    assert post_form(client, f"/staff/events/{org['event'].id}/restore").status_code == 302
    event = fresh(org["event"])
    assert (event.status, event.cancellation_reason) == (EventStatus.PUBLISHED, "")
    assert all(s.sequence == 2 for s in event.sessions)
    assert [entry.action for entry in audit_entries()] == ["cancel", "restore"]


def test_editing_a_cancelled_event_keeps_it_cancelled(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/cancel", {"reason": "台风"})
    text = text_of(client.get(f"/staff/events/{org['event'].id}/edit"))
    assert 'name="status"' not in text
    data = event_form(org, title="新名字")
    del data["status"]
    assert post_form(client, f"/staff/events/{org['event'].id}/edit", data).status_code == 302
    assert fresh(org["event"]).status == EventStatus.CANCELLED


def test_a_draft_cannot_be_cancelled(english, org, make, login_as):
    draft = make.event(organisation=org["centre"], status=EventStatus.DRAFT)
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{draft.id}/cancel", {"reason": "x"})
    assert "delete it rather than cancel it" in text_of(english.get(response.location))
    assert fresh(draft).status == EventStatus.DRAFT


def test_deleting_a_draft_keeps_an_audit_entry_naming_it(client, org, make, login_as):
    draft = make.event("草稿活动", organisation=org["centre"], status=EventStatus.DRAFT)
    make.event_session(draft)
    draft_id = draft.id
    login_as(org["organiser"])
    assert client.get(f"/staff/events/{draft_id}/delete").status_code == 200
    response = post_form(client, f"/staff/events/{draft_id}/delete")
    assert response.headers["Location"] == "/staff/events"
    db.session.expire_all()
    assert db.session.get(Event, draft_id) is None
    assert count(EventSession) == 2
    [entry] = audit_entries("delete")
    assert (entry.target_id, entry.target_label) == (draft_id, "草稿活动")
    assert entry.changes["title"] == {"before": "草稿活动", "after": None}


def test_deleting_a_published_event_is_refused(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/delete")
    assert response.status_code == 302
    message = "Only drafts can be deleted; cancel a published event instead."
    assert message in text_of(english.get(response.location))
    assert fresh(org["event"]) is not None
    assert audit_entries() == []


# ---------------------------------------------------------------------------------------------
# Cloning


def test_clone_shifts_sessions_across_a_month_end_keeping_local_times(
    client, org, place, make, login_as
):
    source = make.event(
        "生态日",
        organisation=org["centre"],
        category=org["category"],
        max_party_size=2,
        registration_opens_at=local(date(2030, 1, 20), time(8, 0)),
    )
    make.event_session(
        source, place["xuante"], day=date(2030, 1, 30), start=time(9, 0), capacity=30
    )
    make.event_session(source, place["chenguang"], day=date(2030, 2, 1), start=time(14, 0))
    make.event_session(
        source,
        place["daxiyang"],
        day=date(2030, 1, 29),
        status=SessionStatus.CANCELLED,
        cancellation_reason="下雨",
    )
    old_uids = {s.uid for s in source.sessions}
    login_as(org["organiser"])
    data = {"first_day": "2030-03-30", "title": "生态日（第二轮）"}
    response = post_form(client, f"/staff/events/{source.id}/clone", data)
    copy = db.session.scalar(select(Event).where(Event.title == "生态日（第二轮）"))
    assert response.headers["Location"] == f"/staff/events/{copy.id}/sessions"
    assert copy.status == EventStatus.DRAFT
    assert (copy.organisation_id, copy.category_id) == (org["centre"].id, org["category"].id)
    assert [(s.starts_at, s.venue_id, s.capacity) for s in copy.sessions] == [
        (local(date(2030, 3, 30), time(9, 0)), place["xuante"].id, 30),
        (local(date(2030, 4, 1), time(14, 0)), place["chenguang"].id, None),
    ]
    assert copy.sessions[1].ends_at == local(date(2030, 4, 1), time(16, 0))
    assert not old_uids & {s.uid for s in copy.sessions}
    assert copy.max_party_size == 2
    # Ten days before the first session, as in the original (20 January → 30 January).
    assert copy.registration_opens_at == local(date(2030, 3, 20), time(8, 0))
    assert copy.registration_closes_at is None
    [entry] = audit_entries("clone")
    assert entry.target_id == copy.id
    assert entry.changes["cloned_from"]["after"] == source.id


def test_clone_keeps_the_title_when_none_is_given(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/clone", {"first_day": "2031-05-01"})
    copies = db.session.scalars(select(Event).where(Event.title == "专家义诊")).all()
    assert len(copies) == 2
    copy = max(copies, key=lambda event: event.id)
    assert local_date_of(copy.sessions[0]) == date(2031, 5, 1)
    assert local_date_of(copy.sessions[1]) == date(2031, 5, 2)


@pytest.mark.parametrize(
    ("first_day", "message"),
    [
        ("", "Please enter the new first date."),
        ("2031-02-30", "“2031-02-30” is not a date"),
        ("1999-12-31", "Please enter a date from 2000 to 2100."),
    ],
)
def test_clone_form_explains_a_bad_date(english, org, login_as, first_day, message):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/clone"
    response = post_form(english, url, {"first_day": first_day})
    assert response.status_code == 200
    assert message in text_of(response)
    assert count(Event) == 1


# ---------------------------------------------------------------------------------------------
# What the cancel pages say: which day, and who will be told


WEEKDAYS_ZH = "一二三四五六日"


def english_day(day: date) -> str:
    """A date as the English staff pages write it in full: Tuesday 3 June 2031."""
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def chinese_day(day: date) -> str:
    """A date as the Chinese staff pages write it in full: 2031年6月3日 星期二."""
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS_ZH[day.weekday()]}"


def session_cancelled_messages() -> int:
    """Messages queued to tell registrants that their session is off."""
    return db.session.scalar(
        select(func.count()).select_from(Message).where(Message.kind == "session_cancelled")
    )


@pytest.fixture
def booked(org, make):
    """Registrants of the fixture's first session: two confirmed (2 and 1 people), one
    waitlisted (2 people), one cancelled; and one (4 people) of its second session."""
    event_session = org["session"]
    event_session.capacity = 3
    db.session.commit()
    make.registration(event_session, 2)
    make.registration(event_session, 1)
    waiting = make.registration(event_session, 2)
    gone = make.registration(event_session, 1)
    registration_services.cancel(gone)
    db.session.commit()
    make.registration(org["second"], 4)
    assert waiting.status.value == "waitlisted"
    return org


def test_cancel_session_page_names_the_day_and_who_will_be_told(english, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(english.get(session_url(booked, "cancel")))
    assert f"{english_day(TOMORROW)}, 09:00–11:00" in text
    assert "3 active registrations (5 people) will be told by e-mail or text message." in text


def test_cancel_session_page_in_chinese(client, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(client.get(session_url(booked, "cancel")))
    assert f"{chinese_day(TOMORROW)} 09:00–11:00" in text
    assert "3个有效报名（共5人）将通过电子邮件或短信收到通知。" in text


def test_cancelling_a_session_says_how_many_registrants_are_told(english, booked, login_as):
    login_as(booked["organiser"])
    response = post_form(english, session_url(booked, "cancel"), {"reason": "专家临时有会"})
    assert response.status_code == 302
    page = text_of(english.get(response.location))
    assert "The session has been cancelled; 3 registrations (5 people) will be told." in page
    assert session_cancelled_messages() == 3  # what the page said is what was queued


def test_cancel_page_of_a_session_nobody_booked(english, org, login_as):
    login_as(org["organiser"])
    text = text_of(english.get(session_url(org, "cancel", org["second"])))
    day_after = TOMORROW + timedelta(days=1)
    assert f"{english_day(day_after)}, 09:00–11:00" in text
    assert "Nobody has registered, so nobody needs to be told." in text
    response = post_form(english, session_url(org, "cancel", org["second"]), {"reason": "下雨"})
    page = text_of(english.get(response.location))
    assert "The session has been cancelled; nobody had to be told." in page


def test_cancel_page_of_a_session_that_is_over_tells_nobody(english, org, make, login_as):
    over = make.event_session(org["event"])
    make.registration(over, 2)
    yesterday = local_today() - timedelta(days=1)
    over.starts_at, over.ends_at = local(yesterday, time(9, 0)), local(yesterday, time(11, 0))
    db.session.commit()
    login_as(org["organiser"])
    text = text_of(english.get(session_url(org, "cancel", over)))
    assert english_day(yesterday) in text
    assert "This session is over: nobody will be told." in text
    response = post_form(english, session_url(org, "cancel", over), {"reason": "补登"})
    assert "nobody had to be told" in text_of(english.get(response.location))
    assert session_cancelled_messages() == 0


def test_cancel_event_page_shows_its_dates_and_who_will_be_told(english, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(english.get(f"/staff/events/{booked['event'].id}/cancel"))
    first, last = english_day(TOMORROW), english_day(TOMORROW + timedelta(days=1))
    assert f"2 sessions, from {first} to {last}." in text
    assert "4 active registrations (9 people) will be told by e-mail or text message." in text


def test_cancel_event_page_in_chinese(client, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(client.get(f"/staff/events/{booked['event'].id}/cancel"))
    first, last = chinese_day(TOMORROW), chinese_day(TOMORROW + timedelta(days=1))
    assert f"共2场，{first}至{last}。" in text
    assert "4个有效报名（共9人）将通过电子邮件或短信收到通知。" in text


def test_cancelling_an_event_says_how_many_registrants_are_told(english, booked, login_as):
    # A session already called off is not counted again: its registrants were told then.
    login_as(booked["organiser"])
    post_form(english, session_url(booked, "cancel", booked["second"]), {"reason": "下雨"})
    told_before = session_cancelled_messages()
    text = text_of(english.get(f"/staff/events/{booked['event'].id}/cancel"))
    assert "3 active registrations (5 people) will be told" in text
    url = f"/staff/events/{booked['event'].id}/cancel"
    response = post_form(english, url, {"reason": "台风"})
    page = text_of(english.get(response.location))
    assert "The event has been cancelled; 3 registrations (5 people) will be told." in page
    assert session_cancelled_messages() - told_before == 3


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
