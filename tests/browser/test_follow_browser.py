"""On a phone: the "关注" box on a community's page takes a mobile number and the consent, the
texted code confirms it (a wrong one is said at the top, focused), and the follower's page
offers to stop. Every page stays axe-clean and 390 px wide."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from outreach.database import db
from outreach.follows.models import Follow
from tests.browser.axe import axe_or_skip, describe, violations

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def clean(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    found = violations(page)
    assert not found, describe(found)


def test_a_resident_follows_a_community_with_a_texted_code(live_server, phone, make, gateway):
    axe_or_skip()
    community = make.community(name="晨光社区", slug="chenguang")
    phone.goto(f"{live_server}/communities/chenguang")
    box = phone.locator("#follow")
    box.get_by_label("手机号或电子邮箱").fill("138 0013 8000")
    box.get_by_label(re.compile("我同意保存我的手机号")).check()
    follow = box.get_by_role("button", name="关注", exact=True)
    assert follow.bounding_box()["height"] >= 44
    clean(phone)
    with phone.expect_navigation():
        follow.click()

    assert phone.get_by_text("6位验证码已发送到138****8000").is_visible()
    code = re.search(r"\d{6}", gateway.requests[-1]["json"]["text"]).group(0)
    code_field = phone.get_by_label("验证码", exact=True)
    code_field.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    with phone.expect_navigation():
        code_field.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "follow-code-errors"
    assert "验证码不正确" in phone.locator("#follow-code-errors").inner_text()
    assert db.session.scalar(select(func.count(Follow.id))) == 0
    clean(phone)

    phone.get_by_label("验证码", exact=True).fill(code)
    with phone.expect_navigation():
        phone.get_by_role("button", name=re.compile("确认并关注")).click()
    assert phone.get_by_role("heading", name="您已关注晨光社区").is_visible()
    clean(phone)
    with phone.expect_navigation():
        phone.get_by_role("link", name="查看我的关注或退订").click()
    assert phone.get_by_role("button", name="全部退订").is_visible()
    clean(phone)
    assert community.id == db.session.scalar(select(Follow.target_id))
