"""Bilingual event content: English texts where staff gave them, the Chinese otherwise, marked
with its language, on pages, in feeds, in messages, in the API and through an import."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from outreach.database import db
from outreach.events import importer
from outreach.events.models import Event
from outreach.messages.models import MessageChannel, MessageKind
from tests.factories import SHANGHAI
from tests.messages_support import outbox
from tests.web import register


@pytest.fixture
def screening(make):
    """An event with English texts, a session at a venue with an English address, and a slot
    with an English label; and an event with no English at all, at the same venue."""
    township = make.township("六里屯街道", name_en="Liulitun Street")
    community = make.community(township, "炫特社区", name_en="Xuante Community")
    venue = make.venue(
        community,
        "炫特社区服务站",
        name_en="Xuante Service Station",
        address="六里屯街道炫特家园1号",
        address_en="1 Xuante Jiayuan, Liulitun",
    )
    organisation = make.organisation("六里屯社区卫生服务中心", name_en="Liulitun Health Centre")
    category = make.category("健康义诊", name_en="Health screening")
    event = make.event(
        "专家义诊",
        title_en="Free check-ups by specialists",
        summary="中医、骨伤、脑卒中",
        summary_en="Chinese medicine, bones and joints, stroke",
        description="请空腹前来。\n\n雨天改在室内。",
        description_en="Please come without breakfast.\n\nIn rain we move indoors.",
        audience="辖区居民",
        audience_en="Residents of the street",
        organisation=organisation,
        category=category,
    )
    event_session = make.event_session(event, venue, capacity=20)
    slot = make.slot(event_session, "中医科", label_en="Chinese medicine")
    plain_category = make.category("法律咨询", name_en=None)
    plain = make.event(
        "法律咨询日<b>",
        summary="律师现场答疑",
        description="带上合同。",
        audience="老年人",
        organisation=make.organisation("六里屯司法所"),
        category=plain_category,
    )
    plain_venue = make.venue(community, "炫特活动室", address="炫特家园2号")
    plain_session = make.event_session(plain, plain_venue, capacity=10)
    return {
        "event": event,
        "session": event_session,
        "slot": slot,
        "plain": plain,
        "plain_session": plain_session,
    }


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# Pages


def test_english_event_page_shows_the_english_texts(client, screening):
    text = page(client, f"/events/{screening['event'].id}?lang=en")
    assert "<title>Free check-ups by specialists ·" in text
    assert "<h1>Free check-ups by specialists</h1>" in text
    assert '<p class="summary">Chinese medicine, bones and joints, stroke</p>' in text
    assert "Residents of the street" in text
    assert "<p>Please come without breakfast.</p>" in text
    assert '<p class="address">1 Xuante Jiayuan, Liulitun</p>' in text
    assert ">Health screening</a>" in text and ">Liulitun Health Centre</a>" in text
    assert '<span class="venue">Xuante Service Station</span>' in text
    assert "Chinese medicine" in text  # the slot, in the registration form
    for chinese in ("专家义诊", "中医、骨伤", "请空腹前来", "炫特家园1号", "中医科"):
        assert chinese not in text
    assert 'lang="zh-CN"' not in text.split("<main", 1)[1].split("</main>")[0]


def test_chinese_event_page_keeps_the_chinese_texts(client, screening):
    text = page(client, f"/events/{screening['event'].id}?lang=zh")
    assert "<h1>专家义诊</h1>" in text
    assert '<p class="summary">中医、骨伤、脑卒中</p>' in text
    assert "<p>请空腹前来。</p>" in text
    assert '<p class="address">六里屯街道炫特家园1号</p>' in text
    assert "Free check-ups" not in text and "Xuante Jiayuan" not in text


def test_english_page_falls_back_to_chinese_marked_as_chinese(client, screening):
    text = page(client, f"/events/{screening['plain'].id}?lang=en")
    assert '<html lang="en">' in text
    # The page title takes no markup: plain, escaped text.
    assert "<title>法律咨询日&lt;b&gt; ·" in text
    assert '<h1><span lang="zh-CN">法律咨询日&lt;b&gt;</span></h1>' in text
    assert '<p class="summary"><span lang="zh-CN">律师现场答疑</span></p>' in text
    assert '<div lang="zh-CN"><p>带上合同。</p></div>' in text
    assert '<span lang="zh-CN">老年人</span>' in text
    assert '<p class="address"><span lang="zh-CN">炫特家园2号</span></p>' in text
    assert '<span lang="zh-CN">法律咨询</span></a>' in text  # the category, with no English
    assert '<span lang="zh-CN">六里屯司法所</span></a>' in text


def test_chinese_page_shows_an_english_only_text_marked_as_english(client, make):
    event = make.event("社区英语角", summary="", summary_en="Practise English with neighbours")
    make.event_session(event)
    text = page(client, f"/events/{event.id}?lang=zh")
    assert '<p class="summary"><span lang="en">Practise English with neighbours</span></p>' in text


def test_listing_cards_use_the_english_title(client, screening):
    text = page(client, "/?lang=en")
    assert ">Free check-ups by specialists</a></h3>" in text
    assert '><span lang="zh-CN">法律咨询日&lt;b&gt;</span></a></h3>' in text
    assert ">专家义诊</a></h3>" in page(client, "/?lang=zh")


def test_english_manage_page_shows_the_english_title_slot_and_address(client, make, screening):
    registration = make.registration(
        screening["session"], slot_id=screening["slot"].id, language="en"
    )
    text = page(client, f"/r/{registration.manage_token}?lang=en")
    assert "<h1>Free check-ups by specialists</h1>" in text
    assert "<dd>Chinese medicine" in text
    assert "1 Xuante Jiayuan, Liulitun" in text
    plain = make.registration(screening["plain_session"], language="en")
    text = page(client, f"/r/{plain.manage_token}?lang=en")
    assert '<h1><span lang="zh-CN">法律咨询日&lt;b&gt;</span></h1>' in text


def test_event_calendar_page_and_poster_are_in_english(client, screening):
    event_id = screening["event"].id
    text = page(client, f"/events/{event_id}/calendar?lang=en")
    assert "Add “Free check-ups by specialists” to your calendar" in text
    text = page(client, f"/events/{screening['plain'].id}/calendar?lang=en")
    assert 'Add “<span lang="zh-CN">法律咨询日&lt;b&gt;</span>” to your calendar' in text
    poster = page(client, f"/events/{event_id}/poster?lang=en")
    assert ">Free check-ups by specialists</h1>" in poster
    assert "Chinese medicine, bones and joints, stroke" in poster
    assert "专家义诊" not in poster


# ---------------------------------------------------------------------------------------------
# Feeds


def feed_events(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return Calendar.from_ical(response.data).walk("VEVENT")


def test_english_feed_uses_the_english_texts_and_falls_back_to_chinese(client, screening):
    event_id = screening["event"].id
    # Chinese first: the English feed must not be the Chinese one from the cache.
    [chinese] = feed_events(client, f"/feeds/events/{event_id}.ics")
    assert str(chinese["SUMMARY"]) == "专家义诊"
    assert "炫特家园1号" in str(chinese["LOCATION"])
    [english] = feed_events(client, f"/feeds/events/{event_id}.ics?lang=en")
    assert str(english["SUMMARY"]) == "Free check-ups by specialists"
    assert "Chinese medicine, bones and joints, stroke" in str(english["DESCRIPTION"])
    assert str(english["LOCATION"]).endswith(", 1 Xuante Jiayuan, Liulitun")
    everything = feed_events(client, "/feeds/all.ics?lang=en")
    summaries = {str(entry["SUMMARY"]) for entry in everything}
    assert summaries == {"Free check-ups by specialists", "法律咨询日<b>"}
    response = client.get(f"/feeds/events/{event_id}.ics?lang=en")
    assert "X-WR-CALNAME:Free check-ups by specialists" in response.get_data(as_text=True)


def test_one_session_file_follows_the_readers_language(client, screening):
    response = client.get(f"/sessions/{screening['session'].id}.ics?lang=en")
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Free check-ups by specialists"


# ---------------------------------------------------------------------------------------------
# Messages


@pytest.mark.parametrize(
    ("language", "title", "slot", "address"),
    [
        ("en", "Free check-ups by specialists", "Chinese medicine", "1 Xuante Jiayuan, Liulitun"),
        ("zh", "专家义诊", "中医科", "六里屯街道炫特家园1号"),
    ],
)
def test_messages_speak_the_registrations_language(
    client, screening, language, title, slot, address
):
    client.get(f"/?lang={language}")
    event_session = screening["session"]
    response = register(
        client, event_session, email="wang@example.org", slot=str(screening["slot"].id)
    )
    assert response.status_code == 302
    [message] = outbox(kind=MessageKind.CONFIRMED)
    assert title in message.subject
    assert title in message.body and slot in message.body and address in message.body
    assert f">{slot}</td>" in message.body_html


def test_english_text_message_names_the_english_slot(client, make, screening):
    make.registration(screening["session"], slot_id=screening["slot"].id, language="en")
    [message] = outbox(kind=MessageKind.CONFIRMED)
    assert message.channel == MessageChannel.SMS
    # English words, cut to the 70 characters of one text (tests/test_messages_texts.py).
    assert message.body.startswith("Booked Free")
    assert " Chi" in message.body and "中" not in message.body and "专家" not in message.body


# ---------------------------------------------------------------------------------------------
# The API: both languages in every answer


def test_api_gives_both_languages_whatever_the_request_language(client, screening):
    event_id = screening["event"].id
    for query in ("", "?lang=en", "?lang=zh"):
        body = client.get(f"/api/v1/events/{event_id}{query}").get_json()
        assert body["title"] == "专家义诊"
        assert body["title_en"] == "Free check-ups by specialists"
        assert body["summary_en"] == "Chinese medicine, bones and joints, stroke"
        assert body["description_en"].startswith("Please come without breakfast.")
        assert body["audience_en"] == "Residents of the street"
        [session] = body["sessions"]
        assert session["venue"]["address_en"] == "1 Xuante Jiayuan, Liulitun"
        assert session["slots"][0]["label"] == "中医科"
        assert session["slots"][0]["label_en"] == "Chinese medicine"
    plain = client.get(f"/api/v1/events/{screening['plain'].id}").get_json()
    assert plain["title_en"] is None and plain["summary_en"] is None
    assert plain["sessions"][0]["venue"]["address_en"] is None
    one = client.get(f"/api/v1/sessions/{screening['session'].id}").get_json()
    assert one["event"]["title_en"] == "Free check-ups by specialists"


def test_api_registration_names_the_slot_in_both_languages(client, screening):
    event_session, slot = screening["session"], screening["slot"]
    response = client.post(
        f"/api/v1/sessions/{event_session.id}/registrations",
        json={
            "name": "王秀英",
            "phone": "13800138000",
            "party_size": 1,
            "slot": slot.id,
            "consent": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["slot"] == {
        "id": slot.id,
        "label": "中医科",
        "label_en": "Chinese medicine",
    }


# ---------------------------------------------------------------------------------------------
# Import: the Chinese fields only


def ics(*summary_lines: str, description: str = "DESCRIPTION:说明") -> bytes:
    start = (importer.utcnow().astimezone(SHANGHAI) + timedelta(days=7)).strftime("%Y%m%d")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//Bilingual//EN",
        "BEGIN:VEVENT",
        "UID:bilingual@example.org",
        *summary_lines,
        description,
        f"DTSTART;TZID=Asia/Shanghai:{start}T090000",
        f"DTEND;TZID=Asia/Shanghai:{start}T110000",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def import_options(make):
    return importer.ImportOptions(
        organisation=make.organisation(), venue=make.venue(), category=make.category()
    )


def imported() -> Event:
    db.session.expire_all()
    return db.session.scalar(select(Event).where(Event.source_uid == "bilingual@example.org"))


@pytest.mark.parametrize(
    "lines",
    [
        ("SUMMARY;LANGUAGE=en:Free check-ups", "SUMMARY;LANGUAGE=zh-CN:专家义诊"),
        ("SUMMARY;LANGUAGE=zh-Hans:专家义诊", "SUMMARY;LANGUAGE=en:Free check-ups"),
        ("SUMMARY;LANGUAGE=en:Free check-ups", "SUMMARY:专家义诊"),
        ('SUMMARY;ALTREP="http://example.org/title.html";LANGUAGE=zh-CN:专家义诊',),
    ],
)
def test_import_fills_the_chinese_fields_from_language_tagged_texts(import_options, lines):
    data = ics(
        *lines,
        description='DESCRIPTION;ALTREP="cid:part1.0001@example.org";LANGUAGE=zh:请空腹前来',
    )
    report = importer.import_calendar(data, import_options, actor=None)
    assert report.events["created"] == 1, report.summary()
    event = imported()
    assert (event.title, event.description) == ("专家义诊", "请空腹前来")
    assert event.title_en is None and event.description_en is None


def test_an_english_only_title_is_imported_as_the_title(import_options):
    importer.import_calendar(ics("SUMMARY;LANGUAGE=en:Free check-ups"), import_options, None)
    assert imported().title == "Free check-ups"


def test_a_second_import_keeps_the_english_texts_staff_added(import_options):
    importer.import_calendar(ics("SUMMARY:专家义诊"), import_options, None)
    event = imported()
    event.title_en, event.description_en = "Free check-ups", "Come early."
    db.session.flush()
    report = importer.import_calendar(ics("SUMMARY:专家义诊（改）"), import_options, None)
    assert report.events["updated"] == 1
    event = imported()
    assert (event.title, event.title_en, event.description_en) == (
        "专家义诊（改）",
        "Free check-ups",
        "Come early.",
    )


def test_text_filter_escapes_the_english_text_too(client, make):
    event = make.event("讲座", title_en="Talk <script>alert(1)</script>")
    make.event_session(event)
    text = page(client, f"/events/{event.id}?lang=en")
    assert "<h1>Talk &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in text
    assert not re.search(r"<script>alert", text)


def test_place_category_and_organisation_pages_mark_chinese_names_on_english_pages(client, make):
    township = make.township("六里屯街道", slug="liulitun", name_en=None)
    make.community(township, "炫特社区", slug="xuante", name_en="Xuante")
    make.category("法律咨询", slug="legal", name_en=None)
    make.organisation("六里屯司法所", slug="justice", name_en=None)
    assert '<h1><span lang="zh-CN">六里屯街道</span></h1>' in page(
        client, "/townships/liulitun?lang=en"
    )
    text = page(client, "/communities/xuante?lang=en")
    assert "<h1>Xuante</h1>" in text and '<span lang="zh-CN">六里屯街道</span></a>' in text
    assert '><span lang="zh-CN">法律咨询</span></h1>' in page(client, "/categories/legal?lang=en")
    text = page(client, "/organisations/justice?lang=en")
    assert '<h1><span lang="zh-CN">六里屯司法所</span></h1>' in text
    assert "<h1>六里屯司法所</h1>" in page(client, "/organisations/justice?lang=zh")
