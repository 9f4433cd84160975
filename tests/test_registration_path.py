"""The resident's path through registering, as the HTTP client sees it: the outcome first,
errors summarised where the eye is, and no dead ends (full sessions, short places, slots too
small for the party, the same phone twice)."""

from __future__ import annotations

import hashlib
import json
import re
from zoneinfo import ZoneInfo

import pytest

from outreach.database import db
from outreach.messages.models import Message, MessageChannel, MessageKind
from outreach.registrations.models import Registration, RegistrationStatus
from tests.web import (
    post_form,
    register,
    registration_form,
    slot_choices,
    slot_legends,
    unversioned,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

SMS_HOOK = "https://sms.example.cn/send"


def with_sms(app) -> None:
    """A gateway for the messages these tests read; phone codes (on by default with one) are
    tested in test_phone_verification.py."""
    app.config.update(SMS_WEBHOOK_URL=SMS_HOOK, VERIFY_PHONES=False)


def outcome_of(text: str) -> str:
    """The outcome banner's text, with runs of white space made one."""
    found = re.search(r'<section id="outcome".*?</section>', text, re.S)
    assert found, "no outcome banner"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def card_of(text: str, event_session) -> str:
    """One session's card on the event page: up to the next card, or the end of the list."""
    start = text.index(f'id="session-{event_session.id}"')
    ends = [
        i for i in (text.find('<li class="card', start), text.find("</section>", start)) if i > 0
    ]
    return text[start : min(ends)]


def registrations() -> list[Registration]:
    return list(db.session.scalars(db.select(Registration).order_by(Registration.id)))


# ---------------------------------------------------------------------------------------------
# 1. The outcome first


def test_a_confirmed_family_sees_the_outcome_first_with_its_code(client, app, make):
    with_sms(app)
    event_session = make.event_session(capacity=20)
    response = register(client, event_session)
    assert response.headers["Location"].endswith("?new=1#outcome")
    assert response.headers["Cache-Control"] == "private, no-store"
    page = client.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "private, no-store"
    text = page.get_data(as_text=True)
    # The banner comes before everything else of the registration, the event's title included.
    assert text.index('id="outcome"') < text.index("<h1>") < text.index('class="code"')
    banner = outcome_of(text)
    assert "报名成功" in banner and "已为您保留3个名额" in banner
    assert "本页链接将通过短信发送到138****8000" in banner and "截图" in banner
    [registration] = registrations()
    assert registration.code in text and "请在签到台出示" in text
    # What the banner says is true: the text message with the link is queued to that number.
    message = db.session.scalar(
        db.select(Message).where(Message.registration_id == registration.id)
    )
    assert (message.channel, message.recipient) == (MessageChannel.SMS, "+8613800138000")
    assert registration.link_key in message.body


def test_with_an_e_mail_address_the_link_goes_by_e_mail(client, app, make):
    app.config["MAIL_SERVER"] = "smtp.example.cn"
    with_sms(app)
    event_session = make.event_session(capacity=20)
    response = register(client, event_session, email="wang@example.com")
    banner = outcome_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "本页链接将通过电子邮件发送到w***@example.com" in banner
    assert "短信" not in banner
    message = db.session.scalar(db.select(Message))
    assert (message.channel, message.recipient) == (MessageChannel.EMAIL, "wang@example.com")


def test_when_no_message_can_go_out_the_page_promises_none(client, make):
    event_session = make.event_session(capacity=20)
    response = register(client, event_session)
    banner = outcome_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "短信" not in banner and "电子邮件" not in banner
    assert "请保存本页网址" in banner and "截图" in banner


def test_a_waitlisted_family_is_told_its_place_in_line_and_has_no_code(client, app, make):
    with_sms(app)
    event_session = make.event_session(capacity=2)
    holder = make.registration(event_session, 2)
    response = register(client, event_session, party_size="2", waitlist="y")
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    banner = outcome_of(text)
    assert "候补中，第1位" in banner and "报名成功" not in banner
    assert "您暂时还没有名额" in banner and "发短信到138****8000" in banner
    waiting = registrations()[-1]
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert waiting.code not in text and 'class="code-text"' not in text
    assert "请在签到台出示" not in text and "出示这个报名码" not in text
    assert "还没有可在签到台出示的报名码" in text
    # And the text message promised is the one sent when the place frees up.
    from outreach.registrations import services

    services.cancel(holder)
    db.session.commit()
    promoted = db.session.scalar(
        db.select(Message).where(
            Message.registration_id == waiting.id, Message.kind == MessageKind.PROMOTED
        )
    )
    assert (promoted.channel, promoted.recipient) == (MessageChannel.SMS, "+8613800138000")


# ---------------------------------------------------------------------------------------------
# 2. Errors where the eye is


def test_a_failed_submit_summarises_the_errors_at_the_top_of_the_form(client, make):
    event_session = make.event_session(capacity=20)
    community = event_session.venue.community
    prefix = f"s{event_session.id}"
    response = register(
        client,
        event_session,
        name="",
        email="not-an-address",
        party_size="2",
        community=community.slug,
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    form = card_of(text, event_session)
    summary = re.search(r'<div class="error-summary".*?</div>', form, re.S).group(0)
    assert f'id="{prefix}-error-summary"' in summary and 'tabindex="-1"' in summary
    # The summary comes first in the form, and each entry links to its field.
    assert form.index("error-summary") < form.index(f'id="{prefix}-name"')
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert links == [
        (f"{prefix}-name", "请输入姓名。"),
        (f"{prefix}-email", "请检查电子邮箱地址。"),
    ]
    for target, _message in links:
        assert f'id="{target}"' in form
    # Nothing typed is lost, the consent included; the form opens at the session.
    assert 'value="138 0013 8000"' in form and 'value="not-an-address"' in form
    assert 'value="2"' in form
    assert re.search(
        rf'<option selected value="{community.slug}"|<option value="{community.slug}" selected',
        form,
    )
    assert re.search(rf'id="{prefix}-consent"[^>]*checked|checked[^>]*id="{prefix}-consent"', form)
    assert f'action="/sessions/{event_session.id}/register#session-{event_session.id}"' in form
    assert '<details class="register" open>' in form
    assert 'src="/static/js/register.js"' in unversioned(text)
    assert not registrations()


def test_an_unticked_consent_is_named_in_the_summary(client, make):
    event_session = make.event_session(capacity=20)
    text = register(client, event_session, consent=None).get_data(as_text=True)
    assert (
        f'<a href="#s{event_session.id}-consent">请勾选“我已阅读并同意上述隐私说明”。</a>' in text
    )


def test_a_rule_refusal_is_in_the_summary_too(client, make):
    event = make.event(allow_waitlist=False)
    event_session = make.event_session(event, capacity=3)
    make.registration(event_session, 2)
    text = register(client, event_session, party_size="3").get_data(as_text=True)
    assert f'<a href="#s{event_session.id}-party_size">只剩1个名额，请减少报名人数。</a>' in text


# ---------------------------------------------------------------------------------------------
# 3. No dead ends


def test_a_full_session_without_a_waitlist_shows_no_form(client, make):
    event = make.event(allow_waitlist=False)
    full, open_ = make.event_session(event, capacity=2), make.event_session(event, capacity=2)
    make.registration(full, 2)
    text = client.get(f"/events/{event.id}").get_data(as_text=True)
    card = card_of(text, full)
    assert "/register" not in card and "<form" not in card
    assert "已满" in card and "本活动不设候补" in card
    assert f'action="/sessions/{open_.id}/register' in card_of(text, open_)


def test_a_session_whose_slots_are_all_full_shows_no_form_without_a_waitlist(client, make):
    event_session = make.event_session(make.event(allow_waitlist=False), capacity=20)
    slot = make.slot(event_session, "中医科", capacity=1)
    make.registration(event_session, slot_id=slot.id)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert "<form" not in card and "已满" in card and "剩余" not in card


def test_a_full_session_with_a_waitlist_offers_to_join_it(client, make):
    event_session = make.event_session(capacity=2)
    make.registration(event_session, 2)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert "加入候补" in card and "名额已满。" in card
    assert f'<input type="hidden" name="s{event_session.id}-waitlist" value="y">' in card


def test_fewer_places_than_a_party_are_shown_beside_the_party_size(client, make):
    event_session = make.event_session(make.event(max_party_size=4), capacity=3)
    make.registration(event_session, 2)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    hint = re.search(rf'<p class="hint" id="s{event_session.id}-party_size-hint">([^<]*)</p>', card)
    assert hint.group(1) == "一次最多可为4人报名，目前只剩1个名额。"
    # Where places are short and the event has a waitlist, the resident chooses to wait.
    assert f'name="s{event_session.id}-waitlist"' in card and "名额不够时，我们愿意候补" in card


def test_plenty_of_places_show_no_waitlist_choice(client, make):
    event_session = make.event_session(capacity=20)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert "waitlist" not in card and "只剩" not in card


def test_a_party_larger_than_the_places_left_is_refused_without_a_waitlist(client, make):
    event_session = make.event_session(make.event(allow_waitlist=False), capacity=3)
    make.registration(event_session, 2)
    response = register(client, event_session, party_size="3")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    errors = f'<ul class="errors" id="s{event_session.id}-party_size-errors">'
    assert f"{errors}<li>只剩1个名额，请减少报名人数。" in text
    assert len(registrations()) == 1
    assert register(client, event_session, party_size="1").status_code == 302


def test_a_party_that_would_be_waitlisted_is_asked_first(client, make):
    event_session = make.event_session(capacity=3)
    make.registration(event_session, 2)
    response = register(client, event_session, party_size="3")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    prefix = f"s{event_session.id}"
    message = "只剩1个名额，3人报名将进入候补。请减少人数，或勾选“名额不够时，我们愿意候补”。"
    assert f'<a href="#{prefix}-waitlist">{message}</a>' in text
    assert f'id="{prefix}-waitlist"' in text  # the choice it names is on the form
    assert len(registrations()) == 1
    # Ticked, the family waits in line, knowingly.
    response = register(client, event_session, party_size="3", waitlist="y")
    assert response.status_code == 302
    assert registrations()[-1].status == RegistrationStatus.WAITLISTED


@pytest.fixture
def screening(make):
    """Two departments in half-hour windows: 中医科 09:00 has 2 places left of 5."""
    event_session = make.event_session(make.event(max_party_size=4), capacity=40)
    slots = make.half_hours(event_session, capacity=5)
    make.registration(event_session, 3, slot_id=slots["中医科", 0].id)
    return event_session, slots


def test_slots_are_grouped_by_department_with_their_times_and_places(client, screening):
    event_session, slots = screening
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert slot_legends(card) == [("", "中医科"), ("", "全科")]
    attributes, label = slot_choices(card)[str(slots["中医科", 0].id)]
    assert 'data-left="2"' in attributes and "disabled" not in attributes
    assert label == "09:00–09:30（剩2个）"  # the department is the legend above it
    assert "只剩2个名额" not in card  # other slots have room for any party


def test_a_slot_too_small_for_the_party_is_refused_pointing_to_others(client, screening):
    event_session, slots = screening
    response = register(client, event_session, party_size="4", slot=str(slots["中医科", 0].id))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert (
        "这个时段只剩2个名额。以下时段还能容纳4人："
        "中医科 09:30–10:00、全科 09:00–09:30、全科 09:30–10:00。"
    ) in text
    assert len(registrations()) == 1
    # The form comes back for four: the chosen slot stays chosen, the others too small
    # for four are disabled (none here), those with room are not.
    card = card_of(text, event_session)
    choices = slot_choices(card)
    assert "checked" in choices[str(slots["中医科", 0].id)][0]
    assert "disabled" not in choices[str(slots["全科", 0].id)][0]
    assert [a for a, _label in choices.values() if "checked" in a] == [
        choices[str(slots["中医科", 0].id)][0]
    ]


def test_slots_too_small_for_the_party_sent_back_are_disabled(client, screening, make):
    event_session, slots = screening
    make.registration(event_session, 4, slot_id=slots["全科", 0].id)  # 1 left there
    response = register(client, event_session, party_size="2", name="")
    card = card_of(response.get_data(as_text=True), event_session)
    small = slot_choices(card)[str(slots["全科", 0].id)][0]
    assert "disabled" in small and 'data-left="1"' in small
    roomy = slot_choices(card)[str(slots["中医科", 0].id)][0]
    assert "disabled" not in roomy  # two places left: room for two


def test_the_residents_community_is_preselected_from_the_venue(client, make):
    community = make.community(name="望京西园社区", slug="wangjing-xiyuan")
    make.community(community.township, name="花家地社区", slug="huajiadi")
    event_session = make.event_session(venue_=make.venue(community), capacity=20)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    selected = re.findall(r"<option ([^>]*)>", card)
    chosen = [attributes for attributes in selected if "selected" in attributes]
    assert chosen == ['selected value="wangjing-xiyuan"'] or chosen == [
        'value="wangjing-xiyuan" selected'
    ]


def test_a_venue_without_a_community_preselects_nothing(client, make):
    make.community(name="望京西园社区")  # a community to choose, but not the venue's
    venue = make.venue(township=make.township())
    event_session = make.event_session(venue_=venue, capacity=20)
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    community = re.search(r'<select [^>]*id="s\d+-community".*?</select>', card, re.S).group(0)
    assert "selected" not in community.replace('<option selected value="">', "")


def test_back_and_submit_again_leads_to_the_existing_booking(client, make):
    event_session = make.event_session(capacity=20)
    data = registration_form(event_session, client)
    first = client.post(f"/sessions/{event_session.id}/register", data=data)
    assert first.status_code == 302
    # Back, then the same form sent again (the browser kept it as it was).
    again = client.post(f"/sessions/{event_session.id}/register", data=data)
    [registration] = registrations()
    assert again.status_code == 302
    assert again.headers["Location"] == f"/r/{registration.manage_token}?again=1#outcome"
    assert again.headers["Cache-Control"] == "private, no-store"
    banner = outcome_of(client.get(again.headers["Location"]).get_data(as_text=True))
    # Said as "already done", never as a second success.
    assert "您已经报过名了" in banner and "报名成功" not in banner
    assert "这场活动您已用手机号 138****8000 报过名，无需重复报名。以下是您的报名信息。" in banner
    assert "您已报名，这是您的报名。" not in banner


def test_the_event_page_points_this_browser_to_its_booking(client, make):
    event_session = make.event_session(capacity=20)
    other = make.event_session(event_session.event, capacity=20)
    register(client, event_session)
    [registration] = registrations()
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    card = card_of(text, event_session)
    assert "您已报名" in card
    link = f'href="/sessions/{event_session.id}/mine"'
    assert link in card and card.index(link) < card.index("<form")
    assert "您已报名" not in card_of(text, other)
    assert registration.manage_token not in text  # the page itself never holds the secret
    mine = client.get(f"/sessions/{event_session.id}/mine")
    assert mine.headers["Location"] == f"/r/{registration.manage_token}#outcome"


def test_one_registration_per_event_points_to_the_day_taken(client, make):
    event = make.event(one_registration_per_event=True)
    first, second = make.event_session(event, capacity=20), make.event_session(event, capacity=20)
    register(client, first)
    [registration] = registrations()
    card = card_of(client.get(f"/events/{event.id}").get_data(as_text=True), second)
    assert "您已报名本活动的另一场次" in card and f'href="/sessions/{first.id}/mine"' in card
    again = register(client, second)
    assert again.headers["Location"] == f"/r/{registration.manage_token}?again=1#outcome"


def test_without_the_token_the_same_phone_is_told_how_to_find_the_booking(client, app, make):
    event_session = make.event_session(capacity=20)
    register(client, event_session, name="王秀英")
    [registration] = registrations()
    stranger = app.test_client()
    response = register(stranger, event_session, name="冒名者")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "该手机号已报名本场" in text and "报名时发出的短信或电子邮件里有该报名的链接" in text
    # Nothing of the booking reaches a browser without its token.
    for secret in (registration.manage_token, registration.code, "/mine", "王秀英", "您已报名"):
        assert secret not in text
    page = stranger.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert "您已报名" not in page and "/mine" not in page
    lost = stranger.get(f"/sessions/{event_session.id}/mine")
    assert (
        lost.headers["Location"] == f"/events/{event_session.event_id}#session-{event_session.id}"
    )
    assert len(registrations()) == 1


def test_one_submit_reports_every_mistake(client, make):
    event_session = make.event_session(capacity=20)
    text = register(client, event_session, phone="12345", consent=None).get_data(as_text=True)
    prefix = f"s{event_session.id}"
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S).group(0)
    assert re.findall(r'<a href="#([\w-]+)">', summary) == [f"{prefix}-phone", f"{prefix}-consent"]


def test_a_day_called_off_does_not_count_as_taking_part(client, make):
    from outreach.events.models import SessionStatus

    event = make.event(one_registration_per_event=True)
    first, second = make.event_session(event, capacity=20), make.event_session(event, capacity=20)
    register(client, first)
    first.status = SessionStatus.CANCELLED
    first.touch()
    db.session.commit()
    card = card_of(client.get(f"/events/{event.id}").get_data(as_text=True), second)
    assert "另一场次" not in card
    assert register(client, second).status_code == 302
    assert len(registrations()) == 2


def test_english_pages_group_and_name_slots_in_english(client, screening):
    event_session, slots = screening
    for slot in slots.values():
        slot.label_en = {"中医科": "Chinese medicine", "全科": "General practice"}[slot.label]
    db.session.commit()
    client.get("/?lang=en")
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    assert slot_legends(text) == [("", "Chinese medicine"), ("", "General practice")]
    response = register(client, event_session, party_size="4", slot=str(slots["中医科", 0].id))
    assert "These have room for 4: Chinese medicine 09:30–10:00, General practice" in (
        response.get_data(as_text=True)
    )


def test_the_event_page_finds_this_browsers_bookings_in_one_query(client, make, count_queries):
    event = make.event()
    sessions = [make.event_session(event, capacity=20) for _ in range(4)]
    register(client, sessions[0], phone="13800000001")
    with count_queries() as one:
        client.get(f"/events/{event.id}")
    for number, event_session in enumerate(sessions[1:], start=2):
        register(client, event_session, phone=f"1380000000{number}")
    with count_queries() as four:
        text = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert text.count("您已报名") == 4
    assert len(four) == len(one)


def test_the_booking_page_leads_with_the_slots_own_times(client, screening, make):
    """A half-hour of a long morning: the page says when to come, then the session's hours."""
    event_session, slots = screening
    booked = make.registration(event_session, 2, slot_id=slots["全科", 1].id)
    text = client.get(f"/r/{booked.manage_token}").get_data(as_text=True)
    when = text[text.index("<dd>", text.index('class="facts"')) : text.index("</dd>")]
    window = re.search(r'<strong class="slot-window">([^<]+)</strong>', when)
    slot = slots["全科", 1]
    local = [
        moment.astimezone(SHANGHAI).strftime("%H:%M") for moment in (slot.starts_at, slot.ends_at)
    ]
    assert window is not None and window.group(1) == "–".join(local)
    assert "（本场次 " in when
    # Without a slot of its own times, the session's hours alone.
    plain = make.registration(make.event_session())
    text = client.get(f"/r/{plain.manage_token}").get_data(as_text=True)
    assert 'class="slot-window"' not in text and "本场次" not in text


def kept_in_session_cookie(app, client) -> str:
    """What the browser's signed session cookie holds, decoded as the server reads it."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return json.dumps(data)


def test_the_session_cookie_keeps_hashes_of_manage_tokens_never_the_tokens(client, app, make):
    """A copied or logged cookie must not hand out manage links: the browser keeps the SHA-256
    of a registration's token, and the event page and "mine" still find the booking."""
    event_session = make.event_session(capacity=20)
    register(client, event_session)
    [registration] = registrations()
    kept = kept_in_session_cookie(app, client)
    assert registration.manage_token not in kept and registration.feed_token not in kept
    assert hashlib.sha256(registration.manage_token.encode()).hexdigest() in kept
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert "您已报名" in card
    mine = client.get(f"/sessions/{event_session.id}/mine")
    assert mine.headers["Location"] == f"/r/{registration.manage_token}#outcome"
    # The same form again is led back to the booking, not refused.
    again = register(client, event_session)
    assert again.headers["Location"] == f"/r/{registration.manage_token}?again=1#outcome"

    earlier = make.registration(make.event_session(capacity=5), phone="13800138000")
    other = app.test_client()
    post_form(other, f"/r/{earlier.manage_token}/remember")
    kept = kept_in_session_cookie(app, other)
    assert earlier.manage_token not in kept and earlier.feed_token not in kept
    page = other.get(f"/r/{earlier.manage_token}").get_data(as_text=True)
    assert "本设备已记住您的报名。" in page
    card = card_of(
        other.get(f"/events/{earlier.event_session.event_id}").get_data(as_text=True),
        earlier.event_session,
    )
    assert "您已报名" in card
    later_session = make.event_session(capacity=5)
    register(other, later_session)
    later = db.session.scalar(
        db.select(Registration).where(Registration.session_id == later_session.id)
    )
    assert later.feed_token == earlier.feed_token


def test_a_kept_hash_with_the_wrong_registration_id_owns_nothing(client, app, make):
    event_session = make.event_session(capacity=20)
    register(client, event_session)
    [registration] = registrations()
    other = make.registration(event_session, phone="13911112222")
    with client.session_transaction() as session:
        session["registrations"] = [
            f"{other.id}:{hashlib.sha256(registration.manage_token.encode()).hexdigest()}"
        ]
    card = card_of(
        client.get(f"/events/{event_session.event_id}").get_data(as_text=True), event_session
    )
    assert "您已报名" not in card
