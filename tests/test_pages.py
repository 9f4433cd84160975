"""Public pages through the HTTP client: listings, filters, event page, drafts hidden."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.events import services as event_services
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from outreach.places import services as place_services

DAXIYANG = "大西洋新城社区服务站"


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def two_campaigns(make):
    """Two townships, three communities, two organisations, two categories, four sessions."""
    liulitun = make.township("六里屯街道", slug="liu-li-tun-jie-dao")
    wangjing = make.township("望京街道", slug="wang-jing-jie-dao")
    xuante = make.community(liulitun, "炫特社区", slug="xuan-te-she-qu")
    chenguang = make.community(liulitun, "晨光社区", slug="chen-guang-she-qu")
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="da-xi-yang-xin-cheng-she-qu")
    health = make.category("健康义诊", slug="health", name_en="Free health screening")
    ecology = make.category("生态环保", slug="ecology", name_en="Ecology")
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    commission = make.organisation("区发展改革委", slug="commission")
    screening = make.event("三天义诊", organisation=centre, category=health)
    ecology_day = make.event("全国生态日宣传", organisation=commission, category=ecology)
    tomorrow = local_today() + timedelta(days=1)
    return {
        "xuante_session": make.event_session(
            screening, make.venue(xuante, "炫特社区服务站"), day=tomorrow, capacity=20
        ),
        "chenguang_session": make.event_session(
            screening, make.venue(chenguang, "晨光社区服务站"), day=tomorrow + timedelta(days=1)
        ),
        "daxiyang_session": make.event_session(
            ecology_day, make.venue(daxiyang, "大西洋新城社区服务站"), day=tomorrow
        ),
        "screening": screening,
        "ecology_day": ecology_day,
    }


def test_home_lists_upcoming_sessions_grouped_by_local_day(client, two_campaigns):
    response = client.get("/")
    text = page_text(response)
    assert response.status_code == 200
    assert text.count('<section class="day">') == 2
    assert "三天义诊" in text and "全国生态日宣传" in text
    assert "炫特社区服务站" in text and "晨光社区" in text and "六里屯街道" in text


def test_home_shows_times_in_beijing_time(client, make):
    make.event_session(day=local_today() + timedelta(days=2))  # 09:00 Beijing, 01:00 UTC
    text = page_text(client.get("/"))
    assert "09:00–11:00" in text


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("community=xuan-te-she-qu", ["炫特社区服务站"], ["晨光社区服务站", DAXIYANG]),
        ("township=wang-jing-jie-dao", ["大西洋新城社区服务站"], ["炫特社区服务站"]),
        ("category=ecology", ["全国生态日宣传"], ["三天义诊"]),
        ("organisation=centre", ["炫特社区服务站", "晨光社区服务站"], ["全国生态日宣传"]),
        ("category=health&township=liu-li-tun-jie-dao", ["晨光社区服务站"], [DAXIYANG]),
    ],
)
def test_home_filters_by_slug(client, two_campaigns, query, present, absent):
    text = page_text(client.get(f"/?{query}"))
    for needle in present:
        assert needle in text
    for needle in absent:
        assert needle not in text


def test_date_range_filters_by_local_day(client, two_campaigns):
    day_after = (local_today() + timedelta(days=2)).isoformat()
    text = page_text(client.get(f"/?from={day_after}&to={day_after}"))
    assert "晨光社区服务站" in text
    assert "炫特社区服务站" not in text


def test_sessions_of_past_days_are_not_upcoming(client, make):
    make.event_session(day=local_today() - timedelta(days=1), venue_=make.venue(name="昨天的场地"))
    make.event_session(day=local_today() + timedelta(days=1), venue_=make.venue(name="明天的场地"))
    text = page_text(client.get("/"))
    assert "明天的场地" in text
    assert "昨天的场地" not in text


def test_drafts_are_never_public(client, make):
    draft = make.event("草稿活动", status=EventStatus.DRAFT)
    event_session = make.event_session(draft)
    assert "草稿活动" not in page_text(client.get("/"))
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/sessions/{event_session.id}").status_code == 404
    community = event_session.venue.community
    assert "草稿活动" not in page_text(client.get(f"/communities/{community.slug}"))


def test_empty_state_when_nothing_matches(client, make):
    text = page_text(client.get("/"))
    assert "没有符合条件的近期活动" in text


def test_pagination_splits_sessions_and_keeps_filters(app, client, make):
    app.config["PER_PAGE"] = 2
    event = make.event("分页活动")
    venue = make.venue()
    for offset in range(5):
        make.event_session(event, venue, day=local_today() + timedelta(days=offset + 1))
    first = page_text(client.get("/?category=" + event.category.slug))
    assert "第1页，共3页" in first
    assert f"category={event.category.slug}" in first and "page=2" in first
    last = client.get("/?page=3")
    assert last.status_code == 200
    assert page_text(last).count('<li class="card') == 1
    beyond = client.get("/?page=9")
    assert beyond.status_code == 200
    assert "这一页没有内容" in page_text(beyond)


def test_event_page_shows_every_session_with_place_chain_and_capacity(client, two_campaigns):
    screening = two_campaigns["screening"]
    text = page_text(client.get(f"/events/{screening.id}"))
    assert "三天义诊" in text
    assert "炫特社区服务站" in text and "晨光社区服务站" in text
    assert "六里屯街道" in text
    assert "限20人" in text and "不限人数" in text
    assert "测试路" in text  # the venue's address


def test_event_page_escapes_description_and_links_addresses(client, make):
    event = make.event(description="第一段<script>x</script>\n\n详情见 https://example.org/a?b=1")
    make.event_session(event)
    text = page_text(client.get(f"/events/{event.id}"))
    assert "<script>x</script>" not in text
    assert "&lt;script&gt;" in text
    assert '<a href="https://example.org/a?b=1"' in text
    assert text.count("<p>第一段") == 1


def test_cancelled_session_stays_visible_and_marked(client, make):
    event_session = make.event_session(
        status=SessionStatus.CANCELLED, cancellation_reason="天气原因"
    )
    text = page_text(client.get("/"))
    assert "is-cancelled" in text and "已取消" in text and "天气原因" in text
    event_text = page_text(client.get(f"/events/{event_session.event_id}"))
    assert "天气原因" in event_text


def test_township_page_lists_communities_and_sessions(client, two_campaigns):
    text = page_text(client.get("/townships/liu-li-tun-jie-dao"))
    assert "炫特社区" in text and "晨光社区" in text
    assert "/communities/xuan-te-she-qu" in text
    assert "炫特社区服务站" in text
    assert "大西洋新城社区服务站" not in text


def test_township_page_includes_venues_outside_communities(client, make):
    township = make.township("三里屯街道", slug="san-li-tun")
    mall = make.venue(township=township, name="三里屯太古里")
    make.event_session(venue_=mall)
    assert "三里屯太古里" in page_text(client.get("/townships/san-li-tun"))


@pytest.mark.parametrize(
    ("url", "present", "absent"),
    [
        ("/communities/xuan-te-she-qu", "炫特社区服务站", "晨光社区服务站"),
        ("/organisations/commission", "全国生态日宣传", "三天义诊"),
        ("/categories/health", "三天义诊", "全国生态日宣传"),
    ],
)
def test_place_organisation_and_category_pages(client, two_campaigns, url, present, absent):
    response = client.get(url)
    assert response.status_code == 200
    assert present in page_text(response)
    assert absent not in page_text(response)


def test_community_page_accepts_further_filters(client, two_campaigns):
    text = page_text(client.get("/communities/xuan-te-she-qu?category=ecology"))
    assert "没有符合条件的近期活动" in text


def test_all_day_session_shows_all_day(client, make):
    event_session = make.event_session(all_day=True, start=__import__("datetime").time(0), hours=24)
    text = page_text(client.get(f"/events/{event_session.event_id}"))
    assert "全天" in text


def test_a_city_sized_listing_counts_only_so_far_and_still_pages_on(app, client, make, monkeypatch):
    monkeypatch.setattr(event_services, "COUNT_LIMIT", 3)
    app.config["PER_PAGE"] = 2
    event = make.event("城市活动")
    venue = make.venue()
    for offset in range(7):
        make.event_session(event, venue, day=local_today() + timedelta(days=offset + 1))
    first = page_text(client.get("/?lang=en"))
    assert "More than 3 sessions" in first
    assert "Page 1</span>" in first and "page=2" in first
    # Deeper pages count up to their own end: the third of seven ends at six, more follow.
    third = page_text(client.get("/?lang=en&page=3"))
    assert "More than 6 sessions" in third and "page=4" in third
    last = page_text(client.get("/?lang=en&page=4"))
    assert "7 sessions" in last and "Page 4 of 4" in last and "page=5" not in last
    assert last.count('<li class="card') == 1


def test_a_city_sized_filter_offers_the_communities_of_the_chosen_township(
    client, make, monkeypatch
):
    monkeypatch.setattr(place_services, "CHOICE_LIMIT", 2)
    east = make.township("东坝乡", slug="dongba")
    west = make.township("八里庄街道", slug="balizhuang")
    make.community(east, "东坝家园社区", slug="dongba-jiayuan")
    make.community(east, "东泽园社区", slug="dongzeyuan")
    make.community(west, "红庙社区", slug="hongmiao")
    everywhere = page_text(client.get("/?lang=en"))
    assert 'name="community"' not in everywhere
    assert "Choose a street or township and press Show" in everywhere
    east_only = page_text(client.get("/?lang=en&township=dongba"))
    assert 'name="community"' in east_only
    assert "dongba-jiayuan" in east_only and "dongzeyuan" in east_only
    assert "hongmiao" not in east_only
    # A community asked for by itself brings its township's list, with it selected.
    chosen = page_text(client.get("/?lang=en&community=hongmiao"))
    assert '<option value="hongmiao" selected>' in chosen
    assert "dongzeyuan" not in chosen


def test_a_district_sized_filter_offers_every_community(client, make):
    east = make.township("东坝乡", slug="dongba")
    west = make.township("八里庄街道", slug="balizhuang")
    make.community(east, "东坝家园社区", slug="dongba-jiayuan")
    make.community(west, "红庙社区", slug="hongmiao")
    text = page_text(client.get("/?lang=en"))
    assert 'name="community"' in text
    assert "dongba-jiayuan" in text and "hongmiao" in text


def test_home_page_query_count_does_not_grow_with_sessions(client, make, count_queries):
    event = make.event()
    for _ in range(3):
        make.event_session(event, make.venue())
    with count_queries() as few:
        client.get("/")
    for _ in range(25):
        make.event_session(make.event(), make.venue())
    with count_queries() as many:
        response = client.get("/")
    assert response.status_code == 200
    assert page_text(response).count('<li class="card') == 28
    assert len(many) == len(few)


def test_event_page_query_count_does_not_grow_with_sessions(client, make, count_queries):
    event = make.event()
    make.event_session(event)
    with count_queries() as few:
        client.get(f"/events/{event.id}")
    for _ in range(20):
        make.event_session(event, make.venue())
    with count_queries() as many:
        client.get(f"/events/{event.id}")
    assert len(many) == len(few)


def test_the_beijing_time_note_is_only_where_times_are_shown(client, make):
    """Choosing a community, a subscribe page and an error page show no times."""
    event_session = make.event_session()
    community = event_session.venue.community
    note = "以上时间均为北京时间。"
    for path in ("/", f"/events/{event_session.event_id}", f"/communities/{community.slug}"):
        assert note in page_text(client.get(path)), path
    for path in (
        f"/my-community?township={community.township.slug}",
        f"/subscribe/community/{community.slug}",
        "/no-such-page",
    ):
        response = client.get(path)
        assert response.status_code in (200, 404) and note not in page_text(response), path


def test_an_event_without_sessions_says_none_are_scheduled(client, make, count_queries):
    """The event's sessions come joined in its own statement: an event without any still
    has its page, and a session added later shows up on it."""
    event = make.event("尚无场次的讲座")
    with count_queries() as statements:
        page = page_text(client.get(f"/events/{event.id}"))
    assert "尚无场次的讲座" in page and "尚未安排场次。" in page
    assert 'class="card' not in page
    assert not any(statement.lstrip().upper().startswith("SELECT SLOT") for statement in statements)
    event_session = make.event_session(event)
    page = page_text(client.get(f"/events/{event.id}"))
    assert "尚未安排场次。" not in page and f'id="session-{event_session.id}"' in page


def test_sessions_starting_together_are_listed_in_the_order_they_were_made(client, make, app):
    """Two sessions at the same hour keep one order on the event page however their rows
    were last written (PostgreSQL moves an updated row, and a scan would follow it)."""
    event = make.event("同时开始的讲座")
    hall = make.venue(make.community(make.township("测试街道"), "幸福社区"), "一号厅")
    first = make.event_session(event, hall, capacity=5)
    second = make.event_session(event, hall, capacity=5)
    for _ in range(3):
        first.capacity += 1  # a new row version each time, after the second's
        make.registration(first)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert page.index(f'id="session-{first.id}"') < page.index(f'id="session-{second.id}"')
