"""The overview's query is made once for each kind of request (which filters, which page
cursors) and then run with each request's own values: a period, an organisation, a category,
a reader's organisations or a page cursor never carries over from one request to the next."""

from __future__ import annotations

import re
from datetime import timedelta

from outreach.localtime import local_today
from tests.stats.support import text_of
from tests.web import login

CAMPAIGN = re.compile(r'<a href="/staff/stats/events/(\d+)">')


def _people(page: str) -> int:
    return int(re.search(r"<dt>People confirmed</dt><dd>(\d+)</dd>", page)[1])


def _next(page: str, table: str, rel: str = "next") -> str:
    section = page[page.index(f'id="table-{table}"') :]
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', section[: section.index("</section>")])
    return found[1].replace("&amp;", "&")


def _campaigns(page: str) -> list[str]:
    return CAMPAIGN.findall(page)


def test_each_request_counts_its_own_period_filters_and_reader(app, client, make):
    centre, other = make.organisation(), make.organisation()
    lectures, walks = make.category(), make.category()
    first_week = local_today() + timedelta(days=1)
    second_week = first_week + timedelta(days=7)
    # People per (organisation, category, week): all different, so any mix-up shows.
    people = {
        (centre, lectures, first_week): 1,
        (centre, walks, first_week): 2,
        (other, lectures, first_week): 4,
        (centre, lectures, second_week): 3,
        (other, walks, second_week): 4,
    }
    for (organisation, category, week), party in people.items():
        event = make.event(organisation=organisation, category=category, max_party_size=4)
        make.registration(make.event_session(event, day=week, capacity=10), party)
    first = f"from={first_week}&to={first_week + timedelta(days=6)}"
    second = f"from={second_week}&to={second_week + timedelta(days=6)}"
    login(client, make.staff(is_admin=True))
    manager = app.test_client()
    manager.set_cookie("lang", "en")
    login(manager, make.staff(organisation=centre, role="manager"))

    def people_in(page_client, query: str) -> int:
        answer = page_client.get(f"/staff/stats?{query}")
        assert answer.status_code == 200
        return _people(text_of(answer))

    # Taking turns, so that each request runs a query made for an earlier one.
    for _round in range(2):
        assert people_in(client, first) == 7
        assert people_in(client, second) == 7
        assert people_in(manager, first) == 3
        assert people_in(client, f"{first}&organisation={other.id}") == 4
        assert people_in(client, f"{second}&organisation={centre.id}") == 3
        assert people_in(client, f"{first}&category={walks.id}") == 2
        assert people_in(manager, second) == 3
        assert people_in(client, f"{second}&category={lectures.id}") == 3
        assert people_in(manager, f"{first}&category={lectures.id}") == 1


def test_page_cursors_of_one_period_are_not_taken_into_another(app, client, make):
    app.config["STAFF_PER_PAGE"] = 2
    first_week = local_today() + timedelta(days=1)
    second_week = first_week + timedelta(days=7)
    first = f"from={first_week}&to={first_week + timedelta(days=6)}"
    second = f"from={second_week}&to={second_week + timedelta(days=6)}"
    made = {first: [], second: []}
    for query, week, count in ((first, first_week, 5), (second, second_week, 3)):
        for number in range(count):
            event = make.event(f"活动{query[-2:]}{number}")
            make.event_session(event, day=week + timedelta(days=number % 3), capacity=5)
            made[query].append(str(event.id))
    login(client, make.staff(is_admin=True))

    def walk(query: str) -> list[str]:
        page = text_of(client.get(f"/staff/stats?{query}"))
        shown = _campaigns(page)
        # Another period's first page between each of this one's pages (a few at most).
        for _page in range(5):
            if 'rel="next"' not in page[page.index('id="table-events"') :].split("</section>")[0]:
                break
            client.get(f"/staff/stats?{second if query == first else first}")
            page = text_of(client.get(_next(page, "events")))
            shown += _campaigns(page)
        return shown

    assert sorted(walk(first)) == sorted(made[first])
    assert sorted(walk(second)) == sorted(made[second])
    # Back from the last page of the first week's campaigns: the page before it, whole.
    page = text_of(client.get(f"/staff/stats?{first}"))
    second_page = text_of(client.get(_next(page, "events")))
    client.get(f"/staff/stats?{second}")
    back = text_of(client.get(_next(second_page, "events", "prev")))
    assert _campaigns(back) == _campaigns(page)


def test_the_tables_headings_follow_each_readers_language(client, make):
    """The figure columns' headings are written once per language and shown to each reader
    in theirs, whoever asked first."""
    make.registration(make.event_session(make.event("活动"), capacity=10), 2)
    login(client, make.staff(is_admin=True))
    moved_up = '<th scope="col" class="num" title="Moved up from the waitlist">Moved up</th>'
    chinese = '<th scope="col" class="num" title="候补转正">转正</th>'
    for language, shown, hidden in (("zh", chinese, moved_up), ("en", moved_up, chinese)) * 2:
        client.set_cookie("lang", language)
        page = text_of(client.get("/staff/stats"))
        # Five tables, each with the columns' headings once.
        assert page.count(shown) == 5 and hidden not in page
        assert page.count('<th scope="colgroup" class="group" colspan="5">') == 10


def test_the_kept_queries_are_bounded_and_the_oldest_made_again(app, client, make, monkeypatch):
    """Each kept query holds about a megabyte of SQLAlchemy objects, and a reader can ask for
    many kinds (filters × each table's cursor): only the most recent few are kept, and one
    let go is made again with the same figures."""
    from outreach.stats import services

    monkeypatch.setattr(services, "KEPT_OVERVIEWS", 2)
    # The app's kept queries start afresh at that size (and come back after the test).
    monkeypatch.delitem(app.extensions, services.OVERVIEWS_EXTENSION, raising=False)
    centre = make.organisation()
    lectures = make.category()
    day = local_today() + timedelta(days=1)
    event = make.event(organisation=centre, category=lectures, max_party_size=4)
    make.registration(make.event_session(event, day=day, capacity=10), 3)
    login(client, make.staff(is_admin=True))
    week = f"from={day}&to={day + timedelta(days=6)}"
    queries = [
        week,
        f"{week}&organisation={centre.id}",
        f"{week}&category={lectures.id}",
        f"{week}&organisation={centre.id}&category={lectures.id}",
        week,
    ]
    for query in queries:
        answer = client.get(f"/staff/stats?{query}")
        assert answer.status_code == 200
        assert _people(text_of(answer)) == 3
        assert len(app.extensions[services.OVERVIEWS_EXTENSION]) <= 2
