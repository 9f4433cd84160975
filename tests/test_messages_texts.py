"""Text messages fit one SMS segment: 70 characters with the signature and a short link, the
code once, long titles and venues cut with …; template mode sends the same templates'
variables; README.md lists the templates for the provider."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from outreach import smstext
from outreach.database import db
from outreach.messages import delivery
from outreach.messages.compose import compose
from outreach.messages.models import MessageChannel, MessageKind
from outreach.registrations import services as registration_services
from outreach.registrations import verification
from tests.messages_support import assert_one_segment, outbox

SIGNATURE = "【朝阳社区】"
# A short address of the site for links in texts (OUTREACH_SMS_LINK_BASE): 34 characters of
# the 70 go to the link, 6 to the signature; English needs a shorter one still.
SHORT_SITE = "https://cy.example.cn"
SHORTER_SITE = "https://cy.cn"
# As long as staff write them.
TITLE = "朝阳区2026年冬季社区居民免费健康体检暨慢性病筛查义诊活动（血压、血糖、血脂）"
TITLE_EN = "Free winter health check and chronic disease screening for Chaoyang residents"
VENUE = "安贞街道安华里社区卫生服务站二层多功能活动室"
SLOT = "心血管内科（高血压随访）"
DOUBLED = re.compile(r"[，。：；、,.:;!?！？]\s*[，。：；、,.:;!?！？]")

ALL_KINDS = [
    (MessageKind.CONFIRMED, "confirmed"),
    (MessageKind.PROMOTED, "confirmed"),
    (MessageKind.CANCELLED, "confirmed"),
    (MessageKind.SESSION_CANCELLED, "confirmed"),
    (MessageKind.SESSION_RESCHEDULED, "confirmed"),
    (MessageKind.SESSION_RESTORED, "confirmed"),
    (MessageKind.REMINDER, "confirmed"),
    (MessageKind.NOTICE, "confirmed"),
    (MessageKind.WAITLISTED, "waitlisted"),
    (MessageKind.REMINDER, "waitlisted"),
]


@pytest.fixture
def long_session(app, make):
    """A full session of a long-titled event at a long-named venue, one confirmed resident in
    a long-named slot, one on the waitlist."""
    app.config.update(SMS_SIGNATURE=SIGNATURE, SMS_LINK_BASE=SHORT_SITE)
    event = make.event(title=TITLE, title_en=TITLE_EN)
    event_session = make.event_session(event, make.venue(name=VENUE), capacity=1)
    slot = make.slot(
        event_session,
        SLOT,
        capacity=1,
        starts_at=event_session.starts_at + timedelta(minutes=30),
        ends_at=event_session.starts_at + timedelta(minutes=60),
    )
    return event_session, slot


def _registrations(make, event_session, slot, language):
    confirmed = make.registration(event_session, slot_id=slot.id, language=language)
    waitlisted = make.registration(event_session, slot_id=slot.id, language=language)
    return {"confirmed": confirmed, "waitlisted": waitlisted}


def _context(kind):
    if kind == MessageKind.NOTICE:
        return {"notice_subject": "通知", "notice_body": "请携带身份证和医保卡。" * 20}
    if kind == MessageKind.SESSION_RESCHEDULED:
        return {"changed": {}}
    return {}


@pytest.mark.parametrize(("language", "site"), [("zh", SHORT_SITE), ("en", SHORTER_SITE)])
def test_every_kind_fits_one_segment_with_the_longest_title_venue_and_slot(
    app, make, long_session, language, site
):
    app.config["SMS_LINK_BASE"] = site
    event_session, slot = long_session
    registrations = _registrations(make, event_session, slot, language)
    assert registrations["waitlisted"].status.value == "waitlisted"
    for kind, which in ALL_KINDS:
        registration = registrations[which]
        with app.test_request_context():
            text = compose(kind, registration, MessageChannel.SMS, **_context(kind)).body
        assert_one_segment(text)
        assert text.startswith(SIGNATURE), text
        link = f"{site}/s/{registration.link_key}"
        assert text.endswith(" " + link), text  # whole, last, after a space
        assert text.count(registration.code) <= 1, text
        if kind in (MessageKind.CONFIRMED, MessageKind.PROMOTED, MessageKind.REMINDER):
            assert (registration.code in text) == (which == "confirmed"), text
        assert not DOUBLED.search(text), text
        assert not re.search(r"[（(\s]…", text), text  # no cut right after a bracket
        # The title was cut, not dropped: its beginning and an ellipsis.
        title = TITLE if language == "zh" else TITLE_EN
        assert re.search(re.escape(title[:2]) + r"[^，,]*…", text), text


def test_the_texts_read_as_a_resident_would_read_them(app, make, long_session):
    event_session, slot = long_session
    registrations = _registrations(make, event_session, slot, "zh")
    confirmed, waitlisted = registrations["confirmed"], registrations["waitlisted"]
    with app.test_request_context():
        confirmation = compose(MessageKind.CONFIRMED, confirmed, MessageChannel.SMS).body
        waiting = compose(MessageKind.WAITLISTED, waitlisted, MessageChannel.SMS).body
        moved = compose(
            MessageKind.SESSION_RESCHEDULED, confirmed, MessageChannel.SMS, changed={}
        ).body
    day = event_session.starts_at + timedelta(hours=8)  # Beijing
    when = f"{day.month}月{day.day}日9:30"
    link = f"{SHORT_SITE}/s/{confirmed.link_key}"
    # The slot's label gave way to the title.
    assert confirmation == f"【朝阳社区】报名成功：朝阳区…，{when}，报名码{confirmed.code} {link}"
    assert len(confirmation) == 70  # the title took what was left, no more
    assert waiting.startswith("【朝阳社区】候补第1位：朝阳区")
    assert f"改为{when}" in moved and "，安贞" in moved
    # With a shorter link, the label comes back once the title has a few words.
    app.config["SMS_LINK_BASE"] = SHORTER_SITE
    with app.test_request_context():
        confirmation = compose(MessageKind.CONFIRMED, confirmed, MessageChannel.SMS).body
    assert re.search(rf"：朝阳区2…，{when} 心血管内科…，报名码", confirmation), confirmation
    assert len(confirmation) == 70


def test_the_signature_counts_in_the_seventy(app, make):
    event_session = make.event_session(make.event(title=TITLE))
    registration = make.registration(event_session)
    lengths = {}
    for signature in ("", SIGNATURE, "【朝阳区安贞街道】"):
        app.config["SMS_SIGNATURE"] = signature
        with app.test_request_context():
            text = compose(MessageKind.CONFIRMED, registration, MessageChannel.SMS).body
        assert_one_segment(text)
        assert text.startswith(signature + "报名成功：")
        lengths[signature] = len(re.search(r"：(.*?)，", text).group(1))
    # Each character of signature is one less of the title.
    for signature, title_length in lengths.items():
        assert lengths[""] - title_length == len(signature)


def test_a_short_text_is_left_whole(app, make):
    app.config["SMS_SIGNATURE"] = SIGNATURE
    event_session = make.event_session(make.event(title="义诊。"))
    registration = make.registration(event_session)
    with app.test_request_context():
        text = compose(MessageKind.CONFIRMED, registration, MessageChannel.SMS).body
    # Whole, and its own full stop does not double the template's comma.
    assert text.startswith("【朝阳社区】报名成功：义诊，") and "…" not in text


def test_a_long_staff_notice_is_cut_to_fit(app, make):
    event_session = make.event_session(make.event(title="社区义诊"))
    registration = make.registration(event_session)
    notice = "明天上午的义诊改在社区服务站二楼举行，请从东门进入，带好身份证。" * 5
    with app.test_request_context():
        text = compose(
            MessageKind.NOTICE,
            registration,
            MessageChannel.SMS,
            notice_subject="变更",
            notice_body=notice,
        ).body
    assert_one_segment(text)
    assert text.startswith("社区义诊：明天上午的义诊") and "…" in text


def test_english_in_gsm_may_use_a_whole_segment_when_allowed(app, make):
    # Gateways billing GSM-7 by the 160-character segment: OUTREACH_SMS_MAX_LENGTH=160.
    app.config["SMS_MAX_LENGTH"] = 160
    event = make.event(title="测试", title_en="Health check " * 15)
    registration = make.registration(make.event_session(event), language="en")
    with app.test_request_context():
        text = compose(MessageKind.CONFIRMED, registration, MessageChannel.SMS).body
    assert smstext.is_gsm(text) and len(text) == 160 and "check Health... 7 Dec" in text
    # And at the default 70, the same text is cut to 70.
    app.config["SMS_MAX_LENGTH"] = 70
    with app.test_request_context():
        text = compose(MessageKind.CONFIRMED, registration, MessageChannel.SMS).body
    assert len(text) == 70 and "… 7 Dec" in text


def test_length_counts_as_gateways_count():
    assert smstext.length("Hello") == 5 and smstext.limit("Hello") == 160
    assert smstext.length("a{b}") == 6  # the extension table costs two septets
    assert smstext.length("你好") == 2 and smstext.limit("你好") == 70
    assert smstext.length("👍a中") == 4  # UTF-16: a surrogate pair is two
    assert smstext.limit("Hello…") == 70  # one character outside GSM-7 makes it UCS-2


def test_the_gateway_gets_template_and_params_in_template_mode(app, make, gateway):
    app.config.update(SMS_TEMPLATE_MODE=True, SMS_SIGNATURE=SIGNATURE)
    event_session = make.event_session(make.event(title=TITLE))
    registration = make.registration(event_session)
    assert delivery.deliver_due().outcomes == {"sent": 1}
    [request] = gateway.requests
    payload = request["json"]
    assert set(payload) == {"phone", "template", "params"}
    assert payload["template"] == "confirmed"
    params = payload["params"]
    assert set(params) == {"title", "when", "code", "link"}
    assert params["code"] == registration.code and params["title"].endswith("…")
    assert params["link"].endswith(f"/s/{registration.link_key}")
    # One source: the approved text filled with these values is the text-mode text.
    [message] = outbox()
    with app.test_request_context(), force_locale("zh"):
        filled = SIGNATURE + gettext(smstext.TEMPLATES["confirmed"]) % params
    assert filled == message.body
    assert_one_segment(filled)


def test_the_verification_code_is_one_short_text_in_either_mode(app, gateway):
    app.config["SMS_SIGNATURE"] = SIGNATURE
    for template_mode in (False, True):
        app.config["SMS_TEMPLATE_MODE"] = template_mode
        with app.test_request_context():
            issued = verification.issue_code(f"1390000000{int(template_mode)}")
            db.session.commit()
            verification.text_code(issued)
    plain, templated = (request["json"] for request in gateway.requests)
    code = re.search(r"\d{6}", plain["text"]).group(0)
    assert plain["text"] == f"【朝阳社区】验证码{code}，10分钟内有效，请勿告诉他人。"
    assert_one_segment(plain["text"])
    assert templated["template"] == "verification_code"
    assert set(templated["params"]) == {"code", "minutes"}
    assert templated["params"]["minutes"] == "10" and "text" not in templated


def test_the_short_link_opens_the_registration_and_keeps_its_secret(client, make):
    registration = make.registration(make.event_session(), language="en")
    answer = client.get(f"/s/{registration.link_key}")
    assert answer.status_code == 302
    assert answer.location == f"/r/{registration.manage_token}?lang=en"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in answer.headers["Cache-Control"]
    for wrong in (registration.link_key[:-1], registration.link_key.swapcase(), "a" * 10, "x"):
        if wrong != registration.link_key:
            assert client.get(f"/s/{wrong}").status_code == 404


def test_short_link_keys_are_random_enough(make):
    bits = registration_services.LINK_KEY_LENGTH * math.log2(
        len(registration_services.LINK_KEY_ALPHABET)
    )
    assert bits > 59
    event_session = make.event_session(capacity=20)
    keys = {make.registration(event_session).link_key for _ in range(5)}
    assert len(keys) == 5 and all(re.fullmatch(r"[A-Za-z0-9]{10}", key) for key in keys)


def test_the_readme_lists_every_template_for_the_provider(app):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    with app.test_request_context():
        assert smstext.table() in readme
