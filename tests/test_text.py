"""Text helpers: slugs (URL-safe, pinyin for Chinese, unique in their table) and typed text
cleared of invisible characters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.database import db, unique_slug
from outreach.places.models import Township
from outreach.registrations.models import Registration
from outreach.text import slugify, visible
from tests.web import register


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("大西洋新城社区", "da-xi-yang-xin-cheng-she-qu"),
        ("六里屯街道", "liu-li-tun-jie-dao"),
        ("三里屯太古里 Taikoo Li", "san-li-tun-tai-gu-li-taikoo-li"),
        ("Green Life!", "green-life"),
        ("", "item"),
        ("！？", "item"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slugs_are_url_safe_and_bounded():
    slug = slugify("朝阳区" * 100 + "🙂/?#")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 80


def test_unique_slug_adds_a_number_when_taken(make):
    make.township("望京街道", slug="wang-jing-jie-dao")
    assert unique_slug(Township, "望京街道") == "wang-jing-jie-dao-2"
    db.session.add(Township(name="望京街道", slug="wang-jing-jie-dao-2", kind="street"))
    db.session.flush()
    assert unique_slug(Township, "望京街道") == "wang-jing-jie-dao-3"
    assert unique_slug(Township, "小红门乡") == "xiao-hong-men-xiang"


# Invisible characters: bidirectional controls and zero-width spaces never reach the database.

RLO, PDF, ZWSP, LRI, PDI = "\u202e", "\u202c", "\u200b", "\u2066", "\u2069"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (f"刘阿姨{RLO}gnp.exe", "刘阿姨gnp.exe"),
        (f"太{ZWSP}极{ZWSP}拳\ufeff", "太极拳"),
        (f"{LRI}abc{PDI}\u061c\u200e\u200f\u200c\u200d\u2060\u00ad", "abc"),
        ("bell\x07 and\x1b esc\x85", "bell and esc"),
        ("第一段\r\n\r\n第二段\t末尾", "第一段\r\n\r\n第二段\t末尾"),
        ("", ""),
        (None, None),
    ],
)
def test_visible_drops_control_and_format_characters_but_keeps_tabs_and_line_breaks(typed, kept):
    assert visible(typed) == kept


def test_a_name_typed_with_a_right_to_left_override_is_stored_without_it(client, make):
    event_session = make.event_session(capacity=20)
    response = register(client, event_session, name=f"刘{RLO}阿姨{PDF}")
    assert response.status_code == 302
    assert db.session.scalar(select(Registration.name)) == "刘阿姨"


def test_a_name_sent_to_the_api_with_bidi_controls_is_stored_without_them(client, make):
    event_session = make.event_session(capacity=20)
    body = {"name": f"{LRI}刘{ZWSP}阿姨{PDI}", "phone": "13800138000", "consent": True}
    response = client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=body)
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(Registration.name)) == "刘阿姨"


def test_a_name_of_invisible_characters_only_counts_as_empty(client, make):
    event_session = make.event_session(capacity=20)
    response = register(client, event_session, name=f"{RLO}{ZWSP}")
    assert response.status_code == 422
    assert db.session.scalar(select(Registration)) is None


def test_an_api_name_of_invisible_characters_only_is_refused(client, make):
    event_session = make.event_session(capacity=20)
    body = {"name": f"{ZWSP}{RLO}", "phone": "13800138000", "consent": True}
    response = client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=body)
    assert response.status_code == 422 and "name" in response.get_json()["fields"]
