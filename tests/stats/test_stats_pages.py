"""The long tables of the statistics page (campaigns, communities, streets and townships) come
a page at a time, each with its own signed cursor; the headline and totals count everything."""

from __future__ import annotations

import re

from tests.stats.support import text_of
from tests.web import login

CAMPAIGN = re.compile(r'<a href="/staff/stats/events/(\d+)">')


def _next(page: str, table: str) -> str:
    section = page[page.index(f'id="table-{table}"') :]
    found = re.search(r'<a rel="next" href="([^"]+)"', section[: section.index("</section>")])
    return found[1].replace("&amp;", "&")


def test_campaigns_come_a_page_at_a_time_with_the_whole_total(app, client, make, count_queries):
    app.config["STAFF_PER_PAGE"] = 2
    admin = make.staff(is_admin=True)
    login(client, admin)
    make.registration(make.event_session(make.event("活动0"), capacity=10), 2)
    with count_queries() as few:
        client.get("/staff/stats")
    events = [make.event(f"活动{n}") for n in range(1, 5)]
    for event in events:
        make.registration(make.event_session(event, capacity=10), 2)
    with count_queries() as many:
        first = text_of(client.get("/staff/stats"))
    assert len(many) == len(few)
    shown = CAMPAIGN.findall(first)
    assert len(shown) == 2
    second = text_of(client.get(_next(first, "events")))
    third = text_of(client.get(_next(second, "events")))
    shown += CAMPAIGN.findall(second) + CAMPAIGN.findall(third)
    assert len(shown) == len(set(shown)) == 5
    assert 'rel="next"' not in third[third.index('id="table-events"') :].split("</section>")[0]
    # The headline counts every session, whatever page of a table is shown.
    assert "<dt>Confirmed registrations</dt><dd>5</dd>" in third


def test_a_tampered_table_cursor_is_refused_in_the_readers_language(client, make):
    make.registration(make.event_session(make.event("活动"), capacity=10), 2)
    login(client, make.staff(is_admin=True))
    english = client.get("/staff/stats?events_cursor=WyJhIiwgWzFdXQ.forged")
    assert english.status_code == 400 and "out of date or damaged" in text_of(english)
    client.set_cookie("lang", "zh")
    chinese = client.get("/staff/stats?events_cursor=WyJhIiwgWzFdXQ.forged")
    assert chinese.status_code == 400 and "out of date" not in text_of(chinese)
