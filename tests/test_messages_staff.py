"""Staff notices to a session's or a whole event's registrants, by segment, through the
outbox; and the administrators' outbox page."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db, utcnow
from outreach.messages import services, transport
from outreach.messages.models import MessageKind, MessageStatus, Notice
from outreach.registrations.models import Registration
from tests.messages_support import outbox
from tests.web import csrf_token, login, post_form


@pytest.fixture
def two_day_screening(make, client):
    """A screening on two days. Day one: Wang (e-mail, checked in), Li (e-mail), Zhao (phone
    only), and a cancelled registration; day two: Wang again (same address) and Sun."""
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    event = make.event(title="三天义诊", organisation=centre)
    day_one, day_two = (
        make.event_session(event, capacity=20),
        make.event_session(event, capacity=20),
    )
    wang = make.registration(day_one, email="wang@example.org", name="王秀英")
    li = make.registration(day_one, email="li@example.org", name="李明", language="en")
    zhao = make.registration(day_one, name="赵刚", phone="13900000003")
    gone = make.registration(day_one, email="gone@example.org")
    post_form(client, f"/r/{gone.manage_token}/cancel")
    make.registration(day_two, email="wang@example.org", name="王秀英")
    make.registration(day_two, email="sun@example.org", name="孙丽")
    db.session.get(Registration, wang.id).checked_in_at = utcnow()
    db.session.commit()
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "outsider": make.staff("outsider", organisation=other, role="manager"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    return SimpleNamespace(
        event=event,
        day_one=day_one,
        day_two=day_two,
        wang=wang,
        li=li,
        zhao=zhao,
        users=users,
        url=f"/staff/events/{event.id}/messages",
    )


def notices() -> list:
    return outbox(kind=MessageKind.NOTICE)


def form_key(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_key"[^>]*value="([^"]+)"', page).group(1)


def notice_data(client, two_day_screening, **fields) -> dict:
    data = {
        "session_id": str(two_day_screening.day_one.id),
        "segment": "all",
        "subject": "义诊后随访",
        "body": "感谢参加。\n\n请于下周来取报告。",
        "form_key": form_key(client, two_day_screening.url),
        "action": "send",
    }
    return {**data, **fields}


@pytest.mark.parametrize(
    ("who", "expected"),
    [("checker", 403), ("outsider", 403), ("organiser", 200), ("manager", 200), ("admin", 200)],
)
def test_who_may_write_to_registrants(client, two_day_screening, who, expected):
    login(client, two_day_screening.users[who])
    assert client.get(two_day_screening.url).status_code == expected


def test_signed_out_visitors_go_to_the_sign_in_page(client, two_day_screening):
    response = client.get(two_day_screening.url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_an_unknown_event_is_not_found(client, two_day_screening):
    login(client, two_day_screening.users["admin"])
    assert client.get("/staff/events/999999/messages").status_code == 404


def test_another_organisations_staff_cannot_send(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    data = notice_data(client, two_day_screening)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
    login(client, two_day_screening.users["outsider"])
    response = post_form(client, two_day_screening.url, data)
    assert response.status_code == 403
    assert notices() == []


def test_the_form_needs_its_csrf_token(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    data = notice_data(client, two_day_screening)
    response = client.post(two_day_screening.url, data=data)  # no csrf_token
    assert response.status_code == 400
    assert notices() == []


def test_preview_counts_recipients_and_sends_nothing(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    response = post_form(
        client, two_day_screening.url, notice_data(client, two_day_screening, action="preview")
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "此消息将发给3位收件人" in text
    assert "电子邮件2人，短信1人" in text
    assert "请于下周来取报告。" in text  # the preview
    assert notices() == [] and db.session.scalar(select(Notice.id)) is None


def test_a_notice_to_a_session_reaches_each_active_registrant_and_is_audited(
    client, two_day_screening
):
    login(client, two_day_screening.users["organiser"])
    response = post_form(client, two_day_screening.url, notice_data(client, two_day_screening))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "消息已排队，将发给3位收件人。" in page
    sent = notices()
    assert sorted(m.recipient for m in sent) == [
        "+8613900000003",
        "li@example.org",
        "wang@example.org",
    ]
    wang = next(m for m in sent if m.recipient == "wang@example.org")
    assert wang.subject == "义诊后随访"
    assert "请于下周来取报告。" in wang.body and "请于下周来取报告。" in wang.body_html
    assert two_day_screening.wang.code in wang.body
    li = next(m for m in sent if m.recipient == "li@example.org")
    assert "about your registration" in li.body  # in the language Li registered in
    notice = db.session.scalar(select(Notice))
    assert notice.recipients == 3 and notice.session_id == two_day_screening.day_one.id
    assert {m.notice_id for m in sent} == {notice.id}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message"))
    assert entry.organisation_id == two_day_screening.event.organisation_id
    assert entry.target_type == "notice" and entry.target_id == notice.id
    assert entry.changes["recipients"]["after"] == 3
    assert "义诊后随访" in page  # listed under the messages sent
    client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
    login(client, two_day_screening.users["manager"])
    trail = client.get("/staff/audit").get_data(as_text=True)
    assert "向报名者发送消息" in trail and "义诊后随访" in trail
    assert "全部报名者（已确认和候补）" in trail  # the segment, in words


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("checked_in", ["wang@example.org"]),
        ("not_checked_in", ["+8613900000003", "li@example.org"]),
    ],
)
def test_a_notice_can_go_only_to_those_checked_in_or_not(
    client, two_day_screening, segment, expected
):
    login(client, two_day_screening.users["organiser"])
    response = post_form(
        client, two_day_screening.url, notice_data(client, two_day_screening, segment=segment)
    )
    assert response.status_code == 302
    assert sorted(m.recipient for m in notices()) == expected


def test_a_notice_to_the_whole_event_reaches_each_address_once(client, two_day_screening):
    login(client, two_day_screening.users["manager"])
    post_form(client, two_day_screening.url, notice_data(client, two_day_screening, session_id=""))
    assert sorted(m.recipient for m in notices()) == [
        "+8613900000003",
        "li@example.org",
        "sun@example.org",
        "wang@example.org",
    ]


def test_sending_the_same_form_twice_sends_once(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    data = notice_data(client, two_day_screening)
    post_form(client, two_day_screening.url, data)
    again = post_form(client, two_day_screening.url, data)
    assert again.status_code == 302
    assert "此消息已经发送过了。" in client.get(two_day_screening.url).get_data(as_text=True)
    assert len(notices()) == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "  "}, "请输入标题。"),
        ({"body": ""}, "请填写消息内容。"),
        ({"body": "长" * 2001}, "最多2000个字。"),
        ({"subject": "题" * 121}, "最多120个字。"),
        ({"segment": "everyone"}, "不是有效的选择"),
        ({"session_id": "999999"}, "不是有效的选择"),
        ({"session_id": "abc"}, "不是有效的选择"),
        ({"form_key": ""}, "表单已过期，请重试。"),
    ],
)
def test_bad_input_is_explained_and_sends_nothing(client, two_day_screening, fields, message):
    login(client, two_day_screening.users["organiser"])
    response = post_form(
        client, two_day_screening.url, notice_data(client, two_day_screening, **fields)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert notices() == []


def test_a_notice_nobody_would_get_is_refused(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    data = notice_data(
        client,
        two_day_screening,
        session_id=str(two_day_screening.day_two.id),
        segment="checked_in",
    )
    response = post_form(client, two_day_screening.url, data)
    assert response.status_code == 422
    assert "没有符合所选条件的报名者，消息未发送。" in response.get_data(as_text=True)
    assert notices() == []


def test_the_notice_page_is_linked_from_the_roster_and_the_sessions_page(client, two_day_screening):
    link = f"{two_day_screening.url}?session={two_day_screening.day_one.id}"
    login(client, two_day_screening.users["organiser"])
    roster = client.get(f"/staff/sessions/{two_day_screening.day_one.id}/roster").get_data(
        as_text=True
    )
    assert link in roster
    sessions = client.get(f"/staff/events/{two_day_screening.event.id}/sessions").get_data(
        as_text=True
    )
    assert f'href="{two_day_screening.url}"' in sessions
    page = client.get(link).get_data(as_text=True)
    assert f'<option selected value="{two_day_screening.day_one.id}">' in page
    client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
    login(client, two_day_screening.users["checker"])
    roster = client.get(f"/staff/sessions/{two_day_screening.day_one.id}/roster").get_data(
        as_text=True
    )
    assert two_day_screening.url not in roster


# ---------------------------------------------------------------------------------------------
# The outbox page


@pytest.mark.parametrize(
    ("who", "expected"), [("organiser", 403), ("manager", 403), ("admin", 200)]
)
def test_only_administrators_see_the_outbox(client, two_day_screening, who, expected):
    login(client, two_day_screening.users[who])
    assert client.get("/staff/outbox").status_code == expected


def test_the_outbox_shows_each_message_and_its_status_with_contacts_masked(
    client, two_day_screening
):
    failed = outbox(recipient="li@example.org")[0]
    failed.status, failed.attempts = MessageStatus.FAILED, 8
    failed.last_error = "the mail server refused the address: [550]"
    db.session.commit()
    login(client, two_day_screening.users["admin"])
    text = client.get("/staff/outbox").get_data(as_text=True)
    assert "l***@example.org" in text and "li@example.org" not in text
    assert "139****0003" in text and "13900000003" not in text
    assert two_day_screening.wang.code in text and "发送失败" in text and "[550]" in text
    assert 'href="/staff/outbox"' in client.get("/staff/").get_data(as_text=True)
    only_failed = client.get("/staff/outbox?status=failed").get_data(as_text=True)
    assert only_failed.count('class="badge failed"') == 1 and "l***@example.org" in only_failed
    assert "w***@example.org" not in only_failed
    bad = client.get("/staff/outbox?status=lost")
    assert bad.status_code == 400 and "没有“lost”这种消息状态。" in bad.get_data(as_text=True)


def test_the_outbox_page_queries_do_not_grow_with_its_rows(
    client, two_day_screening, make, count_queries
):
    login(client, two_day_screening.users["admin"])
    with count_queries() as few:
        client.get("/staff/outbox")
    for n in range(20):
        make.registration(two_day_screening.day_two, email=f"more{n}@example.org")
    with count_queries() as many:
        text = client.get("/staff/outbox").get_data(as_text=True)
    assert text.count('id="message-') > 20
    assert len(many) == len(few)


def test_the_notice_history_queries_do_not_grow_with_notices(
    client, two_day_screening, count_queries
):
    login(client, two_day_screening.users["organiser"])
    post_form(client, two_day_screening.url, notice_data(client, two_day_screening))
    with count_queries() as one:
        client.get(two_day_screening.url)
    for subject in ("二", "三", "四"):
        post_form(
            client, two_day_screening.url, notice_data(client, two_day_screening, subject=subject)
        )
    with count_queries() as four:
        client.get(two_day_screening.url)
    assert len(four) == len(one)
    assert len(services.notices_of(two_day_screening.event)) == 4


# ---------------------------------------------------------------------------------------------
# Cancelled sessions, the recipient count's punctuation, the outbox's errors in words


def cancel_day_two(client, two_day_screening) -> None:
    url = (
        f"/staff/events/{two_day_screening.event.id}/sessions/{two_day_screening.day_two.id}/cancel"
    )
    assert post_form(client, url, {"reason": "场地维修"}).status_code == 302


def test_a_notice_to_all_sessions_leaves_out_registrants_of_a_cancelled_one(
    client, two_day_screening
):
    login(client, two_day_screening.users["organiser"])
    cancel_day_two(client, two_day_screening)
    data = notice_data(client, two_day_screening, session_id="", action="preview")
    preview = post_form(client, two_day_screening.url, data).get_data(as_text=True)
    assert "此消息将发给3位收件人（电子邮件2人，短信1人）。" in preview
    assert "已取消场次的报名者不会收到此消息" in preview
    assert post_form(client, two_day_screening.url, {**data, "action": "send"}).status_code == 302
    sent = notices()
    assert sorted(m.recipient for m in sent) == [
        "+8613900000003",
        "li@example.org",
        "wang@example.org",
    ]  # not Sun, registered only for the cancelled day
    wang = next(m for m in sent if m.recipient == "wang@example.org")
    assert (
        wang.registration_id == two_day_screening.wang.id
    )  # the day still on, not the cancelled one
    assert "状态：报名成功" in wang.body and "已取消" not in wang.body
    assert db.session.scalar(select(Notice.recipients)) == 3


def test_without_cancelled_sessions_the_form_says_nothing_of_them(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    page = client.get(two_day_screening.url).get_data(as_text=True)
    assert "已取消场次的报名者" not in page
    assert "此消息将发给4位收件人（电子邮件3人，短信1人）。" in page  # all sessions


def test_a_notice_to_a_cancelled_session_chosen_by_name_says_it_is_cancelled(
    client, two_day_screening, make
):
    make.registration(two_day_screening.day_two, name="钱芳", phone="13900000009")
    login(client, two_day_screening.users["organiser"])
    cancel_day_two(client, two_day_screening)
    page = client.get(two_day_screening.url).get_data(as_text=True)
    assert re.search(
        rf'<option value="{two_day_screening.day_two.id}">[^<]*（已取消）</option>', page
    )
    assert " (已取消)" not in page
    data = notice_data(
        client, two_day_screening, session_id=str(two_day_screening.day_two.id), action="preview"
    )
    preview = post_form(client, two_day_screening.url, data).get_data(as_text=True)
    assert "此消息将发给3位收件人（电子邮件2人，短信1人）。" in preview
    assert "已取消场次的报名者不会收到此消息" not in preview  # chosen: they do get it
    post_form(client, two_day_screening.url, {**data, "action": "send"})
    sent = notices()
    assert sorted(m.recipient for m in sent) == [
        "+8613900000009",
        "sun@example.org",
        "wang@example.org",
    ]
    for message in sent:
        assert "本场活动已取消" in message.body and "报名成功" not in message.body
        if message.body_html:
            assert "很抱歉，本场活动已取消。" in message.body and "场地维修" in message.body
            assert "状态：本场活动已取消" in message.body.splitlines()
            assert "很抱歉，本场活动已取消。" in message.body_html
            assert "报名成功" not in message.body_html


def test_the_recipient_count_reads_well_in_english(client, two_day_screening):
    login(client, two_day_screening.users["organiser"])
    page = client.get(f"{two_day_screening.url}?lang=en").get_data(as_text=True)
    assert "This message goes to 4 recipients (3 by e-mail, 1 by text message)." in page


@pytest.mark.parametrize(
    ("stored", "zh", "en"),
    [
        (
            "no SMS gateway: OUTREACH_SMS_WEBHOOK_URL is not set",
            "未配置短信网关（OUTREACH_SMS_WEBHOOK_URL），短信未发送。",
            "no SMS gateway: OUTREACH_SMS_WEBHOOK_URL is not set",
        ),
        (
            "e-mail is off: OUTREACH_MAIL_SERVER is not set",
            "未配置邮件服务器（OUTREACH_MAIL_SERVER），邮件未发送。",
            "e-mail is off: OUTREACH_MAIL_SERVER is not set",
        ),
        (
            "interrupted while sending: it may have gone out, so it is not sent again",
            "发送时中断：可能已经发出，因此不再重发。",
            "interrupted while sending: it may have gone out",
        ),
        (
            "not sent: the registration or its session changed first",
            "未发送：报名或场次已先有变化。",
            "the registration or its session changed first",
        ),
        ("personal data erased", "个人信息已删除。", "personal data erased"),
        (
            "the mail server refused the address: [550]",
            "邮件服务器拒收此地址：[550]",
            "the mail server refused the address: [550]",
        ),
        (
            "cannot use the mail server mx.example.cn:587: ConnectionRefusedError: refused",
            "无法使用邮件服务器mx.example.cn:587：ConnectionRefusedError: refused",
            "cannot use the mail server mx.example.cn:587",
        ),
        (
            "the SMS gateway sms.example.cn answered 503",
            "短信网关sms.example.cn返回了503。",
            "the SMS gateway sms.example.cn answered 503",
        ),
        ("550 5.1.1 <x@example.org>: unknown", "550 5.1.1 &lt;x@example.org&gt;: unknown", None),
    ],
)
def test_the_outbox_explains_the_apps_own_errors_in_the_readers_language(
    client, two_day_screening, stored, zh, en
):
    message = outbox(recipient="li@example.org")[0]
    message.status, message.last_error = MessageStatus.FAILED, stored
    db.session.commit()
    login(client, two_day_screening.users["admin"])
    chinese = client.get("/staff/outbox").get_data(as_text=True)
    assert zh in chinese
    if en is not None:  # what the server said stays as it said it
        assert stored not in chinese
        english = client.get("/staff/outbox?lang=en").get_data(as_text=True)
        assert en in english


def test_every_reason_the_app_writes_has_a_chinese_explanation(app):
    assert len(transport.PROBLEMS) >= 10
    with force_locale("zh"):
        for problem in transport.PROBLEMS:
            names = re.findall(r"%\((\w+)\)s", problem.template)
            stored = problem(**{name: f"<{name}>" for name in names})
            explained = transport.explain(stored)
            assert explained != stored and re.search(r"[\u4e00-\u9fff]", explained), stored
            assert all(f"<{name}>" in explained for name in names)
