"""Slugs: URL-safe, pinyin for Chinese, unique in their table."""

from __future__ import annotations

import re

import pytest

from outreach.database import db, unique_slug
from outreach.places.models import Township
from outreach.text import slugify


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
