"""A resident registers from a cached event page on a phone, with and without JavaScript:
the page's body is shared, and the token in its form is theirs (outreach/pages)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from outreach.database import db
from outreach.registrations.models import Registration

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def talk(make):
    """A health talk tomorrow with 30 seats."""
    event = make.event("高血压健康讲座", max_party_size=2)
    return make.event_session(event, make.venue(name="炫特社区服务站"), capacity=30)


def registrations() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Registration.id))) or 0


def _register(page, url: str, event_session, name: str, mobile: str) -> None:
    page.goto(url)
    page.reload()  # revalidated: answered 304, the copy and its token kept
    card = page.locator(f"#session-{event_session.id}")
    card.locator("summary").click()
    form = card.locator("form")
    form.get_by_label("姓名", exact=True).fill(name)
    form.get_by_label("手机号码", exact=True).fill(mobile)
    form.get_by_label("我已阅读并同意上述隐私说明。").check()
    with page.expect_navigation():
        form.get_by_role("button", name="报名", exact=True).click()
    assert "/r/" in page.url
    assert "报名成功" in page.locator("main").inner_text()


@pytest.mark.parametrize("scripts", [True, False], ids=["with-js", "without-js"])
def test_a_resident_registers_from_a_cached_event_page(browser, live_server, talk, scripts):
    url = f"{live_server}/events/{talk.event_id}"
    # Somebody else's visit fills the cache first.
    other = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    other.new_page().goto(url)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        java_script_enabled=scripts,
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        _register(page, url, talk, "王秀英", "138 0013 8000")
        assert registrations() == 1
        # Back on the event page: this visitor's own state is shown, the form works again.
        page.goto(url)
        assert "您已报名" in page.locator(f"#session-{talk.id}").inner_text()
    finally:
        context.close()
        other.close()
