"""On a phone, another website (served from another port) carries a community's calendar:
the script inserts the frame, the calendar renders inside it and passes axe, and a frame of
any other page of ours is refused."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_or_skip, describe, violations
from tests.feeds.support import FAR
from tests.liveserver import serving

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def other_site(body: str):
    """A WSGI application answering every request with one HTML page: another website."""

    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    return application


def test_another_site_shows_the_embedded_calendar_and_cannot_frame_other_pages(
    live_server, phone, make
):
    axe_or_skip()
    township = make.township("六里屯街道", slug="liulitun")
    community = make.community(township, "炫特社区", slug="xuante")
    event_session = make.event_session(
        make.event("专家义诊进社区"), make.venue(community, "炫特社区服务站"), day=FAR
    )
    calendar = f"{live_server}/embed/communities/xuante"
    body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>街道办事处</title></head><body><h1>六里屯街道办事处</h1>
<script src="{live_server}/static/js/embed.js" data-calendar="{calendar}"
  data-title="炫特社区活动" data-width="360" data-height="400" async></script>
<iframe id="page" title="社区页面" src="{live_server}/communities/xuante"></iframe>
</body></html>"""
    with serving(other_site(body)) as site:
        assert site.rsplit(":", 1)[1] != live_server.rsplit(":", 1)[1]
        phone.goto(site)
        frame_element = phone.wait_for_selector('iframe[title="炫特社区活动"]')
        assert frame_element.get_attribute("width") == "360"
        assert frame_element.get_attribute("height") == "400"
        embedded = frame_element.content_frame()
        embedded.wait_for_selector("h1")
        assert embedded.inner_text("h1") == "炫特社区"
        link = embedded.get_by_role("link", name="专家义诊进社区 （在新标签页中打开）")
        assert link.get_attribute("href") == f"{live_server}/events/{event_session.event.id}"
        assert link.get_attribute("target") == "_blank"
        found = violations(embedded)
        assert not found, describe(found, "embedded calendar: ")
        # The community page itself refuses the frame: Chromium shows its error page instead.
        refused = phone.query_selector("#page").content_frame()
        refused.wait_for_load_state()
        assert refused.url.startswith("chrome-error://")
