"""Calendar feeds: what each public feed holds and says, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from tests.factories import SHANGHAI, local
from tests.feeds.support import FAR, TODAY, calendar_of, entries, set_times, uid_list, uids


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
