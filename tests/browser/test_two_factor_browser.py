"""Two-factor sign-in on a phone: an administrator signs in with the code from their app, a
new administrator sets it up at their first sign-in, and an organiser turns it on from the
account page; every page of the way fits the screen and passes axe-core."""

from __future__ import annotations

import pyotp
import pytest

from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import password_step
from tests.factories import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def phone(phone):
    """The phone, failing the test if the Content-Security-Policy refuses anything (the
    QR code is inline SVG: it must not need inline styles)."""
    refused: list[str] = []
    phone.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield phone
    assert not refused, refused


def _clean(page, what: str) -> None:
    """No axe-core violation, and nothing wider than the phone's screen."""
    found = violations(page)
    assert not found, describe(found, where=f"{what}: ")
    width, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= client, (what, width, client)


def _send(page) -> None:
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def test_an_administrator_signs_in_with_the_code_from_their_app(live_server, phone, make):
    axe_or_skip()
    admin = make.staff("wang.admin", is_admin=True)
    password_step(phone, live_server, admin, make.PASSWORD)
    assert "/staff/login/code" in phone.url
    code = phone.get_by_label("验证器应用中的验证码")
    assert code.get_attribute("inputmode") == "numeric"
    assert code.get_attribute("autocomplete") == "one-time-code"
    _clean(phone, "the second step")

    code.fill("000000")
    _send(phone)
    assert phone.get_by_text("验证码不正确").is_visible()
    _clean(phone, "the second step with a wrong code")

    phone.get_by_label("验证器应用中的验证码").fill(totp_code(admin))
    _send(phone)
    phone.wait_for_url("**/staff/")
    assert phone.get_by_role("link", name="工作人员账号").is_visible()


def test_a_new_administrator_sets_up_two_factor_at_first_sign_in(live_server, phone, make):
    axe_or_skip()
    make.staff("li.admin", is_admin=True, two_factor=False)
    password_step(phone, live_server, "li.admin", make.PASSWORD)
    assert "/staff/login/enrol" in phone.url
    qr = phone.locator(".qr svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["x"] + box["width"] <= 390
    _clean(phone, "setting up at the first sign-in")

    secret = phone.locator("code.totp-secret").inner_text().replace(" ", "")
    phone.get_by_label("验证器应用中的验证码").fill(pyotp.TOTP(secret).now())
    _send(phone)
    codes = phone.locator("code.recovery-code")
    assert codes.count() == 10
    _clean(phone, "the recovery codes")

    phone.get_by_role("link", name="我已保存，继续").click()
    phone.wait_for_url("**/staff/")


def test_an_organiser_turns_two_factor_on_from_the_account_page(live_server, phone, make):
    axe_or_skip()
    make.staff("zhao.organiser", organisation=make.organisation())
    password_step(phone, live_server, "zhao.organiser", make.PASSWORD)
    phone.wait_for_url("**/staff/")
    phone.get_by_role("link", name="我的账号").click()
    phone.wait_for_url("**/staff/account")
    _clean(phone, "the account page, two-factor off")

    phone.get_by_role("link", name="设置两步验证登录").click()
    phone.wait_for_url("**/staff/account/two-factor")
    _clean(phone, "setting up from the account page")
    secret = phone.locator("code.totp-secret").inner_text().replace(" ", "")
    phone.get_by_label("验证器应用中的验证码").fill(pyotp.TOTP(secret).now())
    _send(phone)
    assert phone.locator("code.recovery-code").count() == 10

    phone.get_by_role("link", name="我已保存，继续").click()
    phone.wait_for_url("**/staff/account")
    assert phone.get_by_text("还剩 10 个备用码").is_visible()
    _clean(phone, "the account page, two-factor on")
