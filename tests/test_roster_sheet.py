"""Paper at the desk: a session's printable sign-in sheet (签到表), and the codes ticked on it
entered afterwards in one go."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.registrations import roster, services
from outreach.registrations.models import Registration
from tests.web import login, post_form

ROWS_PER_PAGE = 30


@pytest.fixture
def screening(make, client):
    """A blood-pressure screening in two half-hours: 35 confirmed in the first (one party of
    three), 3 in the second, one on the waitlist and one cancelled; a checker and a manager."""
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    event = make.event("测血压血糖", organisation=centre)
    event_session = make.event_session(event, capacity=40)
    slots = make.half_hours(event_session, labels=("测血压血糖",), windows=2, capacity=40)
    first, second = slots["测血压血糖", 0], slots["测血压血糖", 1]
    wang = make.registration(event_session, 3, name="王秀英", phone="13800138000", slot_id=first.id)
    early = [wang] + [
        make.registration(event_session, 1, name=f"李{n}", slot_id=first.id) for n in range(34)
    ]
    late = [make.registration(event_session, 1, name="赵大妈", slot_id=second.id)] + [
        make.registration(event_session, 1, name=f"钱{n}", slot_id=second.id) for n in range(2)
    ]
    waiting = make.registration(event_session, 2, name="孙候补", slot_id=second.id)
    gone = make.registration(event_session, 1, name="周取消", slot_id=second.id)
    gone_code = gone.code
    services.cancel(gone, actor=None)
    db.session.commit()
    return SimpleNamespace(
        session=event_session,
        event=event,
        first=first,
        second=second,
        wang=wang,
        early=early,
        late=late,
        waiting=waiting,
        gone_code=gone_code,
        checker=make.staff("checker", organisation=centre, role="checker"),
        manager=make.staff("manager", organisation=centre, role="manager"),
    )


def sheet_url(event_session) -> str:
    return f"/staff/sessions/{event_session.id}/sign-in-sheet"


def paper_url(event_session) -> str:
    return f"/staff/sessions/{event_session.id}/paper-check-ins"


def pages_of(html: str) -> list[str]:
    """Each printed page's HTML."""
    return html.split('<section class="sheet-page"')[1:]


def words(html: str) -> str:
    """The text of some HTML, tags left out."""
    return re.sub(r"<[^>]+>", "", html)


def page_with(html: str, code: str) -> str:
    """The printed page holding a code's row."""
    return next(page for page in pages_of(html) if f'<tr data-code="{code}"' in page)


def codes_on(page: str) -> list[str]:
    return re.findall(r'<tr data-code="([A-Z0-9]+)"', page)


def test_sheet_has_a_page_per_slot_and_per_thirty_rows(client, screening):
    login(client, screening.checker)
    response = client.get(sheet_url(screening.session))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pages = pages_of(html)
    assert [len(codes_on(page)) for page in pages] == [ROWS_PER_PAGE, 5, 3]
    assert sorted(codes_on(pages[0]) + codes_on(pages[1])) == sorted(
        r.code for r in screening.early
    )
    assert sorted(codes_on(pages[2])) == sorted(r.code for r in screening.late)
    # Each page is headed with the event, the venue, the session's local date and time (in
    # Beijing time) and its slot with the slot's window, and says which page it is.
    for number, page in enumerate(pages, start=1):
        assert "测血压血糖" in page and screening.session.venue.name in page
        assert "09:00–11:00" in page and "Beijing time" in page
        assert f"Page {number} of 3" in page
    assert "测血压血糖 09:00–09:30" in words(pages[0]) and "测血压血糖 09:00–09:30" in words(
        pages[1]
    )
    assert "测血压血糖 09:30–10:00" in words(pages[2])
    # Waitlisted and cancelled registrations are not on the sheet.
    assert screening.waiting.code not in html and screening.gone_code not in html


def test_sheet_rows_show_the_code_a_masked_name_and_phone_people_and_a_signature_box(
    client, screening
):
    login(client, screening.manager)  # who sees numbers whole on screen: paper masks them
    page = page_with(
        client.get(sheet_url(screening.session)).get_data(as_text=True), screening.wang.code
    )
    row = page[page.index(f'<tr data-code="{screening.wang.code}"') :]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[: row.index("</tr>")], re.S)
    assert [cell.strip() for cell in cells[1:5]] == [
        screening.wang.code,
        "王***",
        "138****8000",
        "3",
    ]
    assert "王秀英" not in page and "13800138000" not in page
    assert 'class="signature"' in row
    for heading in ("Code", "Full name", "Mobile number", "People", "Signature"):
        assert f">{heading}</th>" in page


def test_sheet_marks_who_has_checked_in_already(client, screening):
    login(client, screening.checker)
    post_form(
        client, f"/staff/sessions/{screening.session.id}/check-in", {"code": screening.wang.code}
    )
    page = page_with(
        client.get(sheet_url(screening.session)).get_data(as_text=True), screening.wang.code
    )
    row = page[page.index(f'<tr data-code="{screening.wang.code}"') :]
    assert 'class="ticked"' in row[: row.index("</tr>")]


def test_sheet_of_a_session_without_slots_or_registrations_is_one_page(client, screening, make):
    empty = make.event_session(screening.event, capacity=5)
    login(client, screening.checker)
    html = client.get(sheet_url(empty)).get_data(as_text=True)
    pages = pages_of(html)
    assert len(pages) == 1 and codes_on(pages[0]) == []
    assert "Page 1 of 1" in pages[0]


def test_sheet_is_in_chinese_for_chinese_readers(client, screening):
    client.set_cookie("lang", "zh")
    login(client, screening.checker)
    html = client.get(sheet_url(screening.session)).get_data(as_text=True)
    assert "签到表" in html and "报名码" in html and "北京时间" in html and "签名" in html
    assert "第1页，共3页" in html


def test_roster_links_to_the_sheet_and_the_paper_form(client, screening):
    client.set_cookie("lang", "zh")
    login(client, screening.checker)
    html = client.get(f"/staff/sessions/{screening.session.id}/roster").get_data(as_text=True)
    assert f'href="{sheet_url(screening.session)}"' in html and "打印签到表" in html
    assert f'href="{paper_url(screening.session)}"' in html


def summary(html: str) -> dict[str, list[str]]:
    """The paper form's answer: {outcome: codes}."""
    return {
        outcome: re.findall(r"<li><code>([^<]+)</code>", body)
        for outcome, body in re.findall(
            r'<section class="paper-result" id="paper-([a-z]+)">(.*?)</section>', html, re.S
        )
    }


def test_paper_check_ins_are_entered_in_one_go_and_again_change_nothing(client, screening):
    login(client, screening.checker)
    codes = [r.code for r in screening.early[:3]]
    # Spaces, commas, new lines, full-width letters and punctuation from a Chinese keyboard.
    wide = codes[2].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}).lower()
    typed = (
        f"{codes[0]}, {codes[1].lower()}\n{wide}，ZZZZZZ\u3000{screening.waiting.code}、{codes[0]}"
    )
    assert client.get(paper_url(screening.session)).status_code == 200
    response = post_form(client, paper_url(screening.session), {"codes": typed})
    assert response.status_code == 200
    found = summary(response.get_data(as_text=True))
    assert found == {
        "done": codes,
        "refused": [screening.waiting.code],
        "unknown": ["ZZZZZZ"],
    }
    db.session.expire_all()
    arrived = db.session.scalars(select(Registration).where(Registration.code.in_(codes))).all()
    assert all(r.checked_in_by_id == screening.checker.id for r in arrived)
    first_times = {r.code: r.checked_in_at for r in arrived}

    again = post_form(client, paper_url(screening.session), {"codes": typed})
    found = summary(again.get_data(as_text=True))
    assert found["already"] == codes and "done" not in found
    db.session.expire_all()
    arrived = db.session.scalars(select(Registration).where(Registration.code.in_(codes))).all()
    assert {r.code: r.checked_in_at for r in arrived} == first_times


def test_paper_form_needs_codes_and_refuses_too_many(client, screening):
    login(client, screening.checker)
    empty = post_form(client, paper_url(screening.session), {"codes": " ,\n"})
    assert empty.status_code == 422
    many = " ".join(f"A{n:05d}" for n in range(501))
    assert post_form(client, paper_url(screening.session), {"codes": many}).status_code == 422


def test_codes_of_another_session_are_not_checked_in(client, screening, make):
    other = make.event_session(screening.event, capacity=5)
    stranger = make.registration(other, 1, name="吴先生")
    login(client, screening.checker)
    found = summary(
        post_form(client, paper_url(screening.session), {"codes": stranger.code}).get_data(
            as_text=True
        )
    )
    assert found == {"unknown": [stranger.code]}
    db.session.expire_all()
    assert db.session.get(Registration, stranger.id).checked_in_at is None


def test_sheet_runs_the_same_number_of_queries_for_many_rows(
    client, screening, make, count_queries
):
    login(client, screening.checker)
    with count_queries() as few:
        assert client.get(sheet_url(screening.session)).status_code == 200
    screening.session.capacity = screening.second.capacity = 100
    for n in range(12):
        make.registration(screening.session, 1, name=f"冯{n}", slot_id=screening.second.id)
    db.session.commit()
    with count_queries() as many:
        html = client.get(sheet_url(screening.session)).get_data(as_text=True)
    assert len(codes_on(pages_of(html)[-1])) == 3 + 12
    assert len(many) == len(few)


def test_a_registration_without_a_phone_shows_a_dash():
    without = SimpleNamespace(purged_at=None, phone=None)
    assert roster.shown_phone(without, full=False) == roster.shown_phone(without, full=True) == "—"
