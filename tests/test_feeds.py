"""Calendar feeds: what each feed holds and says, in both languages, and personal feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import update

from outreach.database import db
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.feeds.views import feed_url
from outreach.registrations.models import Registration, RegistrationStatus
from tests.factories import SHANGHAI, local
from tests.web import login, post_form

TODAY = datetime.now(SHANGHAI).date()
FAR = date(2030, 5, 1)  # always ahead of the look-back window


# ---------------------------------------------------------------------------------------------
# Helpers shared with test_feed_http.py


def lines_of(raw: bytes) -> list[bytes]:
    """The physical lines of a feed, checked: CRLF ends, at most 75 octets, valid UTF-8."""
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character
    return lines


def calendar_of(response) -> Calendar:
    """The parsed calendar of a 200 feed response, after checking the raw lines."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    lines_of(raw)
    return Calendar.from_ical(raw)


def entries(response) -> dict[str, object]:
    """The VEVENTs of a feed by UID."""
    return {str(e["UID"]): e for e in calendar_of(response).walk("VEVENT")}


def uids(response) -> set[str]:
    """The UIDs of a feed's entries."""
    return set(entries(response))


def uid_list(response) -> list[str]:
    """The UIDs of a feed's entries, in the order they appear."""
    return [str(e["UID"]) for e in calendar_of(response).walk("VEVENT")]


def set_times(model, row_id: int, **values) -> None:
    """Give a row fixed timestamps (they would otherwise be "now")."""
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def an_hour_ago(*sessions: EventSession) -> None:
    """Date a session's and its event's last change an hour back, as a calendar would have
    seen them (LAST-MODIFIED counts whole seconds, so a change must be a second later)."""
    earlier = datetime.now(UTC) - timedelta(hours=1)
    for event_session in sessions:
        set_times(EventSession, event_session.id, updated_at=earlier)
        set_times(Event, event_session.event_id, updated_at=earlier)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def place(make):
    """Two townships; two communities in one, one in the other; a venue in each community
    and one that belongs only to a township (a school)."""
    wangjing = make.township("望京街道", slug="wangjing", name_en="Wangjing Subdistrict")
    liulitun = make.township("六里屯街道", slug="liulitun")
    daxiyang = make.community(
        wangjing, "大西洋新城社区", slug="daxiyang", name_en="Daxiyangxincheng Community"
    )
    nanhu = make.community(wangjing, "南湖社区", slug="nanhu")
    xuante = make.community(liulitun, "炫特社区", slug="xuante")
    return {
        "wangjing": wangjing,
        "liulitun": liulitun,
        "daxiyang": daxiyang,
        "nanhu": nanhu,
        "xuante": xuante,
        "daxiyang_hall": make.venue(daxiyang, "大西洋新城社区服务站"),
        "nanhu_hall": make.venue(nanhu, "南湖活动室"),
        "xuante_hall": make.venue(xuante, "炫特活动室"),
        "school": make.venue(None, "望京实验学校", township=wangjing),
    }


@pytest.fixture
def golden(make):
    """A community with three sessions of one event, every field fixed."""
    township = make.township("望京街道", slug="wangjing", name_en="Wangjing Subdistrict")
    community = make.community(
        township, "大西洋新城社区", slug="daxiyang", name_en="Daxiyangxincheng Community"
    )
    venue = make.venue(
        community,
        "社区服务站",
        name_en="Community Service Station",
        address="阜通东大街6号",
        latitude=39.996,
        longitude=116.47,
    )
    organisation = make.organisation(
        "六里屯社区卫生服务中心", slug="liulitun-health", name_en="Liulitun Health Centre"
    )
    category = make.category("健康义诊", slug="health", name_en="Health check-ups")
    event = make.event(
        "中医义诊, 量血压; 免费",
        id=701,
        summary="带上医保卡\n老人优先",
        organisation=organisation,
        category=category,
    )
    timed = make.event_session(
        event, venue, id=801, uid="golden-timed@outreach.test", day=FAR, hours=2.5, capacity=20
    )
    all_day = make.event_session(
        event,
        venue,
        id=802,
        uid="golden-all-day@outreach.test",
        day=FAR + timedelta(days=1),
        start=time(0),
        ends_at=local(FAR + timedelta(days=3), time(0)),
        all_day=True,
    )
    cancelled = make.event_session(
        event,
        venue,
        id=803,
        uid="golden-cancelled@outreach.test",
        day=FAR + timedelta(days=4),
        start=time(14),
        capacity=10,
        status=SessionStatus.CANCELLED,
        cancellation_reason="医生临时出诊",
        sequence=2,
    )
    make.registration(timed, party_size=3)
    created = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    for number, event_session in enumerate((timed, all_day, cancelled)):
        changed = datetime(2030, 2, 1 + number, 8, 0, tzinfo=UTC)
        set_times(EventSession, event_session.id, created_at=created, updated_at=changed)
    set_times(Event, event.id, updated_at=datetime(2030, 2, 2, 12, 0, tzinfo=UTC))
    return {"community": community, "event": event}


GOLDEN_EN = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//outreach//community events//ZH
CALSCALE:GREGORIAN
METHOD:PUBLISH
NAME:Daxiyangxincheng Community · Community events
X-WR-CALNAME:Daxiyangxincheng Community · Community events
REFRESH-INTERVAL;VALUE=DURATION:PT1H
X-PUBLISHED-TTL:PT1H
X-WR-TIMEZONE:Asia/Shanghai
BEGIN:VTIMEZONE
TZID:Asia/Shanghai
BEGIN:STANDARD
DTSTART:20300430T000000
TZNAME:CST
TZOFFSETFROM:+0800
TZOFFSETTO:+0800
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
SUMMARY:中医义诊\\, 量血压\\; 免费
DTSTART;TZID=Asia/Shanghai:20300501T090000
DTEND;TZID=Asia/Shanghai:20300501T113000
DTSTAMP:20300202T120000Z
UID:golden-timed@outreach.test
SEQUENCE:0
CATEGORIES:Health check-ups
CREATED:20300102T030405Z
DESCRIPTION:带上医保卡\\n老人优先\\n\\n17 places left\\n\\nhttp://loca
 lhost/events/701
GEO:39.996;116.47
LAST-MODIFIED:20300202T120000Z
LOCATION:Community Service Station · Daxiyangxincheng Community · Wangji
 ng Subdistrict\\, 阜通东大街6号
ORGANIZER;CN="Liulitun Health Centre":mailto:noreply@invalid
STATUS:CONFIRMED
URL:http://localhost/events/701
END:VEVENT
BEGIN:VEVENT
SUMMARY:中医义诊\\, 量血压\\; 免费
DTSTART;VALUE=DATE:20300502
DTEND;VALUE=DATE:20300504
DTSTAMP:20300202T120000Z
UID:golden-all-day@outreach.test
SEQUENCE:0
CATEGORIES:Health check-ups
CREATED:20300102T030405Z
DESCRIPTION:带上医保卡\\n老人优先\\n\\nNo limit on places\\n\\nhttp://
 localhost/events/701
GEO:39.996;116.47
LAST-MODIFIED:20300202T120000Z
LOCATION:Community Service Station · Daxiyangxincheng Community · Wangji
 ng Subdistrict\\, 阜通东大街6号
ORGANIZER;CN="Liulitun Health Centre":mailto:noreply@invalid
STATUS:CONFIRMED
URL:http://localhost/events/701
END:VEVENT
BEGIN:VEVENT
SUMMARY:[Cancelled] 中医义诊\\, 量血压\\; 免费
DTSTART;TZID=Asia/Shanghai:20300505T140000
DTEND;TZID=Asia/Shanghai:20300505T160000
DTSTAMP:20300203T080000Z
UID:golden-cancelled@outreach.test
SEQUENCE:2
CATEGORIES:Health check-ups
CREATED:20300102T030405Z
DESCRIPTION:带上医保卡\\n老人优先\\n\\n医生临时出诊\\n\\nhttp://
 localhost/events/701
GEO:39.996;116.47
LAST-MODIFIED:20300203T080000Z
LOCATION:Community Service Station · Daxiyangxincheng Community · Wangji
 ng Subdistrict\\, 阜通东大街6号
ORGANIZER;CN="Liulitun Health Centre":mailto:noreply@invalid
STATUS:CANCELLED
URL:http://localhost/events/701
END:VEVENT
END:VCALENDAR
"""


def test_golden_community_feed_in_english(client, golden):
    response = client.get("/feeds/communities/daxiyang.ics?lang=en")
    calendar_of(response)
    body = response.get_data().decode().replace("\r\n", "\n")
    assert body == GOLDEN_EN


def test_chinese_is_the_default_language_whatever_the_client_says(client, golden):
    client.set_cookie("lang", "en")
    response = client.get("/feeds/communities/daxiyang.ics", headers={"Accept-Language": "en"})
    calendar = calendar_of(response)
    assert str(calendar["X-WR-CALNAME"]).startswith("大西洋新城社区 · ")
    assert calendar["NAME"] == calendar["X-WR-CALNAME"]
    event = entries(response)["golden-timed@outreach.test"]
    assert event["LOCATION"] == "社区服务站 · 大西洋新城社区 · 望京街道, 阜通东大街6号"
    assert event["ORGANIZER"].params["CN"] == "六里屯社区卫生服务中心"
    assert event.categories == ["健康义诊"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("lang", "category"),
    [
        ("en", "Health check-ups"),
        ("EN", "Health check-ups"),
        ("zh", "健康义诊"),
        ("fr", "健康义诊"),
        ("", "健康义诊"),
    ],
)
def test_lang_parameter_chooses_the_language_of_the_feed(client, golden, lang, category):
    response = client.get(f"/feeds/communities/daxiyang.ics?lang={lang}")
    assert entries(response)["golden-timed@outreach.test"].categories == [category]
    assert "Set-Cookie" not in response.headers


def test_feed_text_survives_parsing_exactly(client, golden):
    event = entries(client.get("/feeds/communities/daxiyang.ics?lang=en"))
    timed = event["golden-timed@outreach.test"]
    assert timed["SUMMARY"] == "中医义诊, 量血压; 免费"
    assert timed["DESCRIPTION"] == (
        "带上医保卡\n老人优先\n\n17 places left\n\nhttp://localhost/events/701"
    )
    assert timed["URL"] == "http://localhost/events/701"
    assert timed.decoded("DTSTART") == datetime(2030, 5, 1, 9, 0, tzinfo=SHANGHAI)
    assert timed["GEO"].latitude == pytest.approx(39.996)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/all.ics", {"daxiyang_hall", "nanhu_hall", "xuante_hall", "school"}),
        ("/feeds/townships/wangjing.ics", {"daxiyang_hall", "nanhu_hall", "school"}),
        ("/feeds/townships/liulitun.ics", {"xuante_hall"}),
        ("/feeds/communities/daxiyang.ics", {"daxiyang_hall"}),
        ("/feeds/communities/nanhu.ics", {"nanhu_hall"}),
        ("/feeds/all.ics?township=wangjing", {"daxiyang_hall", "nanhu_hall", "school"}),
        ("/feeds/all.ics?community=xuante", {"xuante_hall"}),
    ],
)
def test_place_feeds_hold_the_sessions_at_their_venues(client, make, place, url, expected):
    made = {name: make.event_session(venue_=place[name]).uid for name in place if "_" in name}
    made["school"] = make.event_session(venue_=place["school"]).uid
    assert uids(client.get(url)) == {made[name] for name in expected}


@pytest.fixture
def offers(make, place):
    """Sessions of two organisations in two categories, across places."""
    health = make.organisation("六里屯社区卫生服务中心", slug="health-centre")
    street = make.organisation("望京街道办事处", slug="street-office")
    checkups = make.category("健康义诊", slug="checkups")
    green = make.category("生态环保", slug="green", name_en="Environment")
    made = {}
    for organisation in (health, street):
        for category in (checkups, green):
            event = make.event(organisation=organisation, category=category)
            for hall in ("daxiyang_hall", "xuante_hall"):
                key = (organisation.slug, category.slug, hall)
                made[key] = make.event_session(event, place[hall]).uid
    return made


@pytest.mark.parametrize(
    ("url", "wanted"),
    [
        ("/feeds/organisations/health-centre.ics", {"organisation": "health-centre"}),
        ("/feeds/categories/green.ics", {"category": "green"}),
        ("/feeds/all.ics?category=green", {"category": "green"}),
        (
            "/feeds/organisations/street-office.ics?category=checkups",
            {"organisation": "street-office", "category": "checkups"},
        ),
        (
            "/feeds/categories/checkups.ics?organisation=health-centre&community=daxiyang",
            {"organisation": "health-centre", "category": "checkups", "hall": "daxiyang_hall"},
        ),
        (
            "/feeds/communities/xuante.ics?category=green&organisation=health-centre",
            {"organisation": "health-centre", "category": "green", "hall": "xuante_hall"},
        ),
        (
            "/feeds/townships/liulitun.ics?category=green&lang=en",
            {"category": "green", "hall": "xuante_hall"},
        ),
        (
            "/feeds/all.ics?township=wangjing&organisation=street-office&category=green",
            {"organisation": "street-office", "category": "green", "hall": "daxiyang_hall"},
        ),
    ],
)
def test_organiser_and_kind_feeds_and_filters_combine(client, offers, url, wanted):
    def matches(key) -> bool:
        organisation, category, hall = key
        found = {"organisation": organisation, "category": category, "hall": hall}
        return all(found[name] == value for name, value in wanted.items())

    expected = {uid for key, uid in offers.items() if matches(key)}
    assert expected
    assert uids(client.get(url)) == expected


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/feeds/all.ics", "All community events"),
        ("/feeds/communities/daxiyang.ics", "Daxiyangxincheng Community · Community events"),
        ("/feeds/townships/wangjing.ics", "Wangjing Subdistrict · Community events"),
        ("/feeds/organisations/health-centre.ics", "六里屯社区卫生服务中心 · Events"),
        ("/feeds/categories/green.ics", "Environment · Community events"),
        (
            "/feeds/communities/daxiyang.ics?category=green",
            "Daxiyangxincheng Community · Environment · Community events",
        ),
    ],
)
def test_each_feed_is_named_after_what_it_holds(client, offers, url, name):
    joiner = "&" if "?" in url else "?"
    calendar = calendar_of(client.get(f"{url}{joiner}lang=en"))
    assert calendar["X-WR-CALNAME"] == calendar["NAME"] == name


def test_an_empty_feed_is_a_valid_calendar(client, place):
    calendar = calendar_of(client.get("/feeds/communities/nanhu.ics"))
    assert calendar.walk("VEVENT") == [] and calendar["VERSION"] == "2.0"


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/communities/nowhere.ics",
        "/feeds/townships/nowhere.ics",
        "/feeds/organisations/nobody.ics",
        "/feeds/categories/nothing.ics",
        "/feeds/all.ics?category=nothing",
        "/feeds/all.ics?township=nowhere",
        "/feeds/communities/daxiyang.ics?organisation=nobody",
        "/feeds/communities/%E5%A4%A7%E8%A5%BF%E6%B4%8B.ics",
        "/feeds/communities/" + "x" * 500 + ".ics",
        "/feeds/all.ics?community=" + "'; drop table event; --",
        "/feeds/me/not-a-token.ics",
        "/feeds/me/" + "A" * 32 + ".ics",
        "/feeds/me/" + "A" * 300 + ".ics",
        "/feeds/me/%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD.ics",
    ],
)
def test_unknown_slugs_and_tokens_are_not_found_in_plain_text(client, place, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert len(response.get_data()) < 200
    assert "Set-Cookie" not in response.headers


def test_a_filter_naming_another_place_than_the_path_is_refused(client, place):
    response = client.get("/feeds/communities/daxiyang.ics?community=nanhu")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    same = client.get("/feeds/communities/daxiyang.ics?community=daxiyang")
    assert same.status_code == 200


def test_window_reaches_back_thirty_days_and_holds_everything_ahead(client, make, place):
    hall = place["daxiyang_hall"]
    old = make.event_session(venue_=hall, day=TODAY - timedelta(days=31))
    recent = make.event_session(venue_=hall, day=TODAY - timedelta(days=29))
    yesterday = make.event_session(venue_=hall, day=TODAY - timedelta(days=1))
    far = make.event_session(venue_=hall, day=TODAY + timedelta(days=3 * 365))
    draft = make.event_session(make.event(status=EventStatus.DRAFT), hall)
    found = uid_list(client.get("/feeds/communities/daxiyang.ics"))
    assert found == [recent.uid, yesterday.uid, far.uid]
    assert old.uid not in found and draft.uid not in found


def test_window_follows_the_setting(app, client, make, place):
    app.config["FEED_LOOKBACK_DAYS"] = 7
    hall = place["daxiyang_hall"]
    make.event_session(venue_=hall, day=TODAY - timedelta(days=8))
    kept = make.event_session(venue_=hall, day=TODAY - timedelta(days=6))
    assert uids(client.get("/feeds/communities/daxiyang.ics")) == {kept.uid}


def test_sessions_are_ordered_by_start_then_id(client, make, place):
    hall = place["daxiyang_hall"]
    later = make.event_session(venue_=hall, day=TODAY + timedelta(days=2))
    first = make.event_session(venue_=hall, start=time(9))
    second = make.event_session(venue_=hall, start=time(9))
    found = uid_list(client.get("/feeds/communities/daxiyang.ics"))
    assert found == [first.uid, second.uid, later.uid]


@pytest.mark.parametrize(
    ("capacity", "taken", "waitlist", "text"),
    [
        (None, 1, True, "No limit on places"),
        (5, 1, True, "4 places left"),
        (2, 1, True, "1 place left"),
        (1, 1, True, "Full, waitlist open"),
        (1, 1, False, "Full"),
        (0, 0, True, "This session does not take registrations."),
    ],
)
def test_description_tells_the_places_left(client, make, place, capacity, taken, waitlist, text):
    event = make.event(allow_waitlist=waitlist)
    event_session = make.event_session(event, place["daxiyang_hall"], capacity=capacity)
    for _ in range(taken):
        make.registration(event_session)
    entry = entries(client.get("/feeds/communities/daxiyang.ics?lang=en"))[event_session.uid]
    assert str(entry["DESCRIPTION"]).split("\n\n")[1] == text


def test_waitlisted_registrations_do_not_take_places(client, make, place):
    event_session = make.event_session(venue_=place["daxiyang_hall"], capacity=2)
    make.registration(event_session, party_size=2)
    make.registration(event_session)  # waitlisted
    entry = entries(client.get("/feeds/communities/daxiyang.ics?lang=en"))[event_session.uid]
    assert "Full, waitlist open" in entry["DESCRIPTION"]


def test_control_characters_are_stripped_and_long_text_folds(client, make, place):
    title = "环保\x07宣传 🌱 " + "很长的标题" * 30
    event = make.event(title=title, summary="第一行\n第二行, 带逗号; 分号 \\ 反斜杠")
    event_session = make.event_session(event, place["daxiyang_hall"])
    response = client.get("/feeds/communities/daxiyang.ics")
    entry = entries(response)[event_session.uid]
    assert entry["SUMMARY"] == title.replace("\x07", "")
    assert str(entry["DESCRIPTION"]).startswith("第一行\n第二行, 带逗号; 分号 \\ 反斜杠\n\n")


# ---------------------------------------------------------------------------------------------
# Changes made by staff reach the feed


@pytest.fixture
def editor(app, make):
    """A second browser, signed in as an organiser of a health centre."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="health-centre")
    browser = app.test_client()
    login(browser, make.staff(organisation=centre, role="organiser"))
    return {"client": browser, "organisation": centre}


def fetch(client, url="/feeds/communities/daxiyang.ics?lang=en"):
    response = client.get(url)
    return response, entries(response)


def test_cancelling_a_session_marks_it_and_raises_its_sequence(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"])
    before, found = fetch(client)
    assert found[event_session.uid]["STATUS"] == "CONFIRMED"
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/cancel"
    assert post_form(editor["client"], url, {"reason": "场地维修"}).status_code == 302
    after, found = fetch(client)
    entry = found[event_session.uid]
    assert entry["STATUS"] == "CANCELLED"
    assert entry["SEQUENCE"] == 1
    assert entry["SUMMARY"] == f"[Cancelled] {event.title}"
    assert "场地维修" in entry["DESCRIPTION"] and "places left" not in entry["DESCRIPTION"]
    assert after.headers["ETag"] != before.headers["ETag"]


def test_cancelling_an_event_marks_all_its_sessions(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    sessions = [
        make.event_session(event, place["daxiyang_hall"], day=TODAY + timedelta(days=n))
        for n in (1, 2)
    ]
    url = f"/staff/events/{event.id}/cancel"
    assert post_form(editor["client"], url, {"reason": "台风预警"}).status_code == 302
    _response, found = fetch(client, "/feeds/communities/daxiyang.ics")
    for event_session in sessions:
        entry = found[event_session.uid]
        assert (entry["STATUS"], entry["SEQUENCE"]) == ("CANCELLED", 1)
        assert str(entry["SUMMARY"]).endswith(event.title)
        assert "台风预警" in entry["DESCRIPTION"]


def test_a_reschedule_moves_sequence_last_modified_and_etag(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"], capacity=20)
    an_hour_ago(event_session)
    before, found = fetch(client)
    old = found[event_session.uid]
    new_day = TODAY + timedelta(days=5)
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/edit"
    data = {
        "day": new_day.isoformat(),
        "start": "14:00",
        "end": "15:30",
        "venue": str(place["daxiyang_hall"].id),
        "capacity": "20",
    }
    assert post_form(editor["client"], url, data).status_code == 302
    after, found = fetch(client)
    entry = found[event_session.uid]
    assert entry["SEQUENCE"] == old["SEQUENCE"] + 1
    assert entry.decoded("LAST-MODIFIED") > old.decoded("LAST-MODIFIED")
    assert entry.decoded("DTSTAMP") == entry.decoded("LAST-MODIFIED")
    assert entry.decoded("DTSTART") == datetime.combine(new_day, time(14), tzinfo=SHANGHAI)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]


def test_moving_a_session_to_another_community_moves_it_between_feeds(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"])
    assert event_session.uid in fetch(client)[1]
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/edit"
    data = {
        "day": (TODAY + timedelta(days=1)).isoformat(),
        "start": "09:00",
        "end": "11:00",
        "venue": str(place["nanhu_hall"].id),
        "capacity": "",
    }
    assert post_form(editor["client"], url, data).status_code == 302
    assert event_session.uid not in fetch(client)[1]
    assert event_session.uid in uids(client.get("/feeds/communities/nanhu.ics"))


def test_editing_an_event_updates_its_coming_sessions(client, make, place, editor):
    event = make.event(organisation=editor["organisation"], category=make.category())
    event_session = make.event_session(event, place["daxiyang_hall"])
    an_hour_ago(event_session)
    before, found = fetch(client)
    url = f"/staff/events/{event.id}/edit"
    form = {
        "title": "新标题",
        "summary": "新简介",
        "description": "",
        "audience": "",
        "category": str(event.category_id),
        "organisation": str(event.organisation_id),
        "status": "published",
        "max_party_size": "4",
        "allow_waitlist": "y",
    }
    response = post_form(editor["client"], url, form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    after, found_after = fetch(client)
    entry = found_after[event_session.uid]
    assert entry["SUMMARY"] == "新标题" and str(entry["DESCRIPTION"]).startswith("新简介")
    assert entry.decoded("LAST-MODIFIED") > found[event_session.uid].decoded("LAST-MODIFIED")
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_registration_changes_places_left_and_last_modified_not_sequence(client, make, place):
    event_session = make.event_session(venue_=place["daxiyang_hall"], capacity=10)
    an_hour_ago(event_session)
    before, found = fetch(client)
    make.registration(event_session, party_size=2)
    after, found_after = fetch(client)
    old, new = found[event_session.uid], found_after[event_session.uid]
    assert "10 places left" in old["DESCRIPTION"] and "8 places left" in new["DESCRIPTION"]
    assert new["SEQUENCE"] == old["SEQUENCE"] == 0
    assert new.decoded("LAST-MODIFIED") > old.decoded("LAST-MODIFIED")
    assert after.headers["ETag"] != before.headers["ETag"]


# ---------------------------------------------------------------------------------------------
# Personal feeds

PHONE = "13912345678"


def personal_url(registration: Registration, lang: str = "en") -> str:
    return f"/feeds/me/{registration.feed_token}.ics?lang={lang}"


def fresh(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


@pytest.fixture
def resident(make, place):
    """A resident with a confirmed and a waitlisted registration; a neighbour with their own."""
    halls = place["daxiyang_hall"], place["xuante_hall"]
    confirmed = make.registration(make.event_session(venue_=halls[0], capacity=10), 2, phone=PHONE)
    full = make.event_session(venue_=halls[1], capacity=1, day=TODAY + timedelta(days=2))
    neighbour = make.registration(full, phone="13700000000")
    waitlisted = make.registration(full, phone=PHONE)
    # The resident's two registrations share one feed (one calendar subscription).
    waitlisted.feed_token = confirmed.feed_token
    db.session.commit()
    other = make.registration(make.event_session(venue_=halls[0]), phone="13600000000")
    return {
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "neighbour": neighbour,
        "other": other,
    }


def test_personal_feed_holds_the_residents_active_registrations(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    assert waitlisted.status == RegistrationStatus.WAITLISTED
    for registration in (confirmed, waitlisted):
        response = client.get(personal_url(registration))
        calendar = calendar_of(response)
        assert calendar["X-WR-CALNAME"] == "My registrations"
        found = entries(response)
        assert set(found) == {confirmed.event_session.uid, waitlisted.event_session.uid}
    title = waitlisted.event_session.event.title
    assert found[waitlisted.event_session.uid]["SUMMARY"] == f"[Waitlist] {title}"
    assert "On the waitlist · 1 person" in found[waitlisted.event_session.uid]["DESCRIPTION"]
    entry = found[confirmed.event_session.uid]
    assert entry["SUMMARY"] == confirmed.event_session.event.title
    assert "Confirmed · 2 people" in entry["DESCRIPTION"]


def test_personal_feed_reminds_two_hours_before(client, resident):
    response = client.get(personal_url(resident["confirmed"]))
    for entry in entries(response).values():
        [alarm] = entry.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY"
        assert alarm.decoded("TRIGGER") == -timedelta(hours=2)
    assert b"TRIGGER:-PT2H\r\n" in response.get_data()


def test_personal_reminder_follows_the_setting(app, client, resident):
    app.config["FEED_REMINDER_MINUTES"] = 30
    response = client.get(personal_url(resident["confirmed"]))
    assert b"TRIGGER:-PT30M\r\n" in response.get_data()


def test_personal_feed_in_chinese_by_default(client, resident):
    response = client.get(personal_url(resident["waitlisted"], lang=""))
    entry = entries(response)[resident["waitlisted"].event_session.uid]
    assert str(entry["SUMMARY"]).endswith(resident["waitlisted"].event_session.event.title)
    assert "候补" in str(entry["DESCRIPTION"])  # "On the waitlist" is already translated


def test_a_cancelled_registration_drops_out_of_the_personal_feed(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    before = client.get(personal_url(waitlisted))
    response = post_form(client, f"/r/{confirmed.manage_token}/cancel")
    assert response.status_code == 302
    assert fresh(confirmed).status == RegistrationStatus.CANCELLED
    for registration in (confirmed, waitlisted):  # the cancelled one's link still works
        after = client.get(personal_url(registration))
        assert uids(after) == {waitlisted.event_session.uid}
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_resident_moved_up_from_the_waitlist_loses_the_prefix(client, resident):
    waitlisted = resident["waitlisted"]
    assert post_form(client, f"/r/{resident['neighbour'].manage_token}/cancel").status_code == 302
    assert fresh(waitlisted).status == RegistrationStatus.CONFIRMED
    entry = entries(client.get(personal_url(waitlisted)))[waitlisted.event_session.uid]
    assert entry["SUMMARY"] == waitlisted.event_session.event.title


def test_a_cancelled_session_stays_in_the_personal_feed_marked(client, resident):
    event_session = resident["confirmed"].event_session
    event_session.status = SessionStatus.CANCELLED
    event_session.touch()
    db.session.commit()
    entry = entries(client.get(personal_url(resident["confirmed"])))[event_session.uid]
    assert entry["STATUS"] == "CANCELLED"
    assert str(entry["SUMMARY"]).startswith("[Cancelled] ")


def test_neighbours_see_only_their_own_registrations(client, resident):
    neighbour = resident["neighbour"]
    assert uids(client.get(personal_url(neighbour))) == {neighbour.event_session.uid}
    other = resident["other"]
    assert uids(client.get(personal_url(other))) == {other.event_session.uid}


def test_erased_registrations_leave_the_personal_feed(client, resident):
    confirmed, neighbour = resident["confirmed"], resident["neighbour"]
    for erased in (confirmed, neighbour):
        erased.purged_at = datetime.now(UTC)
        erased.phone = f"purged-{erased.id}"
    db.session.commit()
    # The resident's feed keeps the registration that was not erased...
    assert uids(client.get(personal_url(resident["waitlisted"]))) == {
        resident["waitlisted"].event_session.uid
    }
    # ...and a feed whose only registration was erased is gone.
    assert client.get(personal_url(neighbour)).status_code == 404


def test_a_stranger_using_the_same_phone_sees_only_their_own_registration(client, make, resident):
    stranger = make.registration(make.event_session(capacity=5), phone=PHONE)
    assert uids(client.get(personal_url(stranger))) == {stranger.event_session.uid}


def test_resetting_the_link_retires_every_old_link_of_that_phone(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    old = {personal_url(confirmed), personal_url(waitlisted)}
    neighbour_url = personal_url(resident["neighbour"])
    response = post_form(client, f"/r/{waitlisted.manage_token}/feed/reset")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/r/{waitlisted.manage_token}"
    for url in old:
        assert client.get(url).status_code == 404
    new = {personal_url(fresh(confirmed)), personal_url(fresh(waitlisted))}
    assert not new & old
    for url in new:
        assert len(uids(client.get(url))) == 2
    assert client.get(neighbour_url).status_code == 200


def test_resetting_needs_the_form_token_and_a_real_manage_link(client, resident):
    confirmed = resident["confirmed"]
    token = confirmed.feed_token
    assert client.post(f"/r/{confirmed.manage_token}/feed/reset").status_code == 400
    assert client.get(f"/r/{confirmed.manage_token}/feed/reset").status_code == 405
    assert post_form(client, "/r/not-a-real-token/feed/reset").status_code == 404
    assert post_form(client, f"/r/{confirmed.feed_token}/feed/reset").status_code == 404
    assert fresh(confirmed).feed_token == token


def test_feed_url_is_absolute_and_in_the_residents_language(app, resident):
    confirmed = resident["confirmed"]
    with app.test_request_context():
        assert feed_url(confirmed) == f"http://localhost/feeds/me/{confirmed.feed_token}.ics"
        confirmed.language = "en"
        assert feed_url(confirmed).endswith(f"/feeds/me/{confirmed.feed_token}.ics?lang=en")
    db.session.rollback()
