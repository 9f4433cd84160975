"""A staff member on a phone signs out everywhere: the browser on the office computer (with
"keep me signed in") finds itself signed out."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def _sign_in(page, server, username, password, remember=False):
    page.goto(server + "/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    if remember:
        page.get_by_label("在此设备上保持登录").check()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")


def test_sign_out_everywhere_from_a_phone(live_server, phone, browser, make):
    user = make.staff("li.na", organisation=make.organisation())
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        desk = office.new_page()
        _sign_in(desk, live_server, user.username, make.PASSWORD, remember=True)
        _sign_in(phone, live_server, user.username, make.PASSWORD)

        phone.get_by_role("link", name="我的账号").click()
        phone.wait_for_url("**/staff/account")
        button = phone.get_by_role("button", name="在所有设备上退出")
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        button.click()
        phone.wait_for_url(live_server + "/")
        assert phone.get_by_text("您已在所有设备上退出登录。").is_visible()

        desk.goto(live_server + "/staff/")
        assert "/staff/login" in desk.url
    finally:
        office.close()
