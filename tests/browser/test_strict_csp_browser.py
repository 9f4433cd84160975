"""Pages work under the site's own strict Content-Security-Policy (outreach/headers.py): no
inline style or script anywhere. Chromium reports every inline style, style attribute (the
QR codes' inline SVG included), inline script or handler it refuses.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.database import db
from outreach.events.models import Event, EventSession
from outreach.headers import CONTENT_SECURITY_POLICY
from tests.browser.signin import sign_in
from tests.liveserver import serving

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

# Every refusal the page meets, as "directive blocked-address" (init scripts are not subject
# to the page's policy).
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


@pytest.fixture
def live_server(app):
    """The demo, served as it is: the policy is the application's own header."""
    demo.seed()
    db.session.commit()
    with serving(app) as url:
        yield url


@pytest.fixture
def desk(browser):
    """A desktop page that records what the policy refuses."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def refused(page, url: str) -> list[str]:
    """Load the page and wait for its scripts; what did the policy refuse?"""
    response = page.goto(url)
    assert response.ok, (url, response.status)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, url
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    page.wait_for_load_state("load")
    return page.evaluate("window.__refused")


def test_public_staff_and_poster_pages_run_under_a_strict_policy(live_server, desk, make):
    event = db.session.scalar(select(Event).where(Event.title == "医师节专家义诊进社区"))
    event_session = db.session.scalar(
        select(EventSession).where(EventSession.event_id == event.id).limit(1)
    )
    slot = event_session.slots[0] if event_session.slots else None
    registration = make.registration(event_session, slot_id=slot and slot.id)
    community = event_session.venue.community
    public = [
        "/",
        f"/events/{event.id}",
        f"/events/{event.id}/calendar",
        f"/communities/{community.slug}",
        f"/r/{registration.manage_token}",
        f"/events/{event.id}/poster",
        f"/communities/{community.slug}/poster",
        "/staff/login",
    ]
    for path in public:
        assert refused(desk, live_server + path) == [], path
    # The site's script ran all the same: the category's colour reached the event.
    desk.goto(f"{live_server}/events/{event.id}")
    accent = desk.locator("article.event").evaluate("e => e.style.getPropertyValue('--accent')")
    assert accent == event.category.colour

    admin = make.staff("root", is_admin=True)
    sign_in(desk, live_server, admin)
    staff = [
        "/staff/",
        "/staff/events",
        f"/staff/events/{event.id}/edit",
        f"/staff/events/{event.id}/sessions",
        f"/staff/events/{event.id}/sessions/{event_session.id}/edit",
        f"/staff/events/{event.id}/sessions/{event_session.id}/slots",
        f"/staff/events/{event.id}/cancel",
        f"/staff/events/{event.id}/clone",
        f"/staff/events/{event.id}/series",
        f"/staff/events/{event.id}/messages",
        f"/staff/sessions/{event_session.id}/roster",
        "/staff/stats",
        f"/staff/stats/events/{event.id}",
        "/staff/outbox",
        "/staff/audit",
        "/staff/categories",
        "/staff/places",
        "/staff/organisations",
        "/staff/users",
        f"/staff/users/{admin.id}",
        f"/staff/organisations/{event.organisation.slug}",
        "/staff/import",
        "/staff/categories/new",
    ]
    for path in staff:
        assert refused(desk, live_server + path) == [], path
