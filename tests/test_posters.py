"""Posters: an event's schedule and a community's coming weeks on one A4 page, with QR codes."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
import zxingcpp

from outreach.database import db
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from outreach.posters import fitting
from tests.web import login, unversioned

FAR = date(2030, 5, 1)  # a Wednesday, always ahead


# ---------------------------------------------------------------------------------------------
# Reading a poster


class _Rows(HTMLParser):
    """The text of each row of a page's tables, cell by cell (venues' addresses left out:
    `addresses` collects them)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.addresses: list[str] = []
        self._cell: list[str] | None = None
        self._address: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "span" and ("class", "address") in attrs:
            self._address = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._address is not None:
            self.addresses.append("".join(self._address))
            self._address = None

    def handle_data(self, data):
        if self._address is not None:
            self._address.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def _parsed(response) -> _Rows:
    parser = _Rows()
    parser.feed(response.get_data(as_text=True))
    return parser


def table_rows(response) -> list[list[str]]:
    """The rows of the poster's schedule (column labels first), without venues' addresses."""
    return _parsed(response).rows


def addresses(response) -> list[str]:
    """The venues' addresses under their names, in the schedule's order."""
    return _parsed(response).addresses


def qr_codes(response) -> list[str]:
    """What each QR code on the page says, decoded from the SVG drawn on the page.

    segno draws the dark modules of each row as horizontal strokes (M/m moves, h lines); they
    are painted into a bitmap, four pixels a module, that zxing-cpp decodes like a camera.
    """
    found = []
    for svg in re.findall(r"<svg[^>]*>.*?</svg>", response.get_data(as_text=True), re.S):
        width, height = map(int, re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
        path = re.search(r'<path[^>]*stroke="#000"[^>]*d="([^"]+)"', svg).group(1)
        dark = [[False] * width for _ in range(height)]
        x = y = 0.0
        for command, args in re.findall(r"([MmHh])([^MmHh]*)", path):
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
            if command == "M":
                x, y = numbers
            elif command == "m":
                x, y = x + numbers[0], y + numbers[1]
            else:
                for column in range(int(x), int(x + numbers[0])):
                    dark[int(y)][column] = True
                x += numbers[0]
        scale = 4
        pixels = b"".join(
            bytes(0 if module else 255 for module in row for _ in range(scale)) * scale
            for row in dark
        )
        image = memoryview(pixels).cast("B", (height * scale, width * scale))
        decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert len(decoded) == 1, "a QR code on the poster does not decode"
        found.append(decoded[0].text)
    return found


def text_of(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def district(make):
    """Two townships; three communities with a service station each; a township's school."""
    liulitun = make.township("六里屯街道", slug="liulitun", name_en="Liulitun Subdistrict")
    wangjing = make.township("望京街道", slug="wangjing", name_en="Wangjing Subdistrict")
    xuante = make.community(liulitun, "炫特社区", slug="xuante", name_en="Xuante Community")
    chenguang = make.community(
        liulitun, "晨光社区", slug="chenguang", name_en="Chenguang Community"
    )
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="daxiyang")
    return {
        "liulitun": liulitun,
        "wangjing": wangjing,
        "xuante": xuante,
        "chenguang": chenguang,
        "daxiyang": daxiyang,
        "xuante_hall": make.venue(
            xuante, "炫特社区服务站", name_en="Xuante Community Service Station"
        ),
        "chenguang_hall": make.venue(chenguang, "晨光社区服务站"),
        "daxiyang_hall": make.venue(daxiyang, "大西洋新城社区服务站"),
        "school": make.venue(None, "望京实验学校", township=wangjing),
    }


@pytest.fixture
def screening(make, district):
    """A three-day screening, a day in each of three communities (the demo's campaign)."""
    centre = make.organisation(
        "六里屯社区卫生服务中心", slug="centre", name_en="Liulitun Health Centre"
    )
    health = make.category("健康义诊", slug="health", name_en="Health screening")
    event = make.event(
        "医师节专家义诊进社区",
        organisation=centre,
        category=health,
        summary="专家团队连续三天走进社区",
        audience="慢性病患者和老年人优先",
    )
    for offset, hall in enumerate(("daxiyang_hall", "xuante_hall", "chenguang_hall")):
        day = FAR + timedelta(days=offset)
        make.event_session(event, district[hall], day=day, start=time(8, 30), hours=3)
    return event


def campaign(make, district, communities: int, sessions_each: int = 1, address: str = "", **fields):
    """An event with sessions in many new communities spread over the two townships (their
    venues without an address unless given: an address takes a line of each row)."""
    event = make.event("全国生态日·绿色生活进社区", **fields)
    for n in range(communities):
        township = district["liulitun"] if n % 2 else district["wangjing"]
        community = make.community(township, f"绿色{n:02d}社区")
        venue = make.venue(community, f"绿色{n:02d}社区服务站", address=address)
        for week in range(sessions_each):
            day = FAR + timedelta(days=n, weeks=week)
            make.event_session(event, venue, day=day, start=time(9, 30))
    return event


# ---------------------------------------------------------------------------------------------
# An event's poster


def test_event_poster_shows_title_organisation_and_schedule_by_township(client, screening):
    response = client.get(f"/events/{screening.id}/poster")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="zh-CN">' in page
    assert "<h1" in page and "医师节专家义诊进社区</h1>" in page
    assert "六里屯社区卫生服务中心" in page and "健康义诊" in page
    assert "专家团队连续三天走进社区" in page and "慢性病患者和老年人优先" in page
    assert table_rows(response) == [
        ["社区", "场地", "日期", "时间"],
        ["望京街道"],
        ["大西洋新城社区", "服务站", "5月1日（周三）", "08:30–11:30"],
        ["六里屯街道"],
        ["炫特社区", "服务站", "5月2日（周四）", "08:30–11:30"],
        ["晨光社区", "服务站", "5月3日（周五）", "08:30–11:30"],
    ]
    assert "共3场" in page


def test_event_poster_in_english(client, screening):
    response = client.get(f"/events/{screening.id}/poster?lang=en")
    page = text_of(response)
    assert '<html lang="en">' in page
    assert "Liulitun Health Centre" in page and "Health screening" in page
    rows = table_rows(response)
    assert rows[0] == ["Community", "Venue", "Dates", "Time"]
    assert ["Liulitun Subdistrict"] in rows
    assert ["Xuante Community", "Service Station", "Thu 2 May", "08:30–11:30"] in rows
    assert "3 sessions" in page and "Scan to see every session and register" in page


def test_the_poster_is_chinese_whatever_the_reader_prefers(client, screening):
    client.set_cookie("lang", "en")
    page = text_of(client.get(f"/events/{screening.id}/poster", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-CN">' in page and "扫码" in page


def test_a_poster_is_one_a4_page_without_resources_from_elsewhere(client, screening):
    page = text_of(client.get(f"/events/{screening.id}/poster"))
    # Its own stylesheet and scripts, from this site; no font, image or script from elsewhere.
    assert re.findall(r"<link[^>]*>", unversioned(page)) == [
        '<link rel="stylesheet" href="/static/css/poster.css">'
    ]
    assert re.findall(r"<script[^>]*>", unversioned(page)) == [
        '<script src="/static/js/site.js" defer>',
        '<script src="/static/js/poster.js" defer>',
    ]
    assert "<img" not in page and "url(" not in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    stylesheet = text_of(client.get("/static/css/poster.css"))
    assert re.search(r"@page\s*{\s*size:\s*A4", stylesheet)
    assert "url(" not in stylesheet and "@import" not in stylesheet


def test_event_qr_codes_open_the_event_page_and_the_campaign_calendar(client, screening):
    response = client.get(f"/events/{screening.id}/poster")
    assert qr_codes(response) == [
        f"http://localhost/events/{screening.id}",
        f"http://localhost/events/{screening.id}/calendar",
    ]
    page = text_of(response)
    assert "扫码查看全部场次并报名" in page and "扫码把全部场次加入手机日历" in page
    # The address is written out under each code, for those who type it in.
    assert f"localhost/events/{screening.id}/calendar</span>" in page


def test_codes_carry_the_configured_address_not_the_request_host(app, client, screening):
    app.config["BASE_URL"] = "https://events.example.cn"
    forged = {"Host": "evil.example"}
    response = client.get(f"/events/{screening.id}/poster", headers=forged)
    assert qr_codes(response) == [
        f"https://events.example.cn/events/{screening.id}",
        f"https://events.example.cn/events/{screening.id}/calendar",
    ]
    assert f"events.example.cn/events/{screening.id}</span>" in text_of(response)
    assert "evil.example" not in text_of(response)
    community = client.get("/communities/xuante/poster", headers=forged)
    assert qr_codes(community) == [
        "https://events.example.cn/communities/xuante",
        "https://events.example.cn/subscribe/community/xuante",
    ]
    assert "evil.example" not in text_of(community)


def test_english_poster_codes_open_english_pages(client, screening):
    codes = qr_codes(client.get(f"/events/{screening.id}/poster?lang=en"))
    assert codes == [
        f"http://localhost/events/{screening.id}?lang=en",
        f"http://localhost/events/{screening.id}/calendar?lang=en",
    ]


def test_the_calendar_code_opens_a_page_that_subscribes_to_the_campaign(client, screening):
    page = text_of(client.get(f"/events/{screening.id}/calendar?lang=en"))
    # With no English title, the Chinese one is marked as Chinese on the English page.
    assert 'Add “<span lang="zh-CN">医师节专家义诊进社区</span>” to your calendar' in page
    button = re.search(r'class="subscribe-button" href="([^"]+)"', page).group(1)
    assert unescape(button) == f"webcal://localhost/feeds/events/{screening.id}.ics?lang=en"
    chinese = text_of(client.get(f"/events/{screening.id}/calendar?lang=zh"))
    assert f'href="webcal://localhost/feeds/events/{screening.id}.ics"' in chinese


def test_an_event_in_one_community_subscribes_to_the_community(client, make, district):
    event = make.event("垃圾分类小课堂")
    make.event_session(event, district["xuante_hall"], day=FAR)
    make.event_session(event, district["xuante_hall"], day=FAR + timedelta(days=7))
    response = client.get(f"/events/{event.id}/poster")
    assert qr_codes(response)[1] == "http://localhost/subscribe/community/xuante"
    assert "扫码把本社区的活动加入手机日历" in text_of(response)
    explainer = text_of(client.get("/subscribe/community/xuante"))
    assert 'id="subscribe"' in explainer
    assert 'href="webcal://localhost/feeds/communities/xuante.ics"' in explainer


def test_a_school_of_the_township_makes_it_a_campaign(client, make, district):
    event = make.event("校园开放日")
    make.event_session(event, district["school"], day=FAR)
    response = client.get(f"/events/{event.id}/poster")
    assert qr_codes(response)[1] == f"http://localhost/events/{event.id}/calendar"
    assert ["望京街道", "望京实验学校", "5月1日（周三）", "09:00–11:00"] in table_rows(response)


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.CANCELLED])
def test_only_published_events_have_a_poster(client, make, district, status):
    event = make.event("草稿活动", status=status)
    make.event_session(event, district["xuante_hall"], day=FAR)
    response = client.get(f"/events/{event.id}/poster")
    assert response.status_code == 404
    assert "草稿活动" not in text_of(response)


@pytest.mark.parametrize("url", ["/events/999999/poster", "/events/abc/poster", "/events/0/poster"])
def test_unknown_events_have_no_poster(client, url):
    assert client.get(url).status_code == 404


def test_past_sessions_are_left_off(client, make, district):
    event = make.event("健康讲座")
    make.event_session(event, district["xuante_hall"], day=local_today() - timedelta(days=2))
    make.event_session(event, district["xuante_hall"], day=FAR)
    response = client.get(f"/events/{event.id}/poster")
    assert [row[2:] for row in table_rows(response)[2:]] == [["5月1日（周三）", "09:00–11:00"]]


def test_a_finished_event_says_so(client, make, district):
    event = make.event("健康讲座")
    make.event_session(event, district["xuante_hall"], day=local_today() - timedelta(days=2))
    page = text_of(client.get(f"/events/{event.id}/poster?lang=en"))
    assert "Every session of this event has taken place." in page and "<table" not in page


def test_cancelled_days_are_struck_through_whole_and_explained(client, make, district):
    event = make.event("垃圾分类小课堂")
    make.event_session(event, district["xuante_hall"], day=FAR, status=SessionStatus.CANCELLED)
    make.event_session(event, district["xuante_hall"], day=FAR + timedelta(days=7))
    response = client.get(f"/events/{event.id}/poster")
    # The cancelled day stands alone, weekday and month included, all of it struck through.
    assert table_rows(response)[2][2] == "5月1日（周三），5月8日（周三）"
    assert '<s class="cancelled">5月1日（周三）</s>，</span>' in text_of(response)
    assert "5月8日（周三）</span>" in text_of(response)
    assert "划线的日期已取消。" in text_of(response)
    english = client.get(f"/events/{event.id}/poster?lang=en")
    assert table_rows(english)[2][2] == "Wed 1 May; Wed 8 May"
    assert '<s class="cancelled">Wed 1 May</s>;</span>' in text_of(english)
    assert "Dates struck through are cancelled." in text_of(english)


def test_a_cancelled_day_inside_a_run_is_written_in_full(client, make, district):
    event = make.event("社区义诊")
    hall = district["xuante_hall"]
    for offset in (0, 1, 35):
        cancelled = SessionStatus.CANCELLED if offset == 1 else SessionStatus.SCHEDULED
        make.event_session(event, hall, day=FAR + timedelta(days=offset), status=cancelled)
    chinese = client.get(f"/events/{event.id}/poster")
    assert table_rows(chinese)[2][2] == "5月1日（周三），5月2日（周四），6月5日（周三）"
    assert '<s class="cancelled">5月2日（周四）</s>' in text_of(chinese)
    english = client.get(f"/events/{event.id}/poster?lang=en")
    assert table_rows(english)[2][2] == "Wed 1 May; Thu 2 May; Wed 5 Jun"
    assert '<s class="cancelled">Thu 2 May</s>' in text_of(english)


def test_the_heading_counts_the_sessions_that_take_place(client, make, district, screening):
    first = screening.sessions[0]
    first.status = SessionStatus.CANCELLED
    db.session.commit()
    chinese = text_of(client.get(f"/events/{screening.id}/poster"))
    assert "共2场，另有1场已取消" in chinese and "共3场" not in chinese
    english = text_of(client.get(f"/events/{screening.id}/poster?lang=en"))
    assert "2 sessions, and 1 cancelled" in english and "3 sessions" not in english


def test_community_poster_heading_leaves_out_cancelled_events(client, make, district, coming):
    called_off = make.event("取消的讲座", status=EventStatus.CANCELLED)
    make.event_session(called_off, district["xuante_hall"], day=local_today() + timedelta(days=2))
    page = text_of(client.get("/communities/xuante/poster"))
    assert "共3场，另有1场已取消" in page


def test_a_weekly_series_lists_its_days_compactly_and_counts_the_rest(client, make, district):
    event = make.event("每周健康义诊日")
    for week in range(52):
        make.event_session(event, district["xuante_hall"], day=FAR + timedelta(weeks=week))
    response = client.get(f"/events/{event.id}/poster")
    rows = table_rows(response)
    assert rows[2][:2] == ["炫特社区", "服务站"]
    assert rows[2][2] == (
        "5月1日、8日、15日、22日、29日，6月5日、12日、19日、26日，7月3日、10日、17日（周三）"
        " 还有40场"
    )
    english = table_rows(client.get(f"/events/{event.id}/poster?lang=en"))
    assert english[2][2] == (
        "Wed 1, 8, 15, 22, 29 May; 5, 12, 19, 26 Jun; 3, 10, 17 Jul and 40 more sessions"
    )


def test_days_of_different_weekdays_name_each_weekday(client, make, district):
    event = make.event("社区义诊")
    for offset in (0, 1, 35):
        make.event_session(event, district["xuante_hall"], day=FAR + timedelta(days=offset))
    response = client.get(f"/events/{event.id}/poster")
    assert table_rows(response)[2][2] == "5月1日（周三）、2日（周四），6月5日（周三）"
    english = table_rows(client.get(f"/events/{event.id}/poster?lang=en"))
    assert english[2][2] == "Wed 1, Thu 2 May; Wed 5 Jun"


def test_different_times_at_one_venue_take_a_line_each(client, make, district):
    event = make.event("垃圾分类小课堂")
    hall = district["xuante_hall"]
    make.event_session(event, hall, day=FAR, start=time(9, 30))
    make.event_session(event, hall, day=FAR, start=time(14, 30))
    make.event_session(event, hall, day=FAR + timedelta(days=7), start=time(14, 30))
    rows = table_rows(client.get(f"/events/{event.id}/poster"))
    assert rows[2:] == [
        ["炫特社区", "服务站", "5月1日（周三）", "09:30–11:30"],
        ["5月1日、8日（周三）", "14:30–16:30"],
    ]


def test_a_dozen_communities_fit_whole(client, make, district):
    event = campaign(make, district, communities=12)
    response = client.get(f"/events/{event.id}/poster")
    rows = [row for row in table_rows(response)[1:] if len(row) == 4]
    assert len(rows) == 12
    assert "在网站上" not in text_of(response)


def test_a_big_campaign_keeps_its_first_sessions_and_counts_the_rest(client, make, district):
    event = campaign(make, district, communities=40, sessions_each=3)
    response = client.get(f"/events/{event.id}/poster")
    page = text_of(response)
    rows = [row for row in table_rows(response)[1:] if len(row) == 4]
    assert 10 <= len(rows) < 40
    shown = sum(len(re.findall(r"\d+日", row[2])) for row in rows)
    left = int(re.search(r"另有(\d+)场在网站上", page).group(1))
    assert shown + left == 120 and "共120场" in page
    # The rows kept are the earliest ones; each shows all three of its weeks.
    communities = {row[0] for row in rows}
    assert communities == {f"绿色{n:02d}社区" for n in range(len(rows))}


def test_the_event_poster_costs_the_same_queries_for_many_sessions(
    client, make, district, count_queries
):
    small = f"/events/{campaign(make, district, communities=2).id}/poster"
    big = f"/events/{campaign(make, district, communities=30, sessions_each=4).id}/poster"
    with count_queries() as few:
        client.get(small)
    with count_queries() as many:
        response = client.get(big)
    assert response.status_code == 200
    assert len(many) == len(few) == 2


# ---------------------------------------------------------------------------------------------
# A community's poster


@pytest.fixture
def coming(make, district):
    """Sessions in 炫特社区 in the coming weeks, and some that do not belong on its poster."""
    today = local_today()
    talk = make.event("健康讲座")
    dance = make.event("广场舞", summary="")
    hall = district["xuante_hall"]
    make.event_session(talk, hall, day=today + timedelta(days=1), start=time(9, 30))
    make.event_session(talk, hall, day=today + timedelta(days=8), start=time(9, 30))
    make.event_session(dance, hall, day=today + timedelta(days=20), start=time(19, 0))
    make.event_session(dance, hall, day=today + timedelta(days=40), start=time(19, 0))
    make.event_session(
        make.event("别的社区"), district["chenguang_hall"], day=today + timedelta(days=2)
    )
    draft = make.event("未发布的活动", status=EventStatus.DRAFT)
    make.event_session(draft, hall, day=today + timedelta(days=3))
    make.event_session(talk, hall, day=today - timedelta(days=1))
    return {"talk": talk, "dance": dance}


def test_community_poster_lists_its_sessions_of_the_next_four_weeks(client, coming):
    response = client.get("/communities/xuante/poster")
    assert response.status_code == 200
    page = text_of(response)
    assert "炫特社区近期活动" in page and "六里屯街道" in page
    rows = table_rows(response)
    assert rows[0] == ["活动", "场地", "日期", "时间"]
    assert [row[:2] for row in rows[1:]] == [["健康讲座", "服务站"], ["广场舞", "服务站"]]
    assert "共3场" in page
    assert "别的社区" not in page and "未发布的活动" not in page


@pytest.mark.parametrize(("weeks", "events"), [("1", ["健康讲座"]), ("8", ["健康讲座", "广场舞"])])
def test_community_poster_covers_the_weeks_asked_for(client, coming, weeks, events):
    response = client.get(f"/communities/xuante/poster?weeks={weeks}")
    assert [row[0] for row in table_rows(response)[1:]] == events
    sessions = {"1": 1, "8": 4}[weeks]
    assert f"共{sessions}场" in text_of(response)


@pytest.mark.parametrize("weeks", ["0", "9", "-1", "abc", "1.5", "４", "99999999999999999999"])
def test_weeks_outside_the_limits_are_refused_clearly(client, coming, weeks):
    response = client.get(f"/communities/xuante/poster?weeks={weeks}&lang=en")
    assert response.status_code == 400
    assert "A poster covers 1 to 8 weeks." in text_of(response)
    chinese = client.get(f"/communities/xuante/poster?weeks={weeks}&lang=zh")
    assert "海报可涵盖1至8周。" in text_of(chinese)


def test_community_poster_in_english_with_its_codes(client, coming):
    response = client.get("/communities/xuante/poster?lang=en")
    page = unescape(text_of(response))
    assert "What's on in Xuante Community" in page and "Liulitun Subdistrict" in page
    assert qr_codes(response) == [
        "http://localhost/communities/xuante?lang=en",
        "http://localhost/subscribe/community/xuante?lang=en",
    ]


def test_community_poster_codes_open_the_community_page_and_its_subscribe_page(client, coming):
    codes = qr_codes(client.get("/communities/xuante/poster"))
    assert codes == [
        "http://localhost/communities/xuante",
        "http://localhost/subscribe/community/xuante",
    ]
    # Both are https(-able) pages: no code on a poster is a bare webcal:// link.
    assert not any(code.startswith("webcal:") for code in codes)


def test_a_quiet_community_says_nothing_is_planned(client, district):
    page = text_of(client.get("/communities/daxiyang/poster?lang=en"))
    assert "Nothing is planned here in these weeks yet." in page and "<table" not in page


def test_an_unknown_community_has_no_poster(client, district):
    assert client.get("/communities/nowhere/poster").status_code == 404


def test_the_community_poster_costs_the_same_queries_for_many_sessions(
    client, make, district, count_queries
):
    hall = district["xuante_hall"]
    make.event_session(make.event("一场"), hall, day=local_today() + timedelta(days=1))
    with count_queries() as few:
        client.get("/communities/xuante/poster")
    for n in range(25):
        event = make.event(f"活动{n}")
        make.event_session(event, hall, day=local_today() + timedelta(days=1 + n % 20))
    with count_queries() as many:
        response = client.get("/communities/xuante/poster")
    assert response.status_code == 200
    assert len(many) == len(few) == 2


# ---------------------------------------------------------------------------------------------
# Links to the posters


def test_event_page_links_to_its_poster_in_the_readers_language(client, screening):
    chinese = text_of(client.get(f"/events/{screening.id}"))
    assert f'href="/events/{screening.id}/poster"' in chinese and "打印海报" in chinese
    english = text_of(client.get(f"/events/{screening.id}?lang=en"))
    assert f'href="/events/{screening.id}/poster?lang=en"' in english


def test_a_cancelled_event_page_offers_no_poster(client, make, district):
    event = make.event("取消的活动", status=EventStatus.CANCELLED)
    make.event_session(event, district["xuante_hall"], day=FAR)
    assert "/poster" not in text_of(client.get(f"/events/{event.id}"))


def test_community_page_links_to_its_poster(client, district):
    page = text_of(client.get("/communities/xuante?lang=en"))
    assert 'href="/communities/xuante/poster?lang=en"' in page


def test_staff_event_pages_link_to_the_poster_of_a_published_event(client, make, screening):
    organiser = make.staff(organisation=screening.organisation, role="organiser")
    login(client, organiser)
    page = text_of(client.get(f"/staff/events/{screening.id}/sessions"))
    assert f'href="/events/{screening.id}/poster"' in page
    draft = make.event(organisation=screening.organisation, status=EventStatus.DRAFT)
    assert "/poster" not in text_of(client.get(f"/staff/events/{draft.id}/sessions"))


# ---------------------------------------------------------------------------------------------
# Addresses, the contact, and why a day was called off


def test_each_venue_row_gives_its_address(client, make, district):
    hall = district["xuante_hall"]
    hall.address = "六里屯北里12号楼底商"
    event = make.event("社区义诊")
    make.event_session(event, hall, day=FAR)
    db.session.commit()
    response = client.get(f"/events/{event.id}/poster")
    assert table_rows(response)[2][1] == "服务站"
    assert addresses(response) == ["六里屯北里12号楼底商"]
    assert '服务站<br><span class="address">六里屯北里12号楼底商</span>' in text_of(response)


def test_addresses_give_way_to_rows_when_the_page_is_full(client, make, district):
    """A one-day campaign across a dozen communities lists every booth: the addresses, which
    would cost a line each, are left out before any row is."""
    event = campaign(make, district, communities=12, address="六里屯北里12号楼底商")
    response = client.get(f"/events/{event.id}/poster")
    rows = [row for row in table_rows(response)[1:] if len(row) == 4]
    assert len(rows) == 12
    assert addresses(response) == []
    assert "在网站上" not in text_of(response)


def test_a_campaign_too_long_even_without_addresses_keeps_more_rows_without_them(
    client, make, district
):
    event = campaign(make, district, communities=40, address="六里屯北里12号楼底商")
    with_addresses = campaign(make, district, communities=40)
    rows = [r for r in table_rows(client.get(f"/events/{event.id}/poster"))[1:] if len(r) == 4]
    plain = client.get(f"/events/{with_addresses.id}/poster")
    assert len(rows) == len([r for r in table_rows(plain)[1:] if len(r) == 4]) < 40


def test_the_poster_gives_the_events_contact(client, make, district):
    event = make.event("社区义诊", contact_name="王医生", contact_phone="+861087654321")
    make.event_session(event, district["xuante_hall"], day=FAR)
    page = unescape(text_of(client.get(f"/events/{event.id}/poster")))
    assert "<strong>咨询：</strong>王医生" in page
    assert '<a href="tel:+861087654321">010 8765 4321</a>' in page


def test_a_cancelled_day_says_why_beside_it(client, make, district):
    event = make.event("垃圾分类小课堂")
    hall = district["xuante_hall"]
    make.event_session(
        event, hall, day=FAR, status=SessionStatus.CANCELLED, cancellation_reason="场地维修"
    )
    make.event_session(event, hall, day=FAR + timedelta(days=7))
    response = client.get(f"/events/{event.id}/poster")
    assert table_rows(response)[2][2] == "5月1日（周三）（场地维修），5月8日（周三）"
    assert '<s class="cancelled">5月1日（周三）</s><span class="reason">（场地维修）</span>' in (
        text_of(response)
    )
    english = client.get(f"/events/{event.id}/poster?lang=en")
    assert table_rows(english)[2][2] == "Wed 1 May (场地维修); Wed 8 May"


def test_a_long_reason_is_cut_short_on_the_poster(client, make, district):
    event = make.event("垃圾分类小课堂")
    reason = "因天气原因以及场地临时被征用，本次活动取消，敬请谅解并关注后续安排"
    make.event_session(
        event,
        district["xuante_hall"],
        day=FAR,
        status=SessionStatus.CANCELLED,
        cancellation_reason=reason,
    )
    cell = table_rows(client.get(f"/events/{event.id}/poster"))[2][2]
    assert cell.startswith("5月1日（周三）（因天气原因") and cell.endswith("…）")
    assert len(cell) < len(reason)


def test_lines_never_begin_with_a_closing_mark_nor_end_with_an_opening_one():
    """避头尾: a comma or a closing bracket goes down with the character before it, and an
    opening bracket with the one after it, on the poster and the share image alike."""
    text = "专家团队走进炫特、晨光、碧水社区，提供问诊（免费）和用药指导。"
    for width in range(3, 12):
        lines = fitting.set_lines(fitting.break_units(text), width, len)
        assert "".join(lines) == text
        assert not any(line[0] in fitting.NO_LINE_START for line in lines), (width, lines)
        assert not any(line[-1] in fitting.NO_LINE_END for line in lines), (width, lines)
