"""The staff roster of a session: access, masking, search, check-in, walk-ins, cancel, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from outreach.accounts import permissions
from outreach.accounts.models import AuditEntry, Role
from outreach.database import db, utcnow
from outreach.events.models import SessionStatus
from outreach.registrations.models import Registration, RegistrationStatus
from tests.factories import SHANGHAI
from tests.web import login, post_form

FULL = "+8613800138000"
PHONE = re.compile(r"\+86[0-9]{11}")
MASKED = "138****8000"
WHO = ("anonymous", "checker", "organiser", "outsider", "manager", "admin")
LOGIN, OK, NO, REDIRECT = "login", 200, 403, "redirect"
VIEWER_PAGE = (LOGIN, OK, OK, NO, OK, OK)
VIEWER_ACTION = (LOGIN, REDIRECT, REDIRECT, NO, REDIRECT, REDIRECT)
EDITOR_ACTION = (LOGIN, NO, REDIRECT, NO, REDIRECT, REDIRECT)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def fresh(obj):
    """The row as the database has it now (the request ran in its own unit of work)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def booked_session(make, client):
    """Organisation A's session (6 seats) with one registration of three; staff of A and B.

    The client's interface is English, so messages are asserted in English.
    """
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    event = make.event(organisation=centre)
    event_session = make.event_session(event, capacity=6)
    wang = make.registration(event_session, 3, name="王秀英", phone="13800138000")
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "outsider": make.staff("outsider", organisation=other, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    return SimpleNamespace(
        event=event, session=event_session, wang=wang, users=users, url=url_for(event_session)
    )


def url_for(event_session, page: str = "roster") -> str:
    return f"/staff/sessions/{event_session.id}/{page}"


def walk_in_data(**fields) -> dict[str, str]:
    data = {"name": "李大爷", "phone": "139 1000 2000", "party_size": "2", "consent": "y"}
    data.update(fields)
    return {f"walkin-{key}": value for key, value in data.items() if value is not None}


def _assert_status(response, expected) -> None:
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/staff/login"), location
    elif expected == REDIRECT:
        assert response.status_code == 302 and not location.startswith("/staff/login")
    else:
        assert response.status_code == expected, response.status_code


# ---------------------------------------------------------------------------------------------
# Who may open what


MATRIX = [
    ("GET", "roster", VIEWER_PAGE, {}),
    ("GET", "scan", VIEWER_PAGE, {}),
    ("GET", "roster.csv", VIEWER_PAGE, {}),
    ("GET", "roster.xlsx", VIEWER_PAGE, {}),
    ("POST", "check-in", VIEWER_ACTION, {"code": "{code}"}),
    ("POST", "walk-in", VIEWER_ACTION, walk_in_data()),
    ("GET", "sign-in-sheet", VIEWER_PAGE, {}),
    ("GET", "paper-check-ins", VIEWER_PAGE, {}),
    ("POST", "paper-check-ins", (LOGIN, OK, OK, NO, OK, OK), {"codes": "{code}"}),
    ("POST", "seats", EDITOR_ACTION, {"seats-seats": "1"}),
    ("POST", "registrations/{registration}/cancel", EDITOR_ACTION, {}),
]
MATRIX_ROWS = [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("method", "page", "expected", "data"), MATRIX_ROWS)
def test_roster_access_matrix(client, booked_session, who, method, page, expected, data):
    if who != "anonymous":
        login(client, booked_session.users[who])
    url = url_for(booked_session.session, page.format(registration=booked_session.wang.id))
    if method == "GET":
        response = client.get(url)
    else:
        body = {key: value.format(code=booked_session.wang.code) for key, value in data.items()}
        response = post_form(client, url, body)
    _assert_status(response, expected[WHO.index(who)])


def test_every_roster_url_is_in_the_matrix(app):
    rules = {
        (str(rule).split("/", 4)[-1], method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("roster.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    pages = {
        (page.replace("{registration}", "<id:registration_id>"), method)
        for method, page, _expected, _data in MATRIX
    }
    assert rules == pages


def test_outsider_is_refused_whatever_is_posted(client, booked_session):
    login(client, booked_session.users["outsider"])
    response = post_form(
        client, url_for(booked_session.session, "check-in"), {"code": booked_session.wang.code}
    )
    assert response.status_code == 403
    assert fresh(booked_session.wang).checked_in_at is None
    response = post_form(client, url_for(booked_session.session, "walk-in"), walk_in_data())
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Registration.id))) == 1


@pytest.mark.parametrize(
    "page", ["roster", "scan", "roster.csv", "roster.xlsx", "registrations/1/cancel"]
)
@pytest.mark.parametrize("session_id", ["999999", "99999999999", "0", "abc", "-1"])
def test_unknown_session_is_404(client, booked_session, page, session_id):
    login(client, booked_session.users["admin"])
    url = f"/staff/sessions/{session_id}/{page}"
    response = post_form(client, url) if page.endswith("cancel") else client.get(url)
    assert response.status_code == 404


def test_registration_of_another_session_cannot_be_cancelled_through_this_one(
    client, booked_session, make
):
    other_session = make.event_session(booked_session.event, capacity=5)
    elsewhere = make.registration(other_session)
    login(client, booked_session.users["manager"])
    for registration_id in (elsewhere.id, 99999999999, 0):
        url = url_for(booked_session.session, f"registrations/{registration_id}/cancel")
        assert post_form(client, url).status_code == 404
    assert fresh(elsewhere).status == RegistrationStatus.CONFIRMED


def test_posts_need_the_csrf_token(client, booked_session):
    login(client, booked_session.users["manager"])
    for page in ("check-in", "walk-in", f"registrations/{booked_session.wang.id}/cancel"):
        response = client.post(
            url_for(booked_session.session, page), data={"code": booked_session.wang.code}
        )
        assert response.status_code == 400
    assert fresh(booked_session.wang).checked_in_at is None
    assert fresh(booked_session.wang).status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    ("role", "admin", "organisation_id", "expected"),
    [
        (Role.MANAGER, False, 1, True),
        (Role.MANAGER, False, 2, False),
        (Role.ORGANISER, False, 1, False),
        (Role.CHECKER, False, 1, False),
        (None, True, 1, True),
    ],
)
def test_only_managers_and_admins_see_phone_numbers(role, admin, organisation_id, expected):
    memberships = [SimpleNamespace(organisation_id=1, role=role)] if role else []
    user = SimpleNamespace(is_authenticated=True, is_admin=admin, memberships=memberships)
    assert permissions.can_see_phone_numbers(user, organisation_id) is expected


# ---------------------------------------------------------------------------------------------
# The page


def test_roster_shows_the_session_seats_and_registrations(client, booked_session, make):
    tcm = make.slot(booked_session.session, "中医科", capacity=4)
    make.registration(booked_session.session, 2, name="赵大妈", slot_id=tcm.id)
    make.registration(booked_session.session, 2, name="钱先生", slot_id=tcm.id)  # waitlisted
    login(client, booked_session.users["checker"])
    text = text_of(client.get(booked_session.url))
    assert booked_session.event.title in text and "09:00–11:00" in text
    assert "王秀英" in text and "赵大妈" in text and booked_session.wang.code in text
    assert "Confirmed: <strong>5</strong> / 6" in text
    assert "Places left: <strong>1</strong>" in text
    assert "On the waitlist: <strong>2</strong>" in text
    assert "Waitlist, number 1" in text
    assert "中医科" in text and "<td>4</td><td>2</td><td>2</td>" in text


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("checker", MASKED, FULL),
        ("organiser", MASKED, FULL),
        ("manager", FULL, MASKED),
        ("admin", FULL, MASKED),
    ],
)
def test_phone_numbers_are_masked_except_for_managers(client, booked_session, who, shown, hidden):
    login(client, booked_session.users[who])
    for page in ("roster", "roster.csv"):
        text = text_of(client.get(url_for(booked_session.session, page)))
        assert shown in text and hidden not in text
    workbook = load_workbook(
        io.BytesIO(client.get(url_for(booked_session.session, "roster.xlsx")).data)
    )
    phones = [row[6] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert phones == [shown]


def test_email_is_masked_for_checkers(client, booked_session, make):
    make.registration(booked_session.session, name="孙女士", email="sun.li@example.com")
    login(client, booked_session.users["checker"])
    assert "s***@example.com" in text_of(client.get(url_for(booked_session.session, "roster.csv")))
    assert "sun.li@example.com" not in text_of(
        client.get(url_for(booked_session.session, "roster.csv"))
    )


def test_roster_page_runs_the_same_number_of_queries_for_many_registrations(
    client, booked_session, make, count_queries
):
    tcm = make.slot(booked_session.session, capacity=100)
    login(client, booked_session.users["manager"])
    client.get(booked_session.url)
    with count_queries() as few:
        assert client.get(booked_session.url).status_code == 200
    manager = booked_session.users["manager"]
    for number in range(12):
        made = make.registration(booked_session.session, 1, slot_id=tcm.id)
        if number % 3 == 0:
            made.checked_in_at, made.checked_in_by_id = utcnow(), manager.id
            made.created_by_id = manager.id
    db.session.commit()
    with count_queries() as many:
        assert client.get(booked_session.url).status_code == 200
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------
# Search


WHOLE_NUMBER = ["138 0013 8000", "13800138000", "+86 138-0013-8000", "008613800138000"]


@pytest.mark.parametrize(
    ("query", "who"),
    [(query, "manager") for query in WHOLE_NUMBER]
    + [("8000", "checker"), ("8000", "manager"), ("王秀", "checker"), ("王秀", "manager")],
)
def test_search_by_phone_in_any_typed_form_or_name(client, booked_session, make, query, who):
    """Whole numbers only for who sees them whole: see test_roster_search_privacy.py."""
    make.registration(booked_session.session, name="赵大妈", phone="13911112222")
    login(client, booked_session.users[who])
    text = text_of(client.get(booked_session.url, query_string={"q": query}))
    assert "1 registration found" in text
    assert "王秀英" in text and "赵大妈" not in text


def test_search_by_code_ignores_case_and_spaces(client, booked_session, make):
    make.registration(booked_session.session, name="赵大妈")
    login(client, booked_session.users["checker"])
    code = booked_session.wang.code
    query = f" {code[:3].lower()} {code[3:]} "
    text = text_of(client.get(booked_session.url, query_string={"q": query}))
    assert "王秀英" in text and "赵大妈" not in text


@pytest.mark.parametrize("query", ["139 9999 9999", "ZZZZZZ", "0000", "<script>", "x" * 500])
def test_search_without_a_match_says_so(client, booked_session, query):
    login(client, booked_session.users["checker"])
    response = client.get(booked_session.url, query_string={"q": query})
    assert response.status_code == 200
    assert "No registration matches" in text_of(response)
    assert "王秀英" not in text_of(response) and "<script>" not in text_of(response)


# ---------------------------------------------------------------------------------------------
# Check-in


def check_in(client, booked_session, code, **headers):
    return post_form(
        client, url_for(booked_session.session, "check-in"), {"code": code}, headers=headers
    )


def test_check_in_by_typed_code_and_a_warning_on_the_second_scan(client, booked_session):
    checker = booked_session.users["checker"]
    login(client, checker)
    response = check_in(client, booked_session, booked_session.wang.code.lower())
    assert response.status_code == 302 and response.headers["Location"] == booked_session.url
    registration = fresh(booked_session.wang)
    assert registration.checked_in_at is not None and registration.checked_in_by_id == checker.id
    page = text_of(client.get(booked_session.url))
    assert "Checked in: 王秀英 · 3 people" in page
    check_in(client, booked_session, booked_session.wang.code)
    page = text_of(client.get(booked_session.url))
    assert "Already checked in at" in page and 'class="flash warning"' in page
    assert fresh(booked_session.wang).checked_in_at == registration.checked_in_at


def test_scan_page_gets_json_answers(client, booked_session, make):
    cancelled = make.registration(booked_session.session, name="周先生")
    cancelled.status = RegistrationStatus.CANCELLED
    db.session.commit()
    login(client, booked_session.users["checker"])
    json = {"Accept": "application/json"}
    first = check_in(client, booked_session, booked_session.wang.code, **json)
    assert first.status_code == 200
    assert first.json["ok"] is True and first.json["already"] is False
    assert "王秀英" in first.json["message"]
    again = check_in(client, booked_session, booked_session.wang.code, **json)
    assert again.json["ok"] is False and again.json["already"] is True
    assert "Already checked in at" in again.json["message"]
    unknown = check_in(client, booked_session, "XXXXXX", **json)
    assert unknown.status_code == 404 and unknown.json["ok"] is False
    assert unknown.json["message"] == "No registration with this code for this session."
    gone = check_in(client, booked_session, cancelled.code, **json)
    assert gone.status_code == 409
    assert gone.json["message"] == "This registration has been cancelled."
    empty = check_in(client, booked_session, "   ", **json)
    assert empty.status_code == 422 and empty.json["outcome"] == "invalid"


def test_waitlisted_registration_is_not_checked_in(client, booked_session, make):
    make.registration(booked_session.session, 3)
    waiting = make.registration(booked_session.session, 2, name="吴奶奶")
    assert waiting.status == RegistrationStatus.WAITLISTED
    login(client, booked_session.users["checker"])
    answer = check_in(client, booked_session, waiting.code, Accept="application/json")
    assert answer.status_code == 409 and answer.json["outcome"] == "waitlisted"
    assert "on the waitlist (number 1)" in answer.json["message"]
    assert fresh(waiting).checked_in_at is None


def test_code_of_another_session_of_the_event_names_that_session(client, booked_session, make):
    other = make.event_session(
        booked_session.event, capacity=5, day=booked_session.session.starts_at.date() + timedelta(2)
    )
    elsewhere = make.registration(other)
    login(client, booked_session.users["checker"])
    answer = check_in(client, booked_session, elsewhere.code, Accept="application/json")
    assert answer.status_code == 404
    assert "This code is for another session of this event" in answer.json["message"]
    assert fresh(elsewhere).checked_in_at is None


def test_code_of_another_organisations_session_says_nothing_about_it(client, booked_session, make):
    stranger = make.registration(make.event_session(capacity=5))
    login(client, booked_session.users["checker"])
    answer = check_in(client, booked_session, stranger.code, Accept="application/json")
    assert answer.json["message"] == "No registration with this code for this session."


@pytest.mark.parametrize("code", ["", "A" * 25, "漢字漢字漢字", "'; DROP TABLE x;--"])
def test_malformed_codes_are_refused_without_harm(client, booked_session, code):
    login(client, booked_session.users["checker"])
    response = check_in(client, booked_session, code)
    assert response.status_code == 302
    assert 'class="flash error"' in text_of(client.get(booked_session.url))


def test_scan_page_has_a_camera_and_a_typed_code_and_bundled_qr_library(client, booked_session):
    login(client, booked_session.users["checker"])
    text = text_of(client.get(url_for(booked_session.session, "scan")))
    assert "<video" in text and 'name="code"' in text and 'name="csrf_token"' in text
    assert "/static/vendor/jsQR.js" in text and "/static/checkin.js" in text
    assert "//cdn" not in text and "https://" not in text
    library = client.get("/static/vendor/jsQR.js")
    assert library.status_code == 200 and b"jsQR" in library.data
    library.close()


def test_scan_page_without_javascript_comes_back_to_the_scan_page(client, booked_session):
    login(client, booked_session.users["checker"])
    url = url_for(booked_session.session, "check-in")
    response = post_form(client, url, {"code": booked_session.wang.code, "back": "scan"})
    assert response.headers["Location"] == url_for(booked_session.session, "scan")
    assert "Checked in: 王秀英" in text_of(client.get(response.headers["Location"]))


# ---------------------------------------------------------------------------------------------
# Walk-ins and cancellation by staff


def walk_in(client, booked_session, **fields):
    return post_form(client, url_for(booked_session.session, "walk-in"), walk_in_data(**fields))


def test_walk_in_is_recorded_as_made_by_the_staff_member(client, booked_session):
    checker = booked_session.users["checker"]
    login(client, checker)
    response = walk_in(client, booked_session)
    assert response.status_code == 302
    made = db.session.scalar(select(Registration).where(Registration.name == "李大爷"))
    assert made.created_by_id == checker.id and made.phone == "+8613910002000"
    assert made.status == RegistrationStatus.CONFIRMED and made.party_size == 2
    assert made.consent_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "walk-in"))
    assert entry.actor_id == checker.id and entry.target_id == made.id
    assert entry.organisation_id == booked_session.event.organisation_id
    page = text_of(client.get(booked_session.url))
    assert f"Registered 李大爷, confirmed. Code: {made.code}" in page
    assert "by checker" in page


def test_walk_in_is_waitlisted_when_full(client, booked_session):
    login(client, booked_session.users["organiser"])
    walk_in(client, booked_session, party_size="3", phone="13910002001")
    walk_in(client, booked_session, party_size="1", phone="13910002002", name="郑阿姨")
    late = db.session.scalar(select(Registration).where(Registration.name == "郑阿姨"))
    assert late.status == RegistrationStatus.WAITLISTED
    assert "on the waitlist (number 1)" in text_of(client.get(booked_session.url))


def test_walk_in_during_the_session_is_allowed(client, booked_session, make):
    started = make.event_session(booked_session.event, capacity=5)
    started.starts_at = utcnow() - timedelta(hours=1)
    started.ends_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    login(client, booked_session.users["checker"])
    response = post_form(client, url_for(started, "walk-in"), walk_in_data())
    assert response.status_code == 302
    assert db.session.scalar(select(Registration.session_id).where(Registration.name == "李大爷"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"consent": None}, "Please confirm that the resident agreed."),
        ({"name": ""}, "Please enter a name."),
        ({"phone": "12345"}, "Please enter a valid mainland China mobile number."),
        ({"phone": "13800138000"}, "This phone number is already registered for this session."),
        ({"party_size": "9"}, "A registration is for 1 to 4 people."),
        ({"party_size": "two"}, "Not a valid integer value."),
        ({"party_size": "0"}, "At least one person."),
        ({"email": "not-an-address"}, "Please check the e-mail address."),
    ],
)
def test_walk_in_errors_are_clear_keep_input_and_change_nothing(
    client, booked_session, fields, message
):
    login(client, booked_session.users["checker"])
    response = walk_in(client, booked_session, **fields)
    assert response.status_code == 422
    text = text_of(response)
    assert message in text
    assert '<details class="walk-in" id="walk-in" open>' in text
    if fields.get("name", "x"):
        assert 'value="李大爷"' in text
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_walk_in_needs_a_slot_when_the_session_has_slots(client, booked_session, make):
    tcm = make.slot(booked_session.session, "中医科", capacity=3)
    login(client, booked_session.users["checker"])
    assert walk_in(client, booked_session).status_code == 422
    assert "Please choose a time slot." in text_of(walk_in(client, booked_session))
    assert walk_in(client, booked_session, slot="99999999999").status_code == 422
    assert walk_in(client, booked_session, slot=str(tcm.id)).status_code == 302
    assert db.session.scalar(select(Registration.slot_id).where(Registration.name == "李大爷"))


@pytest.mark.parametrize("when", ["ended", "cancelled"])
def test_walk_in_is_refused_for_a_finished_or_cancelled_session(client, booked_session, when):
    event_session = db.session.get(type(booked_session.session), booked_session.session.id)
    if when == "ended":
        event_session.starts_at = utcnow() - timedelta(hours=3)
        event_session.ends_at = utcnow() - timedelta(hours=1)
        message = "This session has already finished."
    else:
        event_session.status = SessionStatus.CANCELLED
        message = "This session has been cancelled."
    db.session.commit()
    login(client, booked_session.users["checker"])
    response = walk_in(client, booked_session)
    assert response.status_code == 422 and message in text_of(response)


def test_staff_cancel_promotes_the_waitlist(client, booked_session, make):
    make.registration(booked_session.session, 3, name="赵大妈")
    waiting = make.registration(booked_session.session, 2, name="吴奶奶")
    assert waiting.status == RegistrationStatus.WAITLISTED
    organiser = booked_session.users["organiser"]
    login(client, organiser)
    response = post_form(
        client, url_for(booked_session.session, f"registrations/{booked_session.wang.id}/cancel")
    )
    assert response.status_code == 302
    cancelled = fresh(booked_session.wang)
    assert cancelled.status == RegistrationStatus.CANCELLED and cancelled.cancelled_by_staff
    assert fresh(waiting).status == RegistrationStatus.CONFIRMED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cancel"))
    assert entry.actor_id == organiser.id and entry.target_id == booked_session.wang.id
    page = text_of(client.get(booked_session.url))
    assert f"Registration {booked_session.wang.code} is cancelled." in page
    assert f"1 registration moved up from the waitlist: {waiting.code}" in page
    again = post_form(
        client, url_for(booked_session.session, f"registrations/{booked_session.wang.id}/cancel")
    )
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


# ---------------------------------------------------------------------------------------------
# Exports


def test_csv_export_has_a_bom_headings_local_times_and_defused_formulas(
    client, booked_session, make
):
    make.registration(booked_session.session, 1, name='=HYPERLINK("http://x")', phone="13911112222")
    make.registration(booked_session.session, 1, name="@SUM(A1)", phone="13911113333")
    login(client, booked_session.users["manager"])
    response = client.get(url_for(booked_session.session, "roster.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and f"session-{booked_session.session.id}.csv" in disposition
    )
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    heading, rows = table[0], table[1:]
    assert heading[:4] == ["Code", "Status", "Waitlist position", "Number of people"]
    assert "Checked in at (Beijing time)" in heading and "Made by staff" in heading
    by_code = {row[0]: dict(zip(heading, row, strict=True)) for row in rows}
    wang = by_code[booked_session.wang.code]
    assert wang["Full name"] == "王秀英" and wang["Status"] == "Confirmed"
    assert wang["Mobile number"] == FULL  # a number, not a formula: no apostrophe
    assert f",{FULL},".encode() in response.data  # the raw cell, unquoted
    registered = wang["Registered at (Beijing time)"]
    assert registered == utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") or (
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", registered)  # the minute just turned
    )
    names = {row["Full name"] for row in by_code.values()}
    assert '\'=HYPERLINK("http://x")' in names and "'@SUM(A1)" in names
    assert not any(
        cell.startswith(("=", "+", "-", "@")) and not PHONE.fullmatch(cell)
        for row in rows
        for cell in row
    )


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("+86 1=HYPERLINK(1)", "'+86 1=HYPERLINK(1)"),
        ("-2+3", "'-2+3"),
        ("+8613800138000 =1", "'+8613800138000 =1"),
        ("-12.5", "-12.5"),
        ("+8613911112222", "+8613911112222"),
    ],
)
def test_csv_export_defuses_formulas_but_not_plain_numbers(
    client, booked_session, make, name, cell
):
    entry = make.registration(booked_session.session, 1, name=name, phone="13911112222")
    login(client, booked_session.users["manager"])
    response = client.get(url_for(booked_session.session, "roster.csv"))
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    row = dict(zip(table[0], next(r for r in table if r[0] == entry.code), strict=True))
    assert row["Full name"] == cell
    assert row["Mobile number"] == "+8613911112222"
    raw_line = next(
        line for line in response.data.decode("utf-8-sig").split("\r\n") if entry.code in line
    )
    assert ",+8613911112222," in raw_line


def test_xlsx_export_has_every_registration_with_status_and_check_in(client, booked_session, make):
    checker = booked_session.users["checker"]
    walker = make.registration(booked_session.session, 3, name="=1+1")
    waiting = make.registration(booked_session.session, 2, name="吴奶奶")
    walker.created_by_id = checker.id
    db.session.commit()
    login(client, checker)
    check_in(client, booked_session, booked_session.wang.code)
    response = client.get(url_for(booked_session.session, "roster.xlsx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f"session-{booked_session.session.id}.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    heading = [cell.value for cell in sheet[1]]
    rows = {
        row[0]: dict(zip(heading, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == 3
    wang = rows[booked_session.wang.code]
    assert wang["Checked in by"] == "checker"
    checked_at = wang["Checked in at (Beijing time)"]
    local_now = utcnow().astimezone(SHANGHAI).replace(tzinfo=None)
    assert abs((checked_at - local_now).total_seconds()) < 120
    assert rows[waiting.code]["Status"] == "On the waitlist"
    assert rows[waiting.code]["Waitlist position"] == 1
    assert rows[walker.code]["Made by staff"] == "checker"
    formula_cell = next(c for c in sheet["F"] if c.value == "=1+1")
    assert formula_cell.data_type == "s"  # text, not a formula


def test_exports_of_an_empty_session_have_headings_only(client, booked_session, make):
    empty = make.event_session(booked_session.event, capacity=3)
    login(client, booked_session.users["checker"])
    table = client.get(url_for(empty, "roster.csv")).data.decode("utf-8-sig").splitlines()
    assert len(table) == 1 and table[0].startswith("Code,")
    sheet = load_workbook(io.BytesIO(client.get(url_for(empty, "roster.xlsx")).data)).active
    assert sheet.max_row == 1


WINDOWS = ["09:00–09:30", "09:30–10:00", "10:00–10:30", "10:30–11:00", "11:00–11:30"]


@pytest.fixture
def half_hour_session(booked_session, make):
    """Booked_session with five half-hours of one check-up, a registration in the first two."""
    slots = make.half_hours(booked_session.session, labels=("测血压血糖",), windows=5, capacity=9)
    booked_session.session.capacity = 60
    first = make.registration(
        booked_session.session, 1, name="赵大妈", slot_id=slots["测血压血糖", 0].id
    )
    second = make.registration(
        booked_session.session, 2, name="钱先生", slot_id=slots["测血压血糖", 1].id
    )
    db.session.commit()
    return SimpleNamespace(**vars(booked_session), first=first, second=second)


def csv_rows(client, event_session) -> tuple[list[str], dict[str, dict[str, str]]]:
    table = list(
        csv.reader(
            io.StringIO(client.get(url_for(event_session, "roster.csv")).data.decode("utf-8-sig"))
        )
    )
    return table[0], {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}


def xlsx_sheet(client, event_session):
    return load_workbook(io.BytesIO(client.get(url_for(event_session, "roster.xlsx")).data)).active


def test_exports_and_roster_give_each_slot_its_local_time_beside_its_label(
    client, half_hour_session
):
    """Five half-hours of one check-up read apart: "测血压血糖 09:00–09:30"."""
    booked = half_hour_session
    login(client, booked.users["checker"])
    _heading, rows = csv_rows(client, booked.session)
    assert rows[booked.first.code]["Time slot"] == "测血压血糖 09:00–09:30"
    assert rows[booked.second.code]["Time slot"] == "测血压血糖 09:30–10:00"
    sheet = xlsx_sheet(client, booked.session)
    heading = [cell.value for cell in sheet[1]]
    slots = {
        row[0]: row[heading.index("Time slot")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert slots[booked.first.code] == "测血压血糖 09:00–09:30"
    assert slots[booked.second.code] == "测血压血糖 09:30–10:00"
    page = text_of(client.get(booked.url))
    row = page[page.index(f'id="registration-{booked.second.id}"') :]
    row = row[: row.index("</tr>")]
    assert "测血压血糖" in row and "09:30–10:00" in row


def test_walk_in_form_offers_each_slot_with_its_time(client, half_hour_session):
    login(client, half_hour_session.users["checker"])
    page = text_of(client.get(half_hour_session.url))
    options = re.findall(r"<option value=\"\d+\">([^<]+)</option>", page)
    assert options == [f"测血压血糖 {clock}" for clock in WINDOWS]


def test_export_and_roster_times_are_local_minutes_under_a_heading_naming_beijing_time(
    client, half_hour_session
):
    booked = half_hour_session
    login(client, booked.users["checker"])
    check_in(client, booked, booked.first.code)
    heading, rows = csv_rows(client, booked.session)
    assert "Registered at (Beijing time)" in heading
    minute = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
    first = rows[booked.first.code]
    assert minute.fullmatch(first["Registered at (Beijing time)"])
    assert minute.fullmatch(first["Checked in at (Beijing time)"])
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    assert first["Checked in at (Beijing time)"][:10] in (today, "")
    sheet = xlsx_sheet(client, booked.session)
    column = [cell.value for cell in sheet[1]].index("Registered at (Beijing time)") + 1
    assert sheet.cell(row=2, column=column).number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(row=2, column=column).value.second == 0
    page = text_of(client.get(booked.url))
    assert "Registered (Beijing time)" in page and "Checked in (Beijing time)" in page
    row = page[page.index(f'id="registration-{booked.first.id}"') :]
    row = row[: row.index("</tr>")]
    assert len(minute.findall(row)) == 2  # registered, and checked in

    client.set_cookie("lang", "zh")
    heading, _rows = csv_rows(client, booked.session)
    assert "签到时间（北京时间）" in heading
    assert "（北京时间）" in text_of(client.get(booked.url))


def test_xlsx_has_fitting_widths_a_frozen_header_and_a_filter(client, half_hour_session, make):
    booked = half_hour_session
    slot = booked.first.slot
    make.registration(
        booked.session, 1, name="欧阳" + "长名字" * 4, phone="13911114444", slot_id=slot.id
    )
    login(client, booked.users["manager"])
    sheet = xlsx_sheet(client, booked.session)
    assert sheet.freeze_panes == "A2"
    last = sheet.cell(row=1, column=sheet.max_column).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
    heading = [cell.value for cell in sheet[1]]

    def width(title: str) -> float:
        letter = sheet.cell(row=1, column=heading.index(title) + 1).column_letter
        return sheet.column_dimensions[letter].width

    assert 6 <= width("Code") <= 12
    # Chinese characters count twice: 14 of them are 28 columns wide.
    assert width("Full name") >= 28
    # "测血压血糖 09:00–09:30": five characters counted twice, then eleven.
    assert width("Time slot") >= 21
    assert width("Mobile number") >= len("+8613911114444")
    assert width("Registered at (Beijing time)") >= len("Registered at (Beijing time)")


def test_xlsx_columns_are_no_wider_than_a_screen(client, booked_session, make):
    make.registration(booked_session.session, 1, name="长" * 50, phone="13911114444")
    login(client, booked_session.users["manager"])
    sheet = xlsx_sheet(client, booked_session.session)
    assert max(d.width for d in sheet.column_dimensions.values()) <= 60


def test_xlsx_headings_in_chinese_fit_their_columns(client, booked_session):
    login(client, booked_session.users["manager"])
    client.set_cookie("lang", "zh")
    sheet = xlsx_sheet(client, booked_session.session)
    for cell in sheet[1]:
        assert sheet.column_dimensions[cell.column_letter].width >= 2 * len(cell.value) - 2
