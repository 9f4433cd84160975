"""The long tables of the statistics page (campaigns, communities, streets and townships) come
a page at a time, each with its own signed cursor; the headline and totals count everything."""

from __future__ import annotations

import re

from tests.stats.support import chart_labels, read_csv, text_of
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


ROW_LABEL = re.compile(r'<th scope="row">([^<]+)</th><td>')


def test_communities_come_a_page_at_a_time_and_the_chart_draws_the_busiest(app, client, make):
    """The database pages the communities table and picks the chart's lines: the pages walk
    every line in the table's order, and the chart draws the fifteen lines with most people,
    ties taken in the table's order, as from the whole table (the CSV file)."""
    app.config["STAFF_PER_PAGE"] = 4
    township = make.township()
    event = make.event("社区义诊", max_party_size=4)
    # People per community: six with 3, six with 2, six with 1 and three with nobody, in an
    # order of their own, so that the fifteenth place falls among the lines of 1.
    people = [3, 2, 1] * 6 + [0] * 3
    for number, party in enumerate(people):
        slug = f"c{(number * 5) % len(people):02d}"
        community = make.community(township, f"社区{slug}", slug=slug, name_en=f"Place {slug}")
        event_session = make.event_session(event, make.venue(community), capacity=10)
        if party:
            make.registration(event_session, party)
    login(client, make.staff(is_admin=True))

    page = text_of(client.get("/staff/stats"))
    shown: list[str] = []
    while True:
        section = page[page.index('id="table-communities"') :].split("</section>")[0]
        shown += ROW_LABEL.findall(section)
        if 'rel="next"' not in section:
            break
        page = text_of(client.get(_next(page, "communities")))
    _heading, rows = read_csv(client.get("/staff/stats/communities.csv"))
    lines = [(row[0], int(row[7])) for row in rows[:-1]]  # label, people confirmed
    assert shown == [label for label, _people in lines]
    assert len(shown) == len(people) and shown == sorted(shown)

    first = text_of(client.get("/staff/stats"))
    busiest = sorted((line for line in lines if line[1]), key=lambda line: -line[1])
    assert chart_labels(first) == [label for label, _people in busiest[:15]]
    assert [people for _label, people in busiest[12:15]] == [1, 1, 1]
    assert "for the 15 communities with the most people" in first


def test_streets_and_townships_come_a_page_at_a_time_in_the_tables_order(app, client, make):
    """The database pages the streets and townships too: the pages walk every line in the
    order of the CSV file, forward and back, and the headline counts every one."""
    app.config["STAFF_PER_PAGE"] = 3
    event = make.event("社区义诊")
    for number in range(8):
        slug = f"t{(number * 3) % 8}"
        township = make.township(f"街道{slug}", slug=slug, name_en=f"Street {slug}")
        make.registration(make.event_session(event, make.venue(township=township), capacity=9))
    login(client, make.staff(is_admin=True))

    def section(page: str) -> str:
        return page[page.index('id="table-townships"') :].split("</section>")[0]

    def rows(page: str) -> list[str]:
        return re.findall(r'<th scope="row">([^<]+)</th>', section(page))

    pages = [text_of(client.get("/staff/stats"))]
    for _page in range(5):
        if 'rel="next"' not in section(pages[-1]):
            break
        pages.append(text_of(client.get(_next(pages[-1], "townships"))))
    _heading, lines = read_csv(client.get("/staff/stats/townships.csv"))
    assert [name for page in pages for name in rows(page)] == [row[0] for row in lines[:-1]]
    assert len(pages) == 3 and [len(rows(page)) for page in pages] == [3, 3, 2]
    assert "<dt>Sessions</dt><dd>8</dd>" in pages[-1]
    back = re.search(r'<a rel="prev" href="([^"]+)"', section(pages[-1]))
    assert rows(text_of(client.get(back[1].replace("&amp;", "&")))) == rows(pages[1])
