"""Finding a session: cards that lead to the session and say what is left of it, and the
resident's own community, chosen once and remembered in a cookie, leading the home page."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from outreach.database import db, utcnow
from outreach.events.hooks import Hooks, hooks
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_midnight, local_today
from tests.web import post_form

COOKIE = "community"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def cards(html: str) -> list[str]:
    """Each session card's HTML, in page order."""
    return re.findall(r'<li class="card.*?</li>', html, flags=re.S)


def card_of(html: str, venue_name: str) -> str:
    """The one card that names `venue_name`."""
    found = [card for card in cards(html) if venue_name in card]
    assert len(found) == 1, f"{len(found)} cards name {venue_name}"
    return found[0]


def visible(html: str) -> str:
    """The text of some HTML, tags removed and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def neighbourhood(make):
    """Two streets: 炫特 and 晨光 in 六里屯, 大西洋新城 in 望京; a session in each community,
    and one at a street-only venue."""
    liulitun = make.township("六里屯街道", slug="liulitun", name_en="Liulitun")
    wangjing = make.township("望京街道", slug="wangjing")
    make.township("空街道", slug="empty")  # no communities: nothing to choose there
    xuante = make.community(liulitun, "炫特社区", slug="xuante", name_en="Xuante")
    chenguang = make.community(liulitun, "晨光社区", slug="chenguang")
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="daxiyang")
    tomorrow = local_today() + timedelta(days=1)
    screening = make.event("专家义诊进社区")
    return {
        "liulitun": liulitun,
        "xuante": xuante,
        "chenguang": chenguang,
        "daxiyang": daxiyang,
        # The resident's community's session comes last in time: leading with it is the point.
        "xuante_session": make.event_session(
            screening, make.venue(xuante, "炫特社区服务站"), day=tomorrow + timedelta(days=2)
        ),
        "chenguang_session": make.event_session(
            screening, make.venue(chenguang, "晨光社区服务站"), day=tomorrow
        ),
        "daxiyang_session": make.event_session(
            make.event("全国生态日宣传"), make.venue(daxiyang, "大西洋新城服务站"), day=tomorrow
        ),
        "street_session": make.event_session(
            make.event("法律咨询"),
            make.venue(name="六里屯市民广场", township=liulitun),
            day=tomorrow,
        ),
    }


# ---------------------------------------------------------------------------------------------
# Cards


def test_a_card_links_to_its_session_on_the_event_page(client, neighbourhood):
    first, second = neighbourhood["chenguang_session"], neighbourhood["xuante_session"]
    html = text_of(client.get("/"))
    for event_session, venue in ((first, "晨光社区服务站"), (second, "炫特社区服务站")):
        card = card_of(html, venue)
        assert f'href="/events/{event_session.event_id}#session-{event_session.id}"' in card
    # The anchor names an element of the event page.
    event_page = text_of(client.get(f"/events/{second.event_id}"))
    assert f'id="session-{second.id}"' in event_page


def test_cards_say_places_left_full_or_cancelled(client, make):
    open_event = make.event("健康讲座")
    no_waitlist = make.event("义诊", allow_waitlist=False)
    some_left = make.event_session(open_event, make.venue(name="甲服务站"), capacity=5)
    make.registration(some_left, party_size=2)
    make.registration(some_left, party_size=1)
    full = make.event_session(no_waitlist, make.venue(name="乙服务站"), capacity=2)
    make.registration(full, party_size=2)
    full_waitlist = make.event_session(open_event, make.venue(name="丙服务站"), capacity=1)
    make.registration(full_waitlist)
    make.registration(full_waitlist)  # waitlisted: holds no seat
    cancelled = make.event_session(
        open_event, make.venue(name="丁服务站"), capacity=9, status=SessionStatus.CANCELLED
    )
    make.event_session(open_event, make.venue(name="戊服务站"))  # no limit
    make.event_session(open_event, make.venue(name="己服务站"), capacity=0)
    called_off = make.event("停办的活动", status=EventStatus.CANCELLED)
    make.event_session(called_off, make.venue(name="庚服务站"), capacity=9)

    html = text_of(client.get("/"))
    assert "剩余2个名额 · 限5人" in visible(card_of(html, "甲服务站"))
    assert "已满" in visible(card_of(html, "乙服务站"))
    assert "候补" not in visible(card_of(html, "乙服务站"))
    assert "已满，可候补" in visible(card_of(html, "丙服务站"))
    for venue in ("丁服务站", "庚服务站"):
        card = visible(card_of(html, venue))
        assert "已取消" in card
        assert "名额" not in card and "已满" not in card
    assert "不限人数" in visible(card_of(html, "戊服务站"))
    assert "不设报名" in visible(card_of(html, "己服务站"))
    assert cancelled.id  # kept on the page, marked, not hidden

    english = text_of(client.get("/?lang=en"))
    assert "2 places left · 5 places" in visible(card_of(english, "甲服务站"))
    assert "Full, waitlist open" in visible(card_of(english, "丙服务站"))
    assert "Cancelled" in visible(card_of(english, "丁服务站"))


def test_cards_count_the_slots_as_the_event_page_does(client, make):
    event = make.event("分科义诊", max_party_size=5)
    # Room in the session, none in its slots: full, as the event page says.
    slots_full = make.event_session(event, make.venue(name="甲服务站"), capacity=30)
    for label in ("中医科", "全科"):
        slot = make.slot(slots_full, label, capacity=5)
        make.registration(slots_full, party_size=5, slot_id=slot.id)
    # No limit on the session, only on its slots: what the slots have left.
    by_slots = make.event_session(event, make.venue(name="乙服务站"))
    first = make.slot(by_slots, "中医科", capacity=5)
    make.slot(by_slots, "全科", capacity=5)
    make.registration(by_slots, party_size=2, slot_id=first.id)

    html = text_of(client.get("/"))
    assert "已满，可候补" in visible(card_of(html, "甲服务站"))
    assert "剩余8个名额" in visible(card_of(html, "乙服务站"))
    event_page = visible(text_of(client.get(f"/events/{event.id}")))
    assert "已满，可候补" in event_page


def test_a_session_that_ended_today_says_finished_not_places(client, make, monkeypatch):
    # Just after midnight no session can have ended today yet: the page's clock is then set
    # a few minutes on, so the check runs at every hour of the day.
    now = max(utcnow(), local_midnight(local_today()) + timedelta(minutes=10))
    monkeypatch.setattr("outreach.events.views.utcnow", lambda: now)
    make.event_session(
        make.event(),
        make.venue(name="早场服务站"),
        day=local_today(),
        start=time(0, 0),
        ends_at=now - timedelta(minutes=1),
        capacity=10,
    )
    card = visible(card_of(text_of(client.get("/")), "早场服务站"))
    assert "已结束" in card and "剩余" not in card


def test_every_listing_page_shows_seats(client, make, neighbourhood):
    event_session = neighbourhood["xuante_session"]
    event_session.capacity = 4
    make.registration(event_session, party_size=3)
    event = event_session.event
    for url in (
        "/",
        "/communities/xuante",
        "/townships/liulitun",
        f"/categories/{event.category.slug}",
        f"/organisations/{event.organisation.slug}",
    ):
        card = visible(card_of(text_of(client.get(url)), "炫特社区服务站"))
        assert "剩余1个名额" in card, url


def test_seats_of_a_page_of_cards_take_one_query(client, make, count_queries):
    def add_sessions(count: int) -> None:
        for _ in range(count):
            event_session = make.event_session(make.event(), make.venue(), capacity=10)
            make.registration(event_session, party_size=2)

    add_sessions(2)
    with count_queries() as few:
        client.get("/")
    add_sessions(20)
    with count_queries() as many:
        response = client.get("/")
    assert text_of(response).count("剩余8个名额") == 22
    assert len(many) == len(few)
    counting_seats = [s for s in many if "FROM registration" in s]
    assert len(counting_seats) == 1


def test_the_home_page_with_a_community_does_not_query_more_with_more_sessions(
    client, make, neighbourhood, count_queries
):
    client.set_cookie(COOKIE, "xuante")
    venue = make.venue(neighbourhood["xuante"])
    with count_queries() as few:
        client.get("/")
    for _ in range(12):
        make.registration(make.event_session(make.event(), venue, capacity=3))
        make.registration(make.event_session(make.event(), make.venue(), capacity=3))
    with count_queries() as many:
        response = client.get("/")
    assert "您的社区：炫特社区" in text_of(response)
    assert len(many) == len(few)
    assert len([s for s in many if "FROM registration" in s]) == 1


# ---------------------------------------------------------------------------------------------
# Choosing one's community


def test_the_home_page_offers_to_choose_a_community_first(client, neighbourhood):
    html = text_of(client.get("/"))
    chooser = html[html.index('class="choose-community"') : html.index('class="filter-box"')]
    assert 'action="/my-community"' in chooser and 'method="get"' in chooser
    assert 'name="township"' in chooser and 'value="liulitun"' in chooser
    assert "从这里开始" in chooser
    # Read as "这部手机会记住", never as "本 机会" (a chance).
    assert "这部手机会记住您的选择，以后打开首页会先显示您社区的活动。" in chooser
    assert html.index('class="choose-community"') < html.index('<li class="card')


def test_choosing_a_township_offers_its_communities_as_buttons(client, neighbourhood):
    html = text_of(client.get("/my-community?township=liulitun"))
    choices = html[html.index('class="choices"') :]
    assert 'name="community" value="xuante"' in choices
    assert 'name="community" value="chenguang"' in choices
    assert '<button type="submit">炫特社区</button>' in choices
    assert "daxiyang" not in choices
    assert 'name="csrf_token"' in html
    # The first step stays on the page, the street chosen.
    assert re.search(r'<option value="liulitun"\s+selected>', html)


def test_the_chooser_without_a_township_and_with_a_bare_one(client, neighbourhood):
    first = text_of(client.get("/my-community"))
    assert 'value="liulitun"' in first and 'value="wangjing"' in first
    # Streets without communities offer nothing to choose.
    assert 'value="empty"' not in first
    assert 'class="choices"' not in first
    bare = client.get("/my-community?township=empty")
    assert bare.status_code == 200
    assert "/townships/empty" in text_of(bare)
    assert client.get("/my-community?township=nowhere").status_code == 404


def test_choosing_a_community_sets_a_year_long_cookie_and_leads_home(client, neighbourhood):
    response = post_form(client, "/my-community", {"community": "xuante"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("community=xuante;")
    assert "Max-Age=31536000" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert client.get_cookie(COOKIE).value == "xuante"


def test_choosing_needs_the_csrf_token(client, neighbourhood):
    response = client.post("/my-community", data={"community": "xuante"})
    assert response.status_code == 400
    assert client.get_cookie(COOKIE) is None


def test_choosing_an_unknown_community_sets_nothing(client, neighbourhood):
    response = post_form(client, "/my-community", {"community": "nowhere"})
    assert response.status_code == 404
    assert client.get_cookie(COOKIE) is None
    assert post_form(client, "/my-community", {"community": "x" * 500}).status_code == 404
    assert post_form(client, "/my-community", {}).status_code == 404


def test_the_home_page_leads_with_the_chosen_community(client, neighbourhood):
    xuante_session = neighbourhood["xuante_session"]
    post_form(client, "/my-community", {"community": "xuante"})
    html = text_of(client.get("/"))
    own = html[html.index('class="own-community"') : html.index('class="elsewhere"')]
    assert "您的社区：炫特社区" in own
    assert f"#session-{xuante_session.id}" in own
    assert "/my-community?township=liulitun" in own  # change: straight to its street
    assert "/communities/xuante" in own
    assert "从这里开始" not in html
    # Everything else after it, without the community's sessions a second time.
    rest = html[html.index('class="elsewhere"') :]
    assert html.count(f"#session-{xuante_session.id}") == 1
    for name in ("晨光社区服务站", "大西洋新城服务站", "六里屯市民广场"):
        assert name in rest
    assert "共3场" in visible(rest)


def test_the_community_section_links_to_all_when_it_has_more(client, make, neighbourhood):
    venue = make.venue(neighbourhood["xuante"])
    for _ in range(6):
        make.event_session(make.event(), venue)
    client.set_cookie(COOKIE, "xuante")
    html = text_of(client.get("/"))
    own = html[html.index('class="own-community"') : html.index('class="elsewhere"')]
    assert len(cards(own)) == 5
    assert "炫特社区的全部7场活动" in visible(own)


def test_a_community_without_sessions_says_so_and_lists_the_rest(client, make, neighbourhood):
    make.community(neighbourhood["liulitun"], "红庙社区", slug="hongmiao")
    client.set_cookie(COOKIE, "hongmiao")
    html = text_of(client.get("/"))
    own = html[html.index('class="own-community"') : html.index('class="elsewhere"')]
    assert "红庙社区近期还没有活动" in visible(own)
    assert not cards(own)
    assert len(cards(html)) == 4


def test_changing_the_community_replaces_the_cookie(client, neighbourhood):
    post_form(client, "/my-community", {"community": "xuante"})
    chooser = text_of(client.get("/my-community?township=wangjing"))
    assert "当前：炫特社区" in visible(chooser)
    post_form(client, "/my-community", {"community": "daxiyang"})
    assert client.get_cookie(COOKIE).value == "daxiyang"
    html = text_of(client.get("/"))
    assert "您的社区：大西洋新城社区" in html
    own = html[html.index('class="own-community"') : html.index('class="elsewhere"')]
    assert "大西洋新城服务站" in own and "炫特社区服务站" not in own


def test_forgetting_the_community_clears_the_cookie(client, neighbourhood):
    post_form(client, "/my-community", {"community": "xuante"})
    assert 'name="forget"' in text_of(client.get("/my-community"))
    response = post_form(client, "/my-community", {"forget": "1"})
    assert response.status_code == 302
    assert "community=;" in response.headers["Set-Cookie"]
    assert client.get_cookie(COOKIE) is None
    html = text_of(client.get("/"))
    assert 'class="own-community"' not in html and 'class="choose-community"' in html


@pytest.mark.parametrize(
    "value", ["gone-away", "x" * 300, "炫特", "'; DROP TABLE community; --", "%00", ""]
)
def test_an_unknown_or_garbled_cookie_is_ignored_and_cleared(client, neighbourhood, value):
    client.set_cookie(COOKIE, value)
    response = client.get("/")
    assert response.status_code == 200
    html = text_of(response)
    assert 'class="own-community"' not in html and 'class="choose-community"' in html
    assert len(cards(html)) == 4
    assert "community=;" in response.headers.get("Set-Cookie", "")
    assert client.get("/communities/xuante").status_code == 200
    assert client.get("/my-community").status_code == 200


def test_a_removed_community_in_the_cookie_is_ignored(client, make):
    gone = make.community(slug="gone")
    client.set_cookie(COOKIE, "gone")
    assert 'class="own-community"' in text_of(client.get("/"))
    db.session.delete(gone)
    db.session.flush()
    response = client.get("/")
    assert response.status_code == 200 and 'class="own-community"' not in text_of(response)


@pytest.mark.parametrize(
    "query", ["?category=health", "?page=2", "?community=daxiyang", "?from=2099-01-01"]
)
def test_a_filtered_or_later_page_shows_what_was_asked(client, make, neighbourhood, query):
    make.category("健康义诊", slug="health")
    client.set_cookie(COOKIE, "xuante")
    response = client.get("/" + query)
    assert response.status_code == 200
    html = text_of(response)
    assert 'class="own-community"' not in html and 'class="choose-community"' not in html


def test_the_home_page_varies_with_the_cookie(client, neighbourhood):
    assert "Cookie" in client.get("/").headers.get("Vary", "")


def test_the_community_page_offers_to_make_it_ones_own(client, neighbourhood):
    html = text_of(client.get("/communities/xuante"))
    form = html[html.rindex("<form", 0, html.index('class="make-own"')) :]
    form = form[: form.index("</form>")]
    assert 'method="post"' in form and 'action="/my-community"' in form
    assert 'name="community" value="xuante"' in form and 'name="csrf_token"' in form
    assert "设为我的社区" in form
    post_form(client, "/my-community", {"community": "xuante"})
    html = text_of(client.get("/communities/xuante"))
    assert 'class="make-own"' not in html
    assert "这是您的社区" in html
    assert 'class="make-own"' in text_of(client.get("/communities/chenguang"))


def test_in_english_the_community_is_named_in_english_or_marked_chinese(client, neighbourhood):
    client.set_cookie(COOKIE, "xuante")
    html = text_of(client.get("/?lang=en"))
    assert "Your community: Xuante" in html
    assert "Start here" not in html
    client.set_cookie(COOKIE, "chenguang")  # no English name: the Chinese one, marked
    html = text_of(client.get("/?lang=en"))
    assert 'Your community: <span lang="zh-CN">晨光社区</span>' in html


def test_without_a_package_counting_seats_cards_show_the_capacity(app, client, make):
    make.event_session(make.event(), make.venue(name="甲服务站"), capacity=5)
    counting = hooks(app).rooms
    hooks(app).rooms = Hooks().rooms
    try:
        card = visible(card_of(text_of(client.get("/")), "甲服务站"))
    finally:
        hooks(app).rooms = counting
    assert "限5人" in card and "剩余" not in card


def test_every_page_after_the_community_lists_each_other_session_once(
    app, client, make, monkeypatch
):
    """With a community chosen, page 1 leads with it and every page lists the sessions
    elsewhere: none repeated, none skipped, one count for all pages."""
    township = make.township(slug="pages")
    own_venue = make.venue(make.community(township, "炫特社区", slug="xuante"), "自家服务站")
    elsewhere = make.venue(make.community(township, "晨光社区", slug="chenguang"), "别处服务站")
    today = local_today()
    for number in range(8):  # the community's own sessions come first in time
        make.event_session(
            make.event(f"自家活动{number}"), own_venue, day=today + timedelta(days=1)
        )
    others = [
        make.event_session(
            make.event(f"别处活动{number}"),
            elsewhere,
            day=today + timedelta(days=2 + number),
        )
        for number in range(8)
    ]
    client.set_cookie(COOKIE, "xuante")
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    seen = []
    pages = []
    for number in (1, 2, 3):
        html = text_of(client.get(f"/?page={number}"))
        listed = html[html.index('class="elsewhere"') :]
        assert "自家服务站" not in listed
        seen += [int(found) for found in re.findall(r"#session-(\d+)", listed)]
        pages.append(re.search(r"第\d+页，共(\d+)页", visible(html)).group(1))
    assert seen == [session.id for session in others]
    assert pages == ["3", "3", "3"]
