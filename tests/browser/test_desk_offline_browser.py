"""The desk when the courtyard has no network: a checker on a phone loads the desk, loses the
network, checks three people in by typed codes, sees "3 条签到待同步", gets the network back and
sees the count reach 0; the server then has exactly those three check-ins at the times they
were made. A second round shows nothing is sent twice, even when the answer to a batch is
lost on the way back, and that a code checked in on another device meanwhile comes back as a
conflict. axe-core clean online and offline."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import StaffUser
from outreach.database import db, utcnow
from outreach.registrations import services
from outreach.registrations.models import OfflineCheckIn, Registration
from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

PHONE = {"width": 390, "height": 844}
PENDING = "#desk-pending"


def start_now(event_session) -> None:
    """Move a session (booked while it was ahead) to begin now: today is its day."""
    length = event_session.ends_at - event_session.starts_at
    event_session.starts_at = utcnow().replace(microsecond=0)
    event_session.ends_at = event_session.starts_at + length


@pytest.fixture
def courtyard(make):
    """Today's session with seven residents booked, and the organisation's checker."""
    centre = make.organisation(slug="centre")
    event = make.event(organisation=centre)
    today = make.event_session(event, capacity=20)
    names = ["王秀英", "李建国", "张桂兰", "刘德华", "陈玉梅", "赵大爷", "孙阿姨"]
    residents = [make.registration(today, 1, name=n) for n in names]
    start_now(today)
    checker = make.staff("checker", organisation=centre, role="checker")
    db.session.commit()
    return today, residents, checker


def fresh(registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def synced() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OfflineCheckIn))


def type_code(page, code: str) -> None:
    page.get_by_label("报名码", exact=True).fill(code)
    page.get_by_label("报名码", exact=True).press("Enter")


def offline_round(page, context, residents) -> tuple:
    """Go offline, check `residents` in by typed codes; the times before and after."""
    context.set_offline(True)
    page.wait_for_selector("#desk-offline-note", state="visible")
    began = utcnow() - timedelta(seconds=1)
    for number, resident in enumerate(residents, start=1):
        type_code(page, resident.code)
        page.wait_for_function(
            "(n) => document.querySelector('#desk-pending').textContent.startsWith(n + ' ')",
            arg=number,
        )
        card = page.locator("#desk-card").inner_text()
        assert "已签到，待同步" in card and resident.name[0] + "***" in card
        assert resident.name not in card
    ended = utcnow() + timedelta(seconds=1)
    assert page.locator(PENDING).inner_text() == f"{len(residents)} 条签到待同步"
    if os.environ.get("OUTREACH_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["OUTREACH_SCREENSHOTS"], "desk-offline.png"))
    box = page.locator(PENDING).bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]  # in view
    assert all(fresh(r).arrived == 0 for r in residents)  # nothing reached the server yet
    return began, ended


def test_offline_check_ins_are_kept_counted_and_sent_once_when_the_network_returns(
    live_server, browser, courtyard
):
    axe_or_skip()
    today, residents, checker = courtyard
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, checker)
    page.goto(f"{live_server}/staff/sessions/{today.id}/roster")
    page.wait_for_selector("#desk-offline[data-kept]", state="attached")
    manifest = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest == f"/staff/sessions/{today.id}/desk.webmanifest"
    found = violations(page)
    assert not found, describe(found, "online")

    # First round: three people while offline, then the network returns.
    first = residents[:3]
    began, ended = offline_round(page, context, first)
    found = violations(page)
    assert not found, describe(found, "offline")
    context.set_offline(False)
    page.wait_for_selector(PENDING, state="hidden")
    assert synced() == 3
    times = {}
    for resident in first:
        registration = fresh(resident)
        assert registration.arrived == 1 and registration.checked_in_by_id == checker.id
        assert began <= registration.checked_in_at <= ended  # when typed, not when sent
        times[resident.id] = registration.checked_in_at
    assert page.locator("#desk-conflicts").is_hidden()

    # Second round: the answer to the first batch is lost on the way back, so the desk sends
    # it again; and one code was checked in on another device meanwhile.
    second = residents[3:6]
    elsewhere = residents[6]
    began, ended = offline_round(page, context, [*second, elsewhere])
    services.check_in(fresh(elsewhere), actor=db.session.get(StaffUser, checker.id))
    db.session.commit()
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server gets the batch; its answer never reaches the desk
        lost.append(route.request.post_data_json)
        route.abort()

    page.route("**/desk-sync", lose_the_answer)
    with page.expect_event("requestfailed", predicate=lambda r: r.url.endswith("/desk-sync")):
        context.set_offline(False)  # the "online" event sends the batch
    page.unroute("**/desk-sync")
    assert len(lost) == 1 and len(lost[0]["items"]) == 4
    assert synced() == 7  # the server did check them in
    assert page.locator(PENDING).inner_text() == "4 条签到待同步"  # the desk does not know
    for _ in range(50):  # the desk's next try, sooner than its timer
        page.evaluate("window.deskOffline.sync()")
        if page.locator(PENDING).is_hidden():
            break
        page.wait_for_timeout(100)
    assert page.locator(PENDING).is_hidden()
    conflicts = page.locator("#desk-conflicts")
    assert conflicts.is_visible() and elsewhere.code in conflicts.inner_text()
    assert "另一台设备" in conflicts.inner_text()
    found = violations(page)
    assert not found, describe(found, "after the second round")

    assert synced() == 7  # every key once: six check-ins and the conflict
    for resident in second:
        registration = fresh(resident)
        assert registration.arrived == 1 and began <= registration.checked_in_at <= ended
    assert fresh(elsewhere).arrived == 1
    assert {r.id: fresh(r).checked_in_at for r in first} == times  # the first round untouched
    checked_in = select(func.count()).where(
        Registration.session_id == today.id, Registration.arrived > 0
    )
    assert db.session.scalar(checked_in) == 7
    context.close()


KEPT = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const kept = await caches.open("desk-files-v1");
  return Boolean(navigator.serviceWorker.controller && registration.active
                 && await kept.match("/staff/sessions/desk-offline"));
}"""


# How many sessions' lists the desk keeps on this device.
ROSTERS = """() => new Promise((resolve) => {
  const opening = indexedDB.open("outreach-desk", 1);
  opening.onupgradeneeded = () => {
    opening.result.createObjectStore("rosters", {keyPath: "session"});
    opening.result.createObjectStore("queue", {keyPath: "key"}).createIndex("session", "session");
  };
  opening.onsuccess = () => {
    const count = opening.result.transaction("rosters").objectStore("rosters").count();
    count.onsuccess = () => { opening.result.close(); resolve(count.result); };
  };
})"""


def test_the_installed_desk_opens_without_network_and_checks_in_from_the_kept_list(
    live_server, browser, courtyard
):
    axe_or_skip()
    today, residents, checker = courtyard
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, checker)
    desk = f"{live_server}/staff/sessions/{today.id}/roster"
    page.goto(desk)
    page.wait_for_selector("#desk-offline[data-kept]", state="attached")
    for _ in range(100):  # the service worker runs and keeps the desk (page.evaluate awaits)
        if page.evaluate(KEPT):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(KEPT)

    context.set_offline(True)
    page.reload()  # the page cannot be loaded: the kept desk opens instead
    assert page.url == desk
    page.get_by_role("heading", name="签到台", exact=True).wait_for()
    assert page.locator("#desk-offline-note").is_visible()
    assert residents[0].name not in page.content()  # the kept page holds nobody's data
    type_code(page, residents[0].code)
    page.wait_for_function(
        "() => document.querySelector('#desk-pending').textContent.startsWith('1 ')"
    )
    assert page.locator(PENDING).inner_text() == "1 条签到待同步"
    assert "王***" in page.locator("#desk-card").inner_text()
    found = violations(page)
    assert not found, describe(found, "the kept desk")

    context.set_offline(False)
    page.wait_for_selector(PENDING, state="hidden")
    assert synced() == 1 and fresh(residents[0]).arrived == 1

    # Signing out forgets the list and the kept desk on this phone.
    page.goto(desk)
    page.wait_for_selector("#desk-offline[data-kept]", state="attached")
    assert page.evaluate(ROSTERS) == 1
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    assert page.evaluate(ROSTERS) == 0
    assert not page.evaluate("async () => (await caches.keys()).length")
    context.close()
