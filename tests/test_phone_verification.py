"""Phone verification by a one-time code, and the caps against seat squatting and SMS pumping.

With an SMS gateway configured, a resident's registration (the form or the API) needs the
6-digit code texted to that number at once; staff registering for a resident skip it. Texts
and registrations per number per day are capped; code requests and cancellations are
rate-limited. Without a gateway everything works as before.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta

from sqlalchemy import select

from outreach.database import db, utcnow
from outreach.messages import delivery
from outreach.messages.models import MessageStatus
from outreach.registrations import retention
from outreach.registrations.models import PhoneCheck, Registration
from tests.messages_support import outbox
from tests.web import csrf_token, login, post_form, register, registration_form

PHONE = "13800138000"


def body(**fields):
    return {"name": "刘阿姨", "phone": PHONE, "party_size": 1, "consent": True, **fields}


def register_api(client, event_session, **fields):
    return client.post(f"/api/v1/sessions/{event_session.id}/registrations", json=body(**fields))


def ask_code(client, phone=PHONE, **kwargs):
    return client.post("/api/v1/phone-codes", json={"phone": phone}, **kwargs)


def texted_code(gateway, phone=PHONE) -> str:
    """The code in the newest text the gateway received for `phone`."""
    texts = [r["json"] for r in gateway.requests if r["json"]["phone"] == "+86" + phone]
    assert texts, "no text sent"
    return re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1]["text"]).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def age_codes(seconds: int) -> None:
    """Move every code's times back, as if `seconds` had passed (no waiting in tests)."""
    moved = timedelta(seconds=seconds)
    for check in db.session.scalars(select(PhoneCheck)):
        if check.code_sent_at is not None:
            check.code_sent_at -= moved
            check.code_expires_at -= moved
    db.session.commit()


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def random_mobile(rng: random.Random) -> str:
    return "139" + "".join(str(rng.randrange(10)) for _ in range(8))


# ---------------------------------------------------------------------------------------------
# The reproduction: 7 calls with random numbers took 28 of 30 seats


def test_without_a_gateway_random_numbers_still_register_as_before(client, make):
    event_session = make.event_session(make.event(max_party_size=4), capacity=30)
    rng = random.Random(12)
    for _ in range(7):
        response = register_api(client, event_session, phone=random_mobile(rng), party_size=4)
        assert response.status_code == 201
    assert sum(r.party_size for r in registrations()) == 28


def test_with_a_gateway_random_numbers_cannot_take_seats(client, make, gateway):
    event_session = make.event_session(make.event(max_party_size=4), capacity=30)
    rng = random.Random(12)
    for _ in range(7):
        response = register_api(client, event_session, phone=random_mobile(rng), party_size=4)
        assert response.status_code == 422
        assert response.json["field"] == "phone_code"
        assert "phone_code" in response.json["fields"]
    assert registrations() == []
    assert gateway.requests == []  # and nobody was texted


# ---------------------------------------------------------------------------------------------
# The API's two steps


def test_a_code_is_texted_at_once_and_registers_once(client, make, gateway):
    event_session = make.event_session(capacity=10)
    response = ask_code(client)
    assert response.status_code == 202
    assert response.json == {"expires_in": 600, "retry_after": 60}
    [sent] = gateway.requests  # at once: no `flask deliver` round
    assert sent["json"]["phone"] == "+8613800138000"
    assert outbox() == []  # not queued with the other messages
    code = texted_code(gateway)
    assert "10" in sent["json"]["text"]
    # Only a keyed hash of the number and the code is stored.
    check = db.session.scalar(select(PhoneCheck))
    assert PHONE not in check.phone_key and code not in (check.code_hash or "")
    made = register_api(client, event_session, phone_code=code)
    assert made.status_code == 201, made.json
    again = register_api(client, make.event_session(capacity=10), phone_code=code)
    assert again.status_code == 422 and again.json["field"] == "phone_code"


def test_a_registration_refused_for_another_reason_keeps_the_code(client, make, gateway):
    event_session = make.event_session(capacity=10)
    ask_code(client)
    code = texted_code(gateway)
    refused = register_api(client, event_session, phone_code=code, party_size=99)
    assert refused.status_code == 422 and refused.json["field"] == "party_size"
    assert register_api(client, event_session, phone_code=code).status_code == 201


def test_the_code_belongs_to_its_number(client, make, gateway):
    ask_code(client)
    code = texted_code(gateway)
    other = register_api(client, make.event_session(capacity=10), phone="13900139000")
    assert other.status_code == 422
    other = register_api(
        client, make.event_session(capacity=10), phone="13900139000", phone_code=code
    )
    assert other.status_code == 422 and other.json["field"] == "phone_code"


def test_an_expired_code_is_refused(client, make, gateway):
    ask_code(client)
    code = texted_code(gateway)
    age_codes(601)
    response = register_api(client, make.event_session(capacity=10), phone_code=code)
    assert response.status_code == 422 and response.json["field"] == "phone_code"
    assert "过期" in response.json["message"]


def test_five_tries_then_even_the_right_code_is_refused(client, make, gateway):
    event_session = make.event_session(capacity=10)
    ask_code(client)
    code = texted_code(gateway)
    for left in (4, 3, 2, 1, 0):
        response = register_api(client, event_session, phone_code=wrong(code))
        assert response.status_code == 422 and response.json["field"] == "phone_code"
        assert f"{left}" in response.json["message"] or left == 0
    response = register_api(client, event_session, phone_code=code)
    assert response.status_code == 422 and response.json["field"] == "phone_code"
    assert "重新获取" in response.json["message"]
    assert registrations() == []
    # A new code starts again.
    age_codes(61)
    ask_code(client)
    assert register_api(client, event_session, phone_code=texted_code(gateway)).status_code == 201


def test_a_second_code_waits_for_the_cooldown_and_says_how_long(client, gateway):
    assert ask_code(client).status_code == 202
    again = ask_code(client)
    assert again.status_code == 429
    assert again.json["field"] == "phone"
    assert re.search(r"请\s*\d+\s*秒后", again.json["message"])
    assert 0 < again.json["retry_after"] <= 60
    assert int(again.headers["Retry-After"]) >= again.json["retry_after"]
    assert len(gateway.requests) == 1
    age_codes(61)
    assert ask_code(client).status_code == 202
    assert len(gateway.requests) == 2


def test_a_new_code_replaces_the_old_one(client, make, gateway):
    ask_code(client)
    first = texted_code(gateway)
    age_codes(61)
    ask_code(client)
    second = texted_code(gateway)
    if first != second:
        response = register_api(client, make.event_session(capacity=5), phone_code=first)
        assert response.status_code == 422
    response = register_api(client, make.event_session(capacity=5), phone_code=second)
    assert response.status_code == 201


def test_code_requests_are_checked(client, gateway):
    assert ask_code(client, "123").status_code == 422
    assert client.post("/api/v1/phone-codes", json={}).json["field"] == "phone"
    assert client.post("/api/v1/phone-codes", json=[1]).status_code == 422
    assert gateway.requests == []


def test_without_a_gateway_there_is_no_code_to_ask_for(client):
    response = ask_code(client)
    assert response.status_code == 404


def test_the_setting_overrides_the_default(app, client, make, gateway):
    app.config["VERIFY_PHONES"] = False
    assert register_api(client, make.event_session(capacity=5)).status_code == 201


def test_a_gateway_that_fails_says_when_to_ask_again(client, gateway):
    gateway.answers = [500]
    response = ask_code(client)
    assert response.status_code == 503
    assert response.json["field"] == "phone" and response.json["retry_after"] == 60
    assert "60秒后再试" in response.json["message"]
    age_codes(61)
    assert ask_code(client).status_code == 202


# ---------------------------------------------------------------------------------------------
# Caps and rate limits


def test_texts_to_a_number_are_capped_per_day_codes_and_messages_together(app, client, gateway):
    app.config["TEXTS_PER_NUMBER_PER_DAY"] = 2
    assert ask_code(client).status_code == 202
    age_codes(61)
    assert ask_code(client).status_code == 202
    age_codes(61)
    third = ask_code(client)
    assert third.status_code == 429 and "今天" in third.json["message"]
    assert len(gateway.requests) == 2


def test_messages_over_the_daily_cap_are_not_texted(app, make, gateway):
    app.config["TEXTS_PER_NUMBER_PER_DAY"] = 1
    make.registration(make.event_session(capacity=5), phone=PHONE)
    make.registration(make.event_session(capacity=5), phone=PHONE)
    assert delivery.deliver_due().outcomes == {"sent": 1, "skipped": 1}
    skipped = outbox(status=MessageStatus.SKIPPED)[0]
    assert "per day" in skipped.last_error
    assert len(gateway.requests) == 1


def test_registrations_of_one_number_are_capped_per_day(app, client, make):
    app.config["REGISTRATIONS_PER_NUMBER_PER_DAY"] = 2
    sessions = [make.event_session(capacity=5) for _ in range(3)]
    assert register_api(client, sessions[0]).status_code == 201
    token = register_api(client, sessions[1]).json["manage_token"]
    # Cancelling does not give the day's registrations back (register, cancel, repeat).
    assert client.delete(f"/api/v1/registrations/{token}").status_code == 200
    third = register_api(client, sessions[2])
    assert third.status_code == 429 and third.json["field"] == "phone"
    assert "今天" in third.json["message"]


def test_staff_are_not_held_by_the_residents_daily_cap(app, client, make):
    app.config["REGISTRATIONS_PER_NUMBER_PER_DAY"] = 1
    event = make.event()
    first = make.event_session(event, capacity=5)
    assert register_api(client, first).status_code == 201
    login(client, make.staff(organisation=event.organisation, role="checker"))
    response = walk_in(client, make.event_session(event, capacity=5))
    assert response.status_code == 302


def test_code_requests_are_rate_limited_per_address(app, client, gateway):
    app.config["PHONE_CODE_ATTEMPTS"] = "2 per minute"
    assert ask_code(client, "13800138001").status_code == 202
    assert ask_code(client, "13800138002").status_code == 202
    assert ask_code(client, "13800138003").status_code == 429
    other = ask_code(client, "13800138003", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_code_requests_are_rate_limited_per_number(app, client, gateway):
    app.config["PHONE_CODE_ATTEMPTS_PER_NUMBER"] = "1 per minute"
    assert ask_code(client).status_code == 202
    age_codes(61)  # past the cooldown, but not past the limiter
    moved = ask_code(client, "138 0013 8000", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert moved.status_code == 429
    assert len(gateway.requests) == 1


def test_cancellations_are_rate_limited_in_the_api(app, client, make):
    app.config["CANCEL_ATTEMPTS"] = "1 per minute"
    event_session = make.event_session(capacity=5)
    first = make.registration(event_session)
    second = make.registration(event_session)
    assert client.delete(f"/api/v1/registrations/{first.manage_token}").status_code == 200
    assert client.delete(f"/api/v1/registrations/{second.manage_token}").status_code == 429


def test_cancellations_are_rate_limited_on_the_manage_page(app, client, make):
    app.config["CANCEL_ATTEMPTS"] = "1 per minute"
    event_session = make.event_session(capacity=5)
    first = make.registration(event_session)
    second = make.registration(event_session)
    assert post_form(client, f"/r/{first.manage_token}/cancel").status_code == 302
    assert post_form(client, f"/r/{second.manage_token}/cancel").status_code == 429
    db.session.refresh(second)
    assert second.is_active


# ---------------------------------------------------------------------------------------------
# Staff skip verification


def walk_in(client, event_session, phone="139 1000 2000"):
    data = {
        "walkin-name": "李大爷",
        "walkin-phone": phone,
        "walkin-party_size": "1",
        "walkin-consent": "y",
    }
    return post_form(client, f"/staff/sessions/{event_session.id}/walk-in", data)


def test_a_walk_in_needs_no_code(client, make, gateway):
    event = make.event()
    event_session = make.event_session(event, capacity=5)
    login(client, make.staff(organisation=event.organisation, role="checker"))
    assert walk_in(client, event_session).status_code == 302
    assert len(registrations()) == 1
    assert gateway.requests == []


# ---------------------------------------------------------------------------------------------
# The resident's form, without JavaScript


def send_code(client, event_session, **fields):
    data = registration_form(event_session, client, **fields)
    data[f"s{event_session.id}-send_code"] = "y"
    return client.post(f"/sessions/{event_session.id}/phone-code", data=data)


def test_the_form_has_no_code_field_without_a_gateway(client, make):
    event_session = make.event_session(capacity=5)
    page = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert "验证码" not in page
    assert register(client, event_session).status_code == 302


def test_the_form_sends_a_code_keeps_every_value_and_registers_with_it(client, make, gateway):
    event_session = make.event_session(capacity=5)
    page = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert "发送验证码" in page and 'autocomplete="one-time-code"' in page
    assert 'formaction="/sessions/' in page
    response = send_code(client, event_session, name="王秀英", party_size="2", email="w@x.cn")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "验证码已发送至138****8000，10分钟内有效" in text
    assert 'value="王秀英"' in text and 'value="w@x.cn"' in text and 'value="2"' in text
    code_input = re.search(r'<input[^>]*name="s\d+-phone_code"[^>]*>', text).group(0)
    assert "autofocus" in code_input and 'inputmode="numeric"' in code_input
    assert registrations() == []
    code = texted_code(gateway)
    done = register(client, event_session, phone_code=code)
    assert done.status_code == 302 and "/r/" in done.headers["Location"]
    assert len(registrations()) == 1


def test_a_wrong_code_is_said_in_the_summary_and_changes_nothing(client, make, gateway):
    event_session = make.event_session(capacity=5)
    send_code(client, event_session)
    code = texted_code(gateway)
    response = register(client, event_session, name="王秀英", phone_code=wrong(code))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S).group(0)
    assert "验证码不正确" in summary and "4" in summary
    assert 'value="王秀英"' in text
    assert registrations() == []


def test_a_form_without_a_code_asks_for_one(client, make, gateway):
    event_session = make.event_session(capacity=5)
    response = register(client, event_session)
    assert response.status_code == 422
    assert "验证码" in re.search(
        r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S
    ).group(0)
    assert registrations() == []


def test_a_verified_browser_registers_again_soon_without_a_new_text(client, make, gateway):
    first, second = make.event_session(capacity=5), make.event_session(capacity=5)
    send_code(client, first)
    register(client, first, phone_code=texted_code(gateway))
    page = client.get(f"/events/{second.event_id}").get_data(as_text=True)
    assert "本设备30分钟内验证过的号码不用再填" in page
    assert register(client, second).status_code == 302
    assert len(registrations()) == 2 and len(gateway.requests) == 1
    # Another number from the same browser still needs its own code.
    assert register(client, make.event_session(capacity=5), phone="13900139000").status_code == 422
    # And another browser with the same number too.
    other = client.application.test_client()
    assert register(other, make.event_session(capacity=5)).status_code == 422


def test_the_form_shows_the_cooldown_beside_the_phone(client, make, gateway):
    event_session = make.event_session(capacity=5)
    send_code(client, event_session)
    response = send_code(client, event_session)
    assert response.status_code == 422
    assert re.search(r"请\s*\d+\s*秒后", response.get_data(as_text=True))
    assert len(gateway.requests) == 1


def test_the_send_code_button_is_rate_limited_per_address(app, client, make, gateway):
    app.config["PHONE_CODE_ATTEMPTS"] = "1 per minute"
    event_session = make.event_session(capacity=5)
    assert send_code(client, event_session).status_code == 200
    assert send_code(client, event_session, phone="13900139000").status_code == 429
    assert len(gateway.requests) == 1


def test_the_form_says_when_the_gateway_did_not_take_the_code(client, make, gateway):
    gateway.answers = [503]
    event_session = make.event_session(capacity=5)
    response = send_code(client, event_session, name="王秀英")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "验证码暂时发送不了，请60秒后再试。" in text and 'value="王秀英"' in text
    assert "验证码已发送至" not in text


def test_the_send_code_button_checks_the_number_first(client, make, gateway):
    event_session = make.event_session(capacity=5)
    response = send_code(client, event_session, phone="123")
    assert response.status_code == 422
    assert gateway.requests == []


def test_the_code_request_needs_the_forms_csrf_token(client, make, gateway):
    event_session = make.event_session(capacity=5)
    data = registration_form(event_session, client)
    data.pop(f"s{event_session.id}-csrf_token")
    response = client.post(f"/sessions/{event_session.id}/phone-code", data=data)
    assert response.status_code == 400
    assert gateway.requests == []
    assert csrf_token(client)


# ---------------------------------------------------------------------------------------------
# Retention


def test_the_purge_erases_old_code_records(client, gateway):
    ask_code(client)
    assert db.session.scalar(select(PhoneCheck)) is not None
    assert retention.purge_phone_checks(now=utcnow() + timedelta(hours=23)) == 0
    assert retention.purge_phone_checks(now=utcnow() + timedelta(days=2)) == 1
    assert db.session.scalar(select(PhoneCheck)) is None


def test_the_purge_command_erases_day_old_code_records(client, gateway, runner):
    ask_code(client)
    check = db.session.scalar(select(PhoneCheck))
    check.updated_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = runner.invoke(args=["purge-personal-data"])
    assert "Erased 1 phone verification records" in result.output
    assert db.session.scalar(select(PhoneCheck)) is None
