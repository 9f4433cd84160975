"""A manager on a phone invites a colleague by username; the colleague accepts on their own
account page. Both pages, with an invitation on them, pass axe-core."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_or_skip, describe, violations

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def _sign_in(page, server, username, password):
    page.goto(server + "/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")


def _sign_out(page):
    page.get_by_role("button", name="退出登录").first.click()
    page.wait_for_load_state("load")


def test_a_manager_invites_a_colleague_who_accepts(live_server, phone, make):
    axe_or_skip()
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    manager = make.staff("li.manager", organisation=centre, role="manager")
    colleague = make.staff("chen.other", organisation=make.organisation(), role="organiser")

    _sign_in(phone, live_server, manager.username, make.PASSWORD)
    phone.goto(live_server + "/staff/organisations/centre")
    phone.get_by_label("已有账号的用户名").fill("CHEN.OTHER")
    phone.get_by_role("button", name="发送邀请").click()
    phone.wait_for_url("**/staff/organisations/centre")
    assert phone.get_by_text("如果“chen.other”是某个工作人员账号的用户名").is_visible()
    assert phone.get_by_role("cell", name="chen.other").is_visible()
    assert not describe(violations(phone), "organisation page: ")
    _sign_out(phone)

    _sign_in(phone, live_server, colleague.username, make.PASSWORD)
    phone.goto(live_server + "/staff/account")
    assert phone.get_by_text("六里屯社区卫生服务中心邀请您以“组织者”身份加入。").is_visible()
    assert not describe(violations(phone), "account page: ")
    accept = phone.get_by_role("button", name="接受")
    box = accept.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    accept.click()
    phone.wait_for_url("**/staff/account")
    assert phone.get_by_text("您已成为六里屯社区卫生服务中心的成员。").is_visible()
    assert phone.get_by_text("六里屯社区卫生服务中心", exact=False).count() >= 1
