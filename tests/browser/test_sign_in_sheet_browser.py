"""Paper at the desk, in Chromium: a checker prints a session's sign-in sheet from the roster
(a page per slot and per 30 rows on A4), then enters the codes ticked on it in one go.

Chinese text needs CJK fonts (Debian's fonts-noto-cjk, which .ci/run installs).
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from outreach.database import db
from outreach.registrations.models import Registration
from tests.browser.axe import axe_or_skip, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def screening(make):
    """Two half-hours of a blood-pressure check: 32 confirmed in the first, 3 in the second."""
    centre = make.organisation(slug="centre")
    event_session = make.event_session(make.event("测血压血糖", organisation=centre), capacity=40)
    slots = make.half_hours(event_session, labels=("测血压血糖",), windows=2, capacity=40)
    early = [
        make.registration(event_session, 1, name=f"王{n}", slot_id=slots["测血压血糖", 0].id)
        for n in range(32)
    ]
    late = [
        make.registration(event_session, 2, name=f"李{n}", slot_id=slots["测血压血糖", 1].id)
        for n in range(3)
    ]
    make.staff("checker", organisation=centre, role="checker")
    return event_session, early, late


def printed(page) -> list[str]:
    """The text of each A4 page Chromium prints the page on."""
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    return [sheet.extract_text() for sheet in reader.pages]


def test_a_checker_prints_the_sign_in_sheet_and_enters_the_ticked_codes(
    live_server, sheet, screening
):
    axe_or_skip()
    event_session, early, late = screening
    page = sheet  # a desktop page in Chinese, as at a community service station's office
    page.emulate_media(media="screen")
    sign_in(page, live_server, "checker")
    page.goto(f"{live_server}/staff/sessions/{event_session.id}/roster")
    page.get_by_role("link", name="打印签到表").click()
    page.wait_for_url("**/sign-in-sheet")
    assert violations(page) == []

    page.emulate_media(media="print")
    pages = printed(page)
    assert len(pages) == 3  # 30 rows, the first slot's other 2, then the second slot
    codes = [[r.code for r in early if r.code in text] for text in pages]
    assert [len(found) for found in codes] == [30, 2, 0]
    assert all(r.code in pages[2] for r in late)
    # The PDF's text gives some characters as their radical forms (页 as ⻚) and the dash as
    # a figure dash: compare what survives that.
    for number, text in enumerate(pages, start=1):
        flat = text.replace(" ", "")
        assert f"第{number}" in flat and "共3" in flat and "北京时间" in flat
        assert "09:00" in text and "11:00" in text
    # Each page names its slot's window: 09:00–09:30, then 09:30–10:00.
    assert "10:00" in pages[2] and "10:00" not in pages[0] + pages[1]

    page.emulate_media(media="screen")
    page.get_by_role("link", name="录入纸质签到表").click()
    ticked = [early[0].code, early[31].code.lower(), late[2].code]
    page.get_by_label("签到表上已勾选的报名码").fill("，".join(ticked) + "\nZZZZZZ")
    page.get_by_role("button", name="为以上报名码签到").click()
    page.wait_for_selector("#paper-done")
    assert page.locator("#paper-done h3").inner_text() == "本次签到成功：3"
    assert page.locator("#paper-unknown li").all_inner_texts() == ["ZZZZZZ"]
    assert violations(page) == []
    db.session.expire_all()
    checked = {r.code for r in db.session.query(Registration) if r.checked_in_at is not None}
    assert checked == {early[0].code, early[31].code, late[2].code}


def test_the_sheet_and_the_paper_form_fit_a_phone(live_server, phone, screening):
    event_session, _early, _late = screening
    sign_in(phone, live_server, "checker")
    for page in ("sign-in-sheet", "paper-check-ins"):
        phone.goto(f"{live_server}/staff/sessions/{event_session.id}/{page}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, page
