"""Following a community (or a township, an organisation, a category) by text or e-mail: the
follow box, its code or link, one digest a day through the outbox, the one-tap unsubscribe,
stop-all, the week's cap, retention, and staff's counts without personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.database import db, utcnow
from outreach.events.models import EventStatus
from outreach.follows import services
from outreach.follows.models import Follow, Follower
from outreach.messages import delivery
from outreach.messages.models import MessageKind, MessageStatus
from outreach.registrations import verification
from tests.messages_support import outbox
from tests.test_phone_verification import age_codes, texted_code, wrong
from tests.web import login, post_form

PHONE = "13800138000"


@pytest.fixture
def place(app, make):
    app.config.update(FOLLOW_DIGEST_HOUR=0, BASE_URL="https://hd.example.cn")
    community = make.community(name="晨光社区", slug="chenguang")
    return {"community": community, "venue": make.venue(community)}


def follow(client, community, contact=PHONE, **fields):
    return follow_at(client, f"/communities/{community.slug}", contact, **fields)


def follow_at(client, page_path, contact, **fields):
    data = {"contact": contact, "consent": "y", **fields}
    return post_form(client, f"/follow{page_path}", data)


def enter_code(client, community, code, contact=PHONE):
    data = {"contact": contact, "consent": "y", "code": code}
    return post_form(client, f"/follow/communities/{community.slug}/code", data)


def followed_by_phone(client, gateway, community) -> Follower:
    assert follow(client, community).status_code == 200
    assert enter_code(client, community, texted_code(gateway)).status_code == 200
    return db.session.scalars(select(Follower)).one()


def emailed_digest_of_two(client, runner, make, place) -> None:
    """Follow the community by e-mail (the link's button pressed), publish two sessions there,
    run the digest."""
    follow(client, place["community"], contact="li@example.cn")
    (mail,) = outbox(kind=MessageKind.FOLLOW_CONFIRM)
    post_form(client, re.search(r"(/follow/confirm/[^?\s]+)", mail.body).group(1))
    publish_two(client, make, place)
    assert runner.invoke(args=["follows", "digest"]).exit_code == 0


def followers() -> list[Follower]:
    db.session.expire_all()
    return list(db.session.scalars(select(Follower)))


def publish_two(client, make, place):
    """Staff publish a draft with two sessions in the community, through the staff page."""
    draft = make.event("义诊", status=EventStatus.DRAFT)
    for days in (3, 4):
        make.event_session(draft, place["venue"], day=utcnow().date() + timedelta(days=days))
    organiser = make.staff(organisation=draft.organisation)
    login(client, organiser)
    assert post_form(client, f"/staff/events/{draft.id}/publish").status_code == 302
    with client.session_transaction() as session:
        session.clear()
    return draft


def digest_and_deliver(runner, later=timedelta(0)):
    assert runner.invoke(args=["follows", "digest"]).exit_code == 0
    return delivery.deliver_due(utcnow() + later)


def test_the_cached_community_page_carries_a_follow_box_that_works(client, place):
    """The page comes from the cache of pages with this visitor's token in the box."""
    client.get("/communities/chenguang")  # built and stored
    page = client.get("/communities/chenguang")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache"
    form = html[html.index('<section class="follow-box"') :]
    assert 'action="/follow/communities/chenguang"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"csrf_token": token, "contact": "li@example.cn", "consent": "y"}
    assert client.post("/follow/communities/chenguang", data=data).status_code == 200


def test_following_by_phone_takes_the_texted_code(client, gateway, place):
    asked = follow(client, place["community"])
    assert "138****8000" in asked.get_data(as_text=True)
    assert followers() == []
    done = enter_code(client, place["community"], texted_code(gateway))
    assert done.status_code == 200
    assert "晨光社区" in done.get_data(as_text=True)
    (follower,) = followers()
    assert follower.address == "+8613800138000"
    (followed,) = follower.follows
    assert followed.target_id == place["community"].id and followed.consented_at is not None


def test_a_wrong_or_expired_code_says_so_and_stores_nothing(client, gateway, place):
    follow(client, place["community"])
    code = texted_code(gateway)
    answer = enter_code(client, place["community"], wrong(code))
    assert answer.status_code == 422
    assert "验证码不正确" in answer.get_data(as_text=True)
    age_codes(11 * 60)
    late = enter_code(client, place["community"], code)
    assert late.status_code == 422
    assert "已过期" in late.get_data(as_text=True)
    assert followers() == []


def test_without_consent_or_with_a_bad_address_nothing_is_sent(client, gateway, place):
    assert follow(client, place["community"], consent="").status_code == 422
    bad = follow(client, place["community"], contact="12345")
    assert bad.status_code == 422
    assert "手机号" in bad.get_data(as_text=True)
    assert gateway.requests == [] and outbox() == []


def test_following_by_email_is_confirmed_by_the_link_and_its_button(client, place):
    assert follow(client, place["community"], contact="Li.Ayi@Example.cn").status_code == 200
    (mail,) = outbox(kind=MessageKind.FOLLOW_CONFIRM)
    link = re.search(r"https://hd\.example\.cn(/follow/confirm/\S+)", mail.body).group(1)
    page = client.get(link)  # a link scanner's visit changes nothing
    assert page.status_code == 200 and followers() == []
    assert post_form(client, link).status_code == 200
    (follower,) = followers()
    assert follower.channel.value == "email" and len(follower.active_follows) == 1
    token = link.split("?")[0]
    assert client.get(token[:-4] + "abcd").status_code == 400


def test_an_email_digest_has_a_line_and_a_link_per_session(client, runner, make, place):
    emailed_digest_of_two(client, runner, make, place)
    (digest,) = outbox(kind=MessageKind.DIGEST)
    lines = [line for line in digest.body.splitlines() if "义诊" in line]
    assert len(lines) == 2 and all("https://hd.example.cn/e/" in line for line in lines)
    assert "https://hd.example.cn/u/" in digest.body
    session_path = re.search(r"https://hd\.example\.cn(/e/\d+)", lines[0]).group(1)
    assert "/events/" in client.get(session_path).headers["Location"]


def test_no_digest_before_the_operators_hour(client, runner, gateway, make, place):
    client.application.config["FOLLOW_DIGEST_HOUR"] = 24  # never reached
    followed_by_phone(client, gateway, place["community"])
    publish_two(client, make, place)
    assert "Not yet" in runner.invoke(args=["follows", "digest"]).output
    assert outbox(kind=MessageKind.DIGEST) == []


def test_code_requests_share_the_registrations_limit_per_number(app, client, gateway, place):
    app.config["PHONE_CODE_ATTEMPTS_PER_NUMBER"] = "1 per minute"
    assert follow(client, place["community"]).status_code == 200
    age_codes(61)  # past the cooldown, not past the limiter
    again = follow(client, place["community"], contact="+86 138 0013 8000")
    assert again.status_code == 429
    assert len(gateway.requests) == 1


def test_published_sessions_make_one_digest_text_and_deliver_sends_it_once(
    client, runner, gateway, make, place
):
    followed_by_phone(client, gateway, place["community"])
    publish_two(client, make, place)
    digest_and_deliver(runner)
    digest_and_deliver(runner)  # a second run the same day queues nothing more
    (digest,) = outbox(kind=MessageKind.DIGEST)
    assert digest.status == MessageStatus.SENT
    sent = [r["json"]["text"] for r in gateway.requests][1:]  # after the code
    assert sent == [digest.body]
    assert digest.body.count("/e/") == 2 or "2场" in digest.body
    assert "/u/" in digest.body


def test_the_unsubscribe_link_asks_first_then_stops_the_next_digest(
    client, runner, gateway, make, place
):
    follower = followed_by_phone(client, gateway, place["community"])
    link = f"/u/{follower.token}"
    page = client.get(link)
    assert page.status_code == 200 and "晨光社区" in page.get_data(as_text=True)
    assert followers()[0].active_follows  # opening the page stopped nothing
    assert post_form(client, link).status_code == 200
    publish_two(client, make, place)
    digest_and_deliver(runner)
    assert outbox(kind=MessageKind.DIGEST) == []
    assert client.get("/u/AAAAAAAAAA").status_code == 404


def test_stopping_one_follow_keeps_the_others(client, gateway, make, place):
    follower = followed_by_phone(client, gateway, place["community"])
    other = make.community(name="朝阳社区", slug="chaoyang")
    follow(client, other)
    age_codes(61)
    follow(client, other)
    enter_code(client, other, texted_code(gateway))
    first = followers()[0].active_follows[0]
    post_form(client, f"/u/{follower.token}", {"follow": first.id})
    (left,) = followers()[0].active_follows
    assert left.target_id == other.id


def test_the_weeks_cap_holds_back_digests_until_later(client, runner, gateway, make, place):
    client.application.config["FOLLOW_DIGESTS_PER_WEEK"] = 1
    follower = followed_by_phone(client, gateway, place["community"])
    publish_two(client, make, place)
    digest_and_deliver(runner)
    now = utcnow() + timedelta(days=1)
    make.event_session(make.event("讲座"), place["venue"], day=now.date() + timedelta(days=20))
    db.session.commit()
    assert services.queue_digest(follower.id, now + timedelta(hours=1)) is False
    assert services.queue_digest(follower.id, now + timedelta(days=7)) is True


def test_followers_idle_for_a_year_are_erased_and_counts_kept(client, runner, gateway, place):
    follower = followed_by_phone(client, gateway, place["community"])
    assert "Erased 0 follower" in runner.invoke(args=["purge-personal-data"]).output
    assert services.purge(utcnow() + timedelta(days=366)) == 1
    db.session.commit()
    (erased,) = followers()
    assert erased.address == "" and erased.purged_at is not None
    assert db.session.scalar(select(Follow.id)) is not None  # the row stays, ended
    assert client.get(f"/u/{follower.token}").status_code == 404


def test_staff_see_counts_never_followers(client, gateway, make, place):
    followed_by_phone(client, gateway, place["community"])
    login(client, make.staff(organisation=make.organisation()))
    html = client.get("/staff/followers").get_data(as_text=True)
    assert "晨光社区" in html and "<td>1</td>" in html
    assert "8000" not in html and "138" not in html


def test_one_new_session_is_texted_with_its_link_in_template_mode(
    client, runner, gateway, make, place
):
    followed_by_phone(client, gateway, place["community"])
    client.application.config.update(SMS_LINK_BASE="https://t.cn", SMS_TEMPLATE_MODE=True)
    make.event_session(make.event("健康讲座"), place["venue"])
    db.session.commit()
    digest_and_deliver(runner)
    (digest,) = outbox(kind=MessageKind.DIGEST)
    assert digest.body.startswith("新活动：健康讲座") and "https://t.cn/e/" in digest.body
    sent = gateway.requests[-1]["json"]
    assert sent["template"] == "follow_digest"
    assert sent["params"]["stop"] == f"https://t.cn/u/{followers()[0].token}"


def test_townships_organisations_and_categories_have_the_box_too(client, make, place):
    slugs = {
        "townships": place["community"].township.slug,
        "organisations": make.organisation().slug,
        "categories": make.category().slug,
    }
    for scope, slug in slugs.items():
        path = f"/{scope}/{slug}"
        assert f'action="/follow{path}"' in client.get(path).get_data(as_text=True)
        assert follow_at(client, path, "li@example.cn").status_code == 200
    assert len(outbox(kind=MessageKind.FOLLOW_CONFIRM)) == 3
    assert follow_at(client, "/places/nowhere", "li@example.cn").status_code == 404


def test_a_followers_page_and_an_email_link_are_never_stored_nor_sent_on(client, gateway, place):
    """Their addresses are a resident's secret: no cache keeps the page, no Referer leaks it."""
    follower = followed_by_phone(client, gateway, place["community"])
    follow(client, place["community"], contact="li.ayi@example.cn")
    (mail,) = outbox(kind=MessageKind.FOLLOW_CONFIRM)
    link = re.search(r"https://hd\.example\.cn(/follow/confirm/\S+)", mail.body).group(1)
    for path in (f"/u/{follower.token}", link):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["Referrer-Policy"] == "no-referrer", path
        assert "no-store" in page.headers["Cache-Control"], path


def test_wrong_codes_count_whatever_the_form_says_of_consent(client, gateway, place):
    """Guessing a number's code without the consent field must not dodge the tries' cap: after
    the cap even the right code is refused, and nothing is followed without consent."""
    assert follow(client, place["community"]).status_code == 200
    code = texted_code(gateway)
    wrong = "000000" if code != "000000" else "111111"
    path = f"/follow/communities/{place['community'].slug}/code"
    without_consent = post_form(client, path, {"contact": PHONE, "consent": "", "code": code})
    assert without_consent.status_code == 422 and followers() == []
    for _try in range(verification.CODE_TRIES):
        post_form(client, path, {"contact": PHONE, "consent": "", "code": wrong})
    assert enter_code(client, place["community"], code).status_code == 422
    assert followers() == []


def test_a_bad_follow_number_in_the_stop_form_stops_nothing(client, gateway, place):
    follower = followed_by_phone(client, gateway, place["community"])
    answer = post_form(client, f"/u/{follower.token}", {"follow": "abc"})
    assert answer.status_code == 400
    assert followers()[0].active_follows


def test_a_digest_counts_the_sessions_it_has_no_room_to_name(
    client, runner, make, place, monkeypatch
):
    """None is lost: a digest names the soonest and counts the rest."""
    monkeypatch.setattr(services, "MOST_PER_DIGEST", 1)
    emailed_digest_of_two(client, runner, make, place)
    (digest,) = outbox(kind=MessageKind.DIGEST)
    assert "（2场）" in digest.subject
    assert len([line for line in digest.body.splitlines() if "义诊" in line]) == 1
    assert "还有1场" in digest.body
