"""Residents register on the event page, see their confirmation, change or cancel it."""

from __future__ import annotations

import re

import pytest

from outreach.database import db
from outreach.events.models import SessionStatus
from outreach.places import services as place_services
from outreach.registrations.models import Registration, RegistrationStatus
from tests.web import csrf_token, post_form, register, registration_form, slot_choices, slot_legends


def test_event_page_has_a_registration_form_per_open_session(client, make):
    event = make.event()
    first, second = make.event_session(event, capacity=20), make.event_session(event, capacity=20)
    make.registration(first, 3)
    text = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'action="/sessions/{first.id}/register' in text
    assert f'action="/sessions/{second.id}/register' in text
    assert "剩余17个名额" in text and "剩余20个名额" in text
    assert "隐私" in text


def test_in_a_city_sized_site_the_form_offers_the_communities_around_the_venue(
    client, make, monkeypatch
):
    monkeypatch.setattr(place_services, "CHOICE_LIMIT", 1)
    near = make.community(name="望京西园社区", slug="wangjing-xiyuan")
    make.community(near.township, name="花家地社区", slug="huajiadi")
    far = make.community(name="十八里店社区", slug="shibalidian")
    event_session = make.event_session(venue_=make.venue(near), capacity=20)
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert 'value="wangjing-xiyuan"' in text and 'value="huajiadi"' in text
    assert 'value="shibalidian"' not in text
    # A community further away is still accepted (the list is only a convenience).
    assert register(client, event_session, community=far.slug).status_code == 302
    assert db.session.scalar(db.select(Registration)).community_id == far.id


def test_the_forms_communities_are_those_a_select_offers_in_one_statement(
    app, make, monkeypatch, count_queries
):
    """The registration form's communities (read in one statement) are the listing filter's
    (two), in its order, in a district-sized site and a city-sized one, with and without
    townships to offer."""
    near = make.community(name="望京西园社区", slug="wangjing-xiyuan")
    make.community(near.township, name="花家地社区", slug="huajiadi")
    far = make.community(name="十八里店社区", slug="shibalidian")
    db.session.flush()
    for limit in (place_services.CHOICE_LIMIT, 1):
        monkeypatch.setattr(place_services, "CHOICE_LIMIT", limit)
        for townships in ([near.township_id], [near.township_id, far.township_id], [None], []):
            with count_queries() as statements:
                found = place_services.community_names(townships)
            assert len(statements) == 1
            offered = place_services.communities_to_choose(townships)
            assert found == [(c.slug, c.name, c.name_en) for c in offered]
        slugs = {slug for slug, _name, _english in place_services.community_names([None])}
        if limit == 1:  # no township: nothing to offer
            assert slugs == set()
        else:  # every community
            assert {near.slug, far.slug, "huajiadi"} <= slugs


def test_registering_leads_to_the_confirmation_page(client, make):
    event_session = make.event_session(capacity=20)
    response = register(client, event_session)
    assert response.status_code == 302
    registration = db.session.scalar(db.select(Registration))
    assert response.headers["Location"] == f"/r/{registration.manage_token}?new=1#outcome"
    assert registration.phone == "+8613800138000" and registration.party_size == 3
    assert registration.consent_at is not None and registration.language == "zh"
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert registration.code in text
    assert "<svg" in text  # the QR code, inline
    # Drawn at the size the page's CSS gives it: a viewBox, no fixed width or height.
    qr = re.search(r"<svg[^>]*>", text).group(0)
    assert "viewBox" in qr and "width=" not in qr
    assert f"/r/{registration.manage_token}.ics" in text  # its own calendar entry
    assert "报名成功" in text or "已确认" in text


def test_waitlisted_resident_sees_their_position(client, make):
    event_session = make.event_session(capacity=1)
    make.registration(event_session)
    # No place is left: the form joins the waitlist (its hidden field says so).
    response = register(client, event_session, party_size="1", waitlist="y")
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "候补" in text and "第1位" in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "请输入姓名"),
        ({"phone": "12345"}, "手机号应为11位数字、以1开头"),
        ({"party_size": "9"}, "每份报名可为1至4人"),
        ({"party_size": "two"}, "不是有效的整数"),
        ({"consent": None}, "请勾选“我已阅读并同意上述隐私说明”"),
        ({"email": "not-an-address"}, "请检查电子邮箱地址"),
    ],
)
def test_form_errors_are_clear_keep_input_and_change_nothing(client, make, fields, message):
    event_session = make.event_session()
    response = register(client, event_session, **fields)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text
    if fields.get("name", "x") != "":
        assert 'value="王秀英"' in text  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_form_errors_in_english(client, make):
    event_session = make.event_session()
    client.get("/?lang=en")
    text = register(client, event_session, phone="12345").get_data(as_text=True)
    assert "Please enter a valid mainland China mobile number." in text


def test_slot_is_required_when_the_session_has_slots(client, make):
    event_session = make.event_session()
    tcm = make.slot(event_session, "中医科", capacity=5)
    response = register(client, event_session)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "请选择时段" in text
    # The slots are radio buttons in a fieldset named 时段; the summary's link lands on the
    # first one, and the fieldset and its buttons point at the error.
    prefix = f"s{event_session.id}-slot"
    assert re.search(rf'<a href="#{prefix}">请选择时段', text)
    group = re.search(r'<fieldset class="[^"]*slot-choices has-error"[^>]*>\s*<legend>(\w+)', text)
    assert group.group(1) == "时段" and f'aria-describedby="{prefix}-errors"' in group.group(0)
    [(attributes, label)] = slot_choices(text).values()
    assert f'id="{prefix}"' in attributes and 'aria-invalid="true"' in attributes
    assert label == "中医科（剩5个）" and "checked" not in attributes
    assert f'id="{prefix}-errors"' in text
    ok = register(client, event_session, slot=str(tcm.id))
    assert ok.status_code == 302
    assert db.session.scalar(db.select(Registration.slot_id)) == tcm.id


def test_duplicate_phone_is_refused_on_the_form(client, make):
    event_session = make.event_session()
    make.registration(event_session, phone="13800138000")
    response = register(client, event_session)
    assert response.status_code == 422
    assert "该手机号已报名本场" in response.get_data(as_text=True)


def test_registration_form_requires_the_csrf_token(client, make):
    event_session = make.event_session()
    data = registration_form(event_session, client)
    data.pop(f"s{event_session.id}-csrf_token")
    response = client.post(f"/sessions/{event_session.id}/register", data=data)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_registering_for_an_unknown_or_draft_session_is_404(client, make):
    from outreach.events.models import EventStatus

    draft = make.event_session(make.event(status=EventStatus.DRAFT))
    assert register(client, draft).status_code == 404
    token = csrf_token(client)
    assert client.post("/sessions/999999/register", data={"csrf_token": token}).status_code == 404


def test_past_session_has_no_form(client, make):
    from datetime import timedelta

    from outreach.localtime import local_today

    event_session = make.event_session(day=local_today() - timedelta(days=1))
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert f"/sessions/{event_session.id}/register" not in text


def manage_url(registration) -> str:
    return f"/r/{registration.manage_token}"


def test_resident_cancels_and_the_first_waitlisted_that_fits_is_promoted(client, make):
    event_session = make.event_session(capacity=3)
    holder = make.registration(event_session, 3)
    too_big = make.registration(event_session, 4)
    fits = make.registration(event_session, 3)
    token = csrf_token(client)
    response = client.post(manage_url(holder) + "/cancel", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, holder.id).status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, too_big.id).status == RegistrationStatus.WAITLISTED
    assert db.session.get(Registration, fits.id).status == RegistrationStatus.CONFIRMED
    text = client.get(manage_url(fits)).get_data(as_text=True)
    assert "候补转为正式" in text or "递补" in text


def test_cancel_needs_the_csrf_token(client, make):
    registration = make.registration(make.event_session())
    assert client.post(manage_url(registration) + "/cancel").status_code == 400
    assert registration.status == RegistrationStatus.CONFIRMED


def test_resident_lowers_the_party_size(client, make):
    registration = make.registration(make.event_session(), 3)
    token = csrf_token(client)
    client.post(manage_url(registration) + "/party", data={"csrf_token": token, "party_size": "1"})
    db.session.refresh(registration)
    assert registration.party_size == 1
    client.post(manage_url(registration) + "/party", data={"csrf_token": token, "party_size": "4"})
    db.session.refresh(registration)
    assert registration.party_size == 1


@pytest.mark.parametrize("guess", ["x", "a" * 32, "A" * 200, "a.b"])
def test_random_tokens_are_404(client, make, guess):
    make.registration(make.event_session())
    assert client.get(f"/r/{guess}").status_code == 404
    token = csrf_token(client)
    assert client.post(f"/r/{guess}/cancel", data={"csrf_token": token}).status_code == 404


def test_public_pages_never_show_personal_data(client, make):
    event_session = make.event_session()
    make.registration(event_session, name="赵卫国", phone="13912345678")
    for url in ("/", f"/events/{event_session.event_id}", f"/api/v1/sessions/{event_session.id}"):
        text = client.get(url).get_data(as_text=True)
        assert "赵卫国" not in text
        assert "13912345678" not in text and "139****5678" not in text


def test_event_page_query_count_is_constant_with_registrations(client, make, count_queries):
    event = make.event()
    event_session = make.event_session(event, capacity=50)
    make.slot(event_session)
    with count_queries() as few:
        client.get(f"/events/{event.id}")
    for _ in range(5):
        other = make.event_session(event, capacity=50)
        make.slot(other)
        make.registration(other, slot_id=other.slots[0].id)
    with count_queries() as many:
        client.get(f"/events/{event.id}")
    assert len(many) == len(few)


def test_session_ics_download(client, make):
    event_session = make.event_session()
    response = client.get(f"/sessions/{event_session.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert f"UID:{event_session.uid}" in body
    assert re.search(r"DTSTART;TZID=Asia/Shanghai:\d{8}T090000", body)
    assert "BEGIN:VTIMEZONE" in body


def test_error_page_after_a_refused_registration_loads_eagerly(client, make, count_queries):
    event = make.event()
    sessions = [make.event_session(event, make.venue(), capacity=5) for _ in range(6)]
    make.registration(sessions[0], phone="13800138000")
    data = registration_form(sessions[0], client)  # the same phone: refused by the rules
    with count_queries() as refused:
        response = client.post(f"/sessions/{sessions[0].id}/register", data=data)
    assert response.status_code == 422
    assert len(refused) < 20


def test_a_residents_registrations_from_one_browser_share_one_calendar(client, app, make):
    first, second = make.event_session(capacity=5), make.event_session(capacity=5)
    register(client, first)
    register(client, second)
    mine = db.session.scalars(db.select(Registration).order_by(Registration.id)).all()
    assert len(mine) == 2 and mine[0].feed_token == mine[1].feed_token
    feed = client.get(f"/feeds/me/{mine[0].feed_token}.ics").get_data(as_text=True)
    assert first.uid in feed and second.uid in feed
    # Another browser using the same (unverified) number gets a calendar of its own.
    stranger = app.test_client()
    third = make.event_session(capacity=5)
    register(stranger, third)
    theirs = db.session.scalar(db.select(Registration).where(Registration.session_id == third.id))
    assert theirs.feed_token != mine[0].feed_token
    feed = stranger.get(f"/feeds/me/{theirs.feed_token}.ics").get_data(as_text=True)
    assert first.uid not in feed and third.uid in feed


def test_opening_a_manage_link_alone_does_not_tie_the_browser_to_it(client, app, make):
    """Feed fixation: a link someone sends (their booking, made with this resident's number)
    must not make the registrations made in this browser join their calendar feed."""
    planted = make.registration(make.event_session(capacity=5), phone="13800138000")
    victim = app.test_client()
    page = victim.get(f"/r/{planted.manage_token}")
    assert page.status_code == 200
    assert "在本设备上记住这次报名" in page.get_data(as_text=True)
    later_session = make.event_session(capacity=5)
    register(victim, later_session)
    later = db.session.scalar(
        db.select(Registration).where(Registration.session_id == later_session.id)
    )
    assert later.feed_token != planted.feed_token


def test_remembering_a_booking_on_this_device_lets_later_registrations_join_its_calendar(
    client, app, make
):
    earlier = make.registration(make.event_session(capacity=5), phone="13800138000")
    own_phone = app.test_client()
    own_phone.get(f"/r/{earlier.manage_token}")
    assert own_phone.post(f"/r/{earlier.manage_token}/remember").status_code == 400  # no CSRF
    answer = post_form(own_phone, f"/r/{earlier.manage_token}/remember")
    assert answer.status_code == 302 and answer.headers["Cache-Control"] == "private, no-store"
    page = own_phone.get(f"/r/{earlier.manage_token}").get_data(as_text=True)
    assert "本设备已记住您的报名。" in page and "在本设备上记住这次报名" not in page
    later_session = make.event_session(capacity=5)
    register(own_phone, later_session)
    later = db.session.scalar(
        db.select(Registration).where(Registration.session_id == later_session.id)
    )
    assert later.feed_token == earlier.feed_token


def test_the_manage_page_of_a_cancelled_day_says_so_and_offers_another(client, make):
    event = make.event(one_registration_per_event=True)
    day_one, day_two = (
        make.event_session(event, capacity=20),
        make.event_session(event, capacity=20),
    )
    registration = make.registration(day_one)
    day_one.status = SessionStatus.CANCELLED
    day_one.cancellation_reason = "场地维修"
    day_one.touch()
    db.session.commit()
    text = client.get(f"/r/{registration.manage_token}?lang=en").get_data(as_text=True)
    assert "This session has been cancelled." in text and "场地维修" in text
    assert ">Confirmed<" not in text
    assert registration.code not in text  # no check-in code for a day that will not happen
    assert f'href="/events/{event.id}"' in text and "Choose another session" in text
    response = register(client, day_two, phone=registration.phone)
    assert response.status_code == 302


def test_cancelling_asks_on_a_page_of_its_own_with_the_booking_not_in_a_dialog(client, make):
    event = make.event("专家义诊进社区")
    event_session = make.event_session(event, capacity=20)
    slot = make.half_hours(event_session)["全科", 0]
    registration = make.registration(event_session, 3, slot_id=slot.id)
    manage = client.get(manage_url(registration)).get_data(as_text=True)
    # No browser dialog (its buttons would read 取消 / 确定 under "取消报名吗？"): a link.
    assert "data-confirm" not in manage
    assert f'<a class="button danger" href="{manage_url(registration)}/cancel">取消报名</a>' in (
        manage
    )

    page = client.get(manage_url(registration) + "/cancel")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    text = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in text
    assert "要取消这次报名吗？" in text
    assert "专家义诊进社区" in text and "全科" in text and "3人" in text
    # The day and time as the manage page gives them, and the slot's window.
    when = re.search(r"<dt>时间</dt>\s*<dd>(.+?)</dd>", manage, re.S).group(1)
    assert "09:00" in when and f"<dd>{when}</dd>" in text and "09:00–09:30" in text
    # Yes: the existing cancel route, with its CSRF token; no: back to the booking.
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', text, re.S)
    assert form.group(1) == manage_url(registration) + "/cancel"
    assert 'name="csrf_token"' in form.group(2) and "是，取消报名" in form.group(2)
    assert "data-confirm" not in text
    assert f'href="{manage_url(registration)}"' in text and "不取消，保留报名" in text
    # Opening the page changes nothing.
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED


def test_a_waitlisted_resident_leaves_the_waitlist_and_has_no_calendar_entry_yet(client, make):
    event_session = make.event_session(capacity=1)
    make.registration(event_session)
    waiting = make.registration(event_session, 2)
    assert waiting.status == RegistrationStatus.WAITLISTED
    manage = client.get(manage_url(waiting)).get_data(as_text=True)
    assert "退出候补" in manage and "取消报名" not in manage
    # Its calendar entry would put a session it has no place at in the phone's calendar.
    assert f'href="{manage_url(waiting)}.ics"' not in manage
    # Promotions are told by text message only where a gateway is set up (none here).
    assert "本页会显示" in manage and "通知您" not in manage
    text = client.get(manage_url(waiting) + "/cancel").get_data(as_text=True)
    assert "要退出候补吗？" in text and "是，退出候补" in text and "不退出，继续候补" in text
    client.post(manage_url(waiting) + "/cancel", data={"csrf_token": csrf_token(client)})
    assert "您已退出候补。" in client.get(manage_url(waiting)).get_data(as_text=True)


def test_the_cancel_page_of_a_cancelled_registration_leads_back_to_it(client, make):
    registration = make.registration(make.event_session(), 1)
    post_cancel = client.post(
        manage_url(registration) + "/cancel", data={"csrf_token": csrf_token(client)}
    )
    assert post_cancel.status_code == 302
    response = client.get(manage_url(registration) + "/cancel")
    assert response.status_code == 302 and response.headers["Location"] == manage_url(registration)
    assert client.get("/r/" + "a" * 32 + "/cancel").status_code == 404


def test_slot_choices_name_their_window_under_the_department_and_never_promise_too_much(
    client, make
):
    event = make.event(allow_waitlist=False)
    event_session = make.event_session(event, capacity=9)
    slots = make.half_hours(event_session)  # 中医科 and 全科, two windows each, 6 places each
    make.registration(event_session, 4, slot_id=slots["全科", 0].id)
    make.registration(event_session, 2, slot_id=slots["全科", 0].id)  # 全科 09:00 is full
    text = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert [label for _attributes, label in slot_legends(text)] == ["中医科", "全科"]
    options = slot_choices(text)
    # The session has 3 places left: no slot may offer 6.
    assert options[str(slots["中医科", 0].id)][1] == "09:00–09:30（剩3个）"
    assert options[str(slots["中医科", 0].id)][0].count('data-left="3"') == 1
    assert options[str(slots["全科", 0].id)][1] == "09:00–09:30（已满）"
    assert "disabled" in options[str(slots["全科", 0].id)][0]
    # And the server refuses what the session cannot hold, whatever the slot has.
    response = register(client, event_session, party_size="4", slot=str(slots["中医科", 1].id))
    assert response.status_code == 422
    assert "只剩3个名额" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 2


def test_on_english_pages_a_slot_named_only_in_chinese_is_marked_as_chinese(client, make):
    event_session = make.event_session(capacity=40)
    general = make.slot(event_session, "全科", capacity=6, label_en="General practice")
    chinese = make.slot(event_session, "中医科", capacity=6)
    make.registration(event_session, 4, slot_id=chinese.id)
    make.registration(event_session, 2, slot_id=chinese.id)
    text = client.get(f"/events/{event_session.event_id}?lang=en").get_data(as_text=True)
    options = slot_choices(text)
    # One slot per label: no department legends, each choice names its label.
    assert slot_legends(text) == []
    assert options[str(general.id)][1] == "General practice (6 left)"
    attributes, label = options[str(chinese.id)]
    assert label == "中医科 (full, waitlist)" and "disabled" in attributes
    assert '<span lang="zh-CN">中医科</span> (full, waitlist)' in text
    assert '<span lang="zh-CN">General' not in text


def test_the_form_and_its_errors_read_naturally_in_chinese(client, make):
    event_session = make.event_session(capacity=20)
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert "人数（含您本人）" in text and "一次最多可为4人报名。" in text
    assert "我已阅读并同意上述隐私说明。" in text
    response = register(client, event_session, phone="138 0013 800", consent=None)
    errors = response.get_data(as_text=True)
    assert "手机号应为11位数字、以1开头，请检查是否少填或多填。" in errors
    assert "请勾选“我已阅读并同意上述隐私说明”。" in errors


def test_the_manage_page_says_the_party_as_a_number_of_people(client, make):
    registration = make.registration(make.event_session(capacity=20), 3)
    text = client.get(manage_url(registration)).get_data(as_text=True)
    assert re.search(r"<dt>人数</dt>\s*<dd>3人</dd>", text)
    assert "修改人数（只能减少）" in text and ">保存</button>" in text
    assert "减少人数" not in text and ">更新<" not in text


def test_a_session_filled_meanwhile_says_so_on_the_event_page_at_its_address(client, make):
    # The last place went while the resident was typing; the event takes no waitlist, so the
    # session shows no form to carry the message: the event page (a GET) tells it.
    event = make.event(allow_waitlist=False)
    event_session = make.event_session(event, capacity=1)
    make.registration(event_session)
    response = register(client, event_session, party_size="1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event.id}#session-{event_session.id}"
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "抱歉，本场次名额已满。" in text
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1
