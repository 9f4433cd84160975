"""A checker at the desk: the phone camera reads a resident's QR code; codes can be typed too.

Chromium's fake camera plays a video of the resident's QR code, so the bundled QR library,
the page's script and the check-in endpoint are tested together, as on a phone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import segno

from outreach.database import db, utcnow
from outreach.registrations.models import Registration
from tests.browser.axe import axe_or_skip, violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path) -> Path:
    """A short Y4M video (grey scale) of the QR code of `text`, centred, for the fake camera."""
    rows = [list(row) for row in segno.make(text, micro=False).matrix_iter(scale=8, border=4)]
    size = len(rows)
    top, left = (HEIGHT - size) // 2, (WIDTH - size) // 2
    luma = bytearray([235]) * (WIDTH * HEIGHT)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * WIDTH + left + x] = 16
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2 * 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 3)
    return path


@pytest.fixture
def desk_world(make):
    """A session of an organisation, a family of three registered, and its checker."""
    centre = make.organisation(slug="centre")
    event_session = make.event_session(make.event(organisation=centre), capacity=10)
    registration = make.registration(event_session, 3, name="王秀英", phone="13800138000")
    # Booked ahead, held today: a check-in on another day would wait for a second tap.
    length = event_session.ends_at - event_session.starts_at
    event_session.starts_at = utcnow().replace(microsecond=0)
    event_session.ends_at = event_session.starts_at + length
    checker = make.staff("checker", organisation=centre, role="checker")
    db.session.commit()
    return event_session, registration, checker


@pytest.fixture
def camera_phone(browser, desk_world, tmp_path):
    """A phone-sized page in a Chromium whose camera shows the resident's QR code."""
    video = qr_video(desk_world[1].code, tmp_path / "qr.y4m")
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", permissions=["camera"]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    chromium.close()


# The camera as a page asks for it: "ok", or the name of the refusal.
ASK_FOR_CAMERA = """
navigator.mediaDevices.getUserMedia({video: true}).then(
  (stream) => { stream.getTracks().forEach((t) => t.stop()); return "ok"; },
  (error) => error.name)
"""


def sign_in(page, live_server: str, make) -> None:
    page.goto(live_server + "/staff/login?lang=en")
    page.get_by_label("Username").fill("checker")
    page.get_by_label("Password").fill(make.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def test_camera_checks_in_a_scanned_code_and_typing_warns_on_a_second_scan(
    live_server, camera_phone, desk_world, make
):
    event_session, registration, checker = desk_world
    page = camera_phone
    sign_in(page, live_server, make)
    # The Permissions-Policy lets only the desk page use the camera: elsewhere the browser
    # refuses it, even with the user's permission granted.
    page.goto(f"{live_server}/staff/")
    assert page.evaluate(ASK_FOR_CAMERA) == "NotAllowedError"
    desk = f"{live_server}/staff/sessions/{event_session.id}/roster"
    answer = page.goto(desk)
    assert "camera=(self)" in answer.headers["permissions-policy"]
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')")
    result = page.locator("#desk-card .desk-message")

    page.get_by_text("Scan QR codes with this phone's camera").click()
    page.get_by_role("button", name="Start the camera").click()
    page.wait_for_selector("#desk-card.ok")
    assert result.text_content() == "Checked in: 王*** · 3 people"
    db.session.expire_all()
    checked = db.session.get(Registration, registration.id)
    assert checked.checked_in_at is not None and checked.checked_in_by_id == checker.id
    page.get_by_role("button", name="Stop the camera").click()

    # A page left open past its CSRF token's lifetime fetches a fresh token and goes on.
    page.evaluate("document.querySelector('#check-in [name=csrf_token]').value = 'expired'")
    page.get_by_label("Confirmation code").fill(registration.code.lower())
    page.locator("#check-in button[type=submit]").click()
    page.wait_for_selector("#desk-card.warn")
    assert result.text_content().startswith("Already checked in at")

    page.get_by_label("Confirmation code").fill("XXXXXX")
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk-card.error")
    assert result.text_content() == "No registration with this code for this session."
    assert page.url == desk  # answered in place, without leaving the page


def test_a_checker_finds_a_resident_by_the_last_four_digits_not_the_whole_number(
    live_server, phone, desk_world, make
):
    """The roster's search as a checker (who sees numbers masked) uses it at the desk, in
    Chinese: a whole number finds no one and the page says what to search by instead."""
    axe_or_skip()
    event_session, registration, _checker = desk_world
    page = phone
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("checker")
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")
    page.goto(f"{live_server}/staff/sessions/{event_session.id}/roster")
    box = page.get_by_role("searchbox", name="按报名码、姓名或手机号后四位查找")

    box.fill("138 0013 8000")
    box.press("Enter")
    page.wait_for_load_state("load")
    assert "请按报名码、姓名或手机号后四位查找" in page.get_by_role("status").all_inner_texts()[-1]
    assert page.locator("table.roster").count() == 0
    assert violations(page) == []

    box = page.get_by_role("searchbox", name="按报名码、姓名或手机号后四位查找")
    box.fill("8000")
    box.press("Enter")
    page.wait_for_load_state("load")
    row = page.locator(f"#registration-{registration.id}")
    assert "王秀英" in row.inner_text() and "138****8000" in row.inner_text()
