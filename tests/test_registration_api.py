"""The registration JSON API: every status, over the same rules as the HTML form."""

from __future__ import annotations

import pytest

from outreach.database import db
from outreach.events.models import SessionStatus
from outreach.messages.models import Message
from outreach.registrations.models import Registration, RegistrationStatus


def body(**fields):
    return {"name": "刘阿姨", "phone": "13800138000", "party_size": 2, "consent": True, **fields}


def post(client, session_id, payload, **kwargs):
    return client.post(f"/api/v1/sessions/{session_id}/registrations", json=payload, **kwargs)


def test_confirmed_registration_is_201_with_code_and_manage_link(client, make):
    event_session = make.event_session(capacity=20)
    community = make.community()
    response = post(client, event_session.id, body(community=community.slug, email="a@b.cn"))
    assert response.status_code == 201
    data = response.json
    assert data["status"] == "confirmed" and data["waitlist_position"] is None
    assert data["party_size"] == 2 and len(data["code"]) == 6
    assert data["manage_url"].endswith(f"/r/{data['manage_token']}")
    assert response.headers["Location"].endswith(f"/api/v1/registrations/{data['manage_token']}")
    stored = db.session.scalar(db.select(Registration))
    assert stored.community_id == community.id and stored.email == "a@b.cn"


def test_the_manage_link_comes_from_the_configured_address_not_the_request_host(app, client, make):
    app.config["BASE_URL"] = "https://events.example.cn"
    event_session = make.event_session(capacity=20)
    forged = {"Host": "evil.example"}
    response = post(client, event_session.id, body(), headers=forged)
    token = response.json["manage_token"]
    assert response.json["manage_url"] == f"https://events.example.cn/r/{token}"
    assert response.headers["Location"] == (
        f"https://events.example.cn/api/v1/registrations/{token}"
    )
    again = client.get(f"/api/v1/registrations/{token}", headers=forged)
    assert again.json["manage_url"] == f"https://events.example.cn/r/{token}"
    assert "evil.example" not in response.get_data(as_text=True) + again.get_data(as_text=True)


def test_waitlisted_registration_reports_its_position(client, make):
    event_session = make.event_session(capacity=2)
    post(client, event_session.id, body())
    response = post(client, event_session.id, body(phone="13900139000", party_size=1))
    assert response.status_code == 201
    assert response.json["status"] == "waitlisted"
    assert response.json["waitlist_position"] == 1


def test_slot_registration_and_seats_left_in_the_read_api(client, make):
    event_session = make.event_session(capacity=10)
    tcm = make.slot(event_session, "中医科", capacity=4)
    response = post(client, event_session.id, body(slot=tcm.id, party_size=3))
    assert response.status_code == 201
    assert response.json["slot"] == {"id": tcm.id, "label": "中医科", "label_en": None}
    session = client.get(f"/api/v1/sessions/{event_session.id}").json
    assert session["seats_left"] == 7
    assert session["slots"][0]["seats_left"] == 1


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (body(name=""), {"name"}),
        (body(phone="123"), {"phone"}),
        (body(party_size=0), {"party_size"}),
        (body(party_size=9), {"party_size"}),
        (body(party_size="2"), {"party_size"}),
        (body(party_size=True), {"party_size"}),
        (body(consent=False), {"consent"}),
        (body(consent="yes"), {"consent"}),
        (body(email="nope"), {"email"}),
        (body(community="nowhere"), {"community"}),
        (body(slot=12345), {"slot"}),
        (body(name=None, phone=None), {"name", "phone"}),
        ([1, 2], {"body"}),
    ],
)
def test_invalid_input_is_422_with_per_field_messages(client, make, payload, fields):
    event_session = make.event_session()
    response = post(client, event_session.id, payload)
    assert response.status_code == 422
    assert response.json["error"] == "invalid"
    assert set(response.json["fields"]) == fields
    assert all(response.json["fields"].values())
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_messages_follow_the_language(client, make):
    event_session = make.event_session()
    zh = post(client, event_session.id, body(phone="1"))
    en = post(client, event_session.id, body(phone="1"), headers={"Accept-Language": "en"})
    assert zh.json["fields"]["phone"] == "手机号应为11位数字、以1开头，请检查是否少填或多填。"
    assert en.json["fields"]["phone"] == "Please enter a valid mainland China mobile number."


def test_duplicate_phone_is_409(client, make):
    event_session = make.event_session()
    assert post(client, event_session.id, body()).status_code == 201
    response = post(client, event_session.id, body(phone="+86 138 0013 8000"))
    assert response.status_code == 409
    assert response.json["error"] == "duplicate"


def test_full_without_waitlist_is_409(client, make):
    event_session = make.event_session(make.event(allow_waitlist=False), capacity=1)
    post(client, event_session.id, body(party_size=1))
    response = post(client, event_session.id, body(phone="13900139000", party_size=1))
    assert response.status_code == 409
    assert response.json["error"] == "full"


def test_cancelled_session_is_409(client, make):
    from outreach.events.models import SessionStatus

    event_session = make.event_session(status=SessionStatus.CANCELLED)
    assert post(client, event_session.id, body()).status_code == 409


def test_unknown_session_is_404(client):
    response = post(client, 424242, body())
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("name=x", "application/x-www-form-urlencoded", 415),
        ("{not json", "application/json", 400),
        ("", "text/plain", 415),
        # Nested past what the parser can follow: a plain 400, never a 500.
        ("[" * 8_000 + "]" * 8_000, "application/json", 400),
        ('{"a":' * 2_500 + "1" + "}" * 2_500, "application/json", 400),
        # More than a registration could ever need: refused before it is read.
        ('{"name": "' + "张" * 20_000 + '"}', "application/json", 413),
    ],
)
def test_a_body_that_is_not_json(client, make, data, content_type, status):
    event_session = make.event_session()
    response = client.post(
        f"/api/v1/sessions/{event_session.id}/registrations",
        data=data,
        content_type=content_type,
    )
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.json["message"]
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_get_and_delete_by_token_promotes_the_waitlist(client, make):
    event_session = make.event_session(capacity=2)
    first = post(client, event_session.id, body()).json
    waiting = post(client, event_session.id, body(phone="13900139000")).json
    assert waiting["status"] == "waitlisted"
    got = client.get(f"/api/v1/registrations/{first['manage_token']}")
    assert got.status_code == 200 and got.json["code"] == first["code"]
    assert got.headers["Cache-Control"] == "private, no-store"
    deleted = client.delete(f"/api/v1/registrations/{first['manage_token']}")
    assert deleted.status_code == 200 and deleted.json["status"] == "cancelled"
    promoted = client.get(f"/api/v1/registrations/{waiting['manage_token']}").json
    assert promoted["status"] == "confirmed"
    assert (
        db.session.scalar(
            db.select(db.func.count(Registration.id)).where(
                Registration.status == RegistrationStatus.CONFIRMED
            )
        )
        == 1
    )


@pytest.mark.parametrize("token", ["nope", "A" * 43, "x" * 500])
def test_random_tokens_are_404(client, make, token):
    post(client, make.event_session().id, body())
    assert client.get(f"/api/v1/registrations/{token}").status_code == 404
    assert client.delete(f"/api/v1/registrations/{token}").status_code == 404


def test_registrations_are_rate_limited_per_address(app, client, make):
    app.config["REGISTRATION_ATTEMPTS"] = "3 per minute"
    event_session = make.event_session()
    statuses = [
        post(client, event_session.id, body(phone=make.phone())).status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert client.get("/api/v1/events").status_code == 200


def test_a_change_of_the_event_or_its_place_counts_from_the_next_registration(client, make):
    """The worker keeps the session it registers for (registrations.snapshot); a change of
    the event's rules, of the session, or of a place's name is read by the next
    registration, and the session with its places is never saved back from that copy."""
    event_session = make.event_session(capacity=20)
    assert post(client, event_session.id, body(phone="13800138001")).status_code == 201
    event_session.event.max_party_size = 1
    event_session.event.title = "改名后的活动"
    event_session.venue.name = "新的活动室"
    db.session.commit()
    too_many = post(client, event_session.id, body(phone="13800138002", party_size=2))
    assert too_many.status_code == 422 and too_many.json["field"] == "party_size"
    one = post(client, event_session.id, body(phone="13800138003", party_size=1))
    assert one.status_code == 201
    message = db.session.scalar(
        db.select(Message).join(Registration).where(Registration.phone == "+8613800138003")
    )
    assert "改名后的活动" in message.body
    event_session.capacity = 2
    db.session.commit()
    full = post(client, event_session.id, body(phone="13800138004", party_size=1))
    assert full.json["status"] == "waitlisted"
    event_session.status = SessionStatus.CANCELLED
    db.session.commit()
    assert post(client, event_session.id, body(phone="13800138005")).status_code == 409
    db.session.refresh(event_session)
    assert event_session.venue.name == "新的活动室" and event_session.seats_taken == 3


def test_e_mails_from_the_kept_session_name_every_place(client, make):
    """The second registration reads the worker's kept copy of the session: its letter
    still names the venue, community, township and organiser, and is queued to send."""
    event_session = make.event_session(capacity=20)
    venue = event_session.venue
    for phone in ("13800138011", "13800138012"):
        assert post(client, event_session.id, body(phone=phone, email="a@b.cn")).status_code == 201
    letters = db.session.scalars(db.select(Message).order_by(Message.id)).all()
    assert [m.status.value for m in letters] == ["pending", "pending"]
    for letter in letters:
        for name in (venue.name, venue.community.name, venue.township.name):
            assert name in letter.body
        assert event_session.event.organisation.name in letter.body


def test_the_checks_read_with_the_session_refuse_as_before(app, client, make):
    """Through the API the number's checks are read with the session's stamp: a second
    registration for the event (typed another way) and the day's cap are still refused."""
    event = make.event(one_registration_per_event=True)
    first, second = make.event_session(event, capacity=5), make.event_session(event, capacity=5)
    assert post(client, first.id, body(phone="13800138021")).status_code == 201
    again = post(client, second.id, body(phone="138-0013-8021"))
    assert again.status_code == 409 and again.json["error"] == "duplicate"
    app.config["REGISTRATIONS_PER_NUMBER_PER_DAY"] = 1
    capped = post(client, make.event_session(capacity=5).id, body(phone="13800138021"))
    assert capped.json["error"] == "limited"
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1
