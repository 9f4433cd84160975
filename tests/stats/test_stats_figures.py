"""Statistics of a three-day screening: exact figures, months in local time, filters, CSV
files, charts, the personal-data purge, and a query count that does not grow with the data.

The screening is built once for the module; each test runs in a savepoint of it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from outreach.registrations import retention
from outreach.registrations.models import Registration
from outreach.stats.forms import default_range
from tests import factories
from tests.stats.support import (
    BISHUI,
    CENTRE_TOTAL,
    CHENGUANG_DAY,
    CLINIC,
    ECOLOGY,
    LECTURE,
    RANGE,
    RESIDENT,
    SCREENING,
    XUANTE,
    arrive,
    book,
    cancel,
    chart_labels,
    figures_by_label,
    read_csv,
    text_of,
    without_token,
)
from tests.web import login, unversioned


@pytest.fixture(scope="module")
def three_day_screening(module_transaction):
    """The demo's three-day screening (three communities, one a day), and around it a weekly
    clinic at a township venue on 1 September at 07:00 Beijing time (still 31 August in UTC),
    a cancelled talk, a draft, and another organisation's ecology day. All in the past.

    Built once for the module; each test runs in a savepoint of it.
    """
    make = factories
    liulitun = make.township("六里屯街道", slug="liulitun", name_en="Liulitun Street")
    wangjing = make.township("望京街道", slug="wangjing", name_en="Wangjing Street")
    xuante = make.community(liulitun, "炫特社区", slug="xuante")
    chenguang = make.community(liulitun, "晨光社区", slug="chenguang")
    bishui = make.community(liulitun, "碧水社区", slug="bishui")
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="daxiyang")
    stations = {c.slug: make.venue(c, c.name + "服务站") for c in (xuante, chenguang, bishui)}
    square = make.venue(daxiyang, "大西洋新城广场")
    clinic_venue = make.venue(None, "六里屯社区卫生服务中心", township=liulitun)
    health = make.category("健康义诊", slug="screening", name_en="Health screening")
    talks = make.category("健康讲座", slug="talks", name_en="Health talk")
    ecology = make.category("生态环保", slug="ecology", name_en="Ecology")
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre", name_en="Liulitun Centre")
    commission = make.organisation("区发展改革委", slug="commission")
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "outsider": make.staff("outsider", organisation=commission, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    checker = users["checker"]

    screening = make.event(
        "医师节专家义诊进社区",
        organisation=centre,
        category=health,
        one_registration_per_event=True,
    )
    start = time(8, 30)
    day1 = make.event_session(screening, stations["xuante"], day=date(2025, 8, 19), start=start,
                        hours=3, capacity=30)  # fmt: skip
    day2 = make.event_session(screening, stations["chenguang"], day=date(2025, 8, 20), start=start,
                        hours=3, capacity=40)  # fmt: skip
    day3 = make.event_session(screening, stations["bishui"], day=date(2025, 8, 21), start=start,
                        hours=3, capacity=20)  # fmt: skip
    # Day 1: two slots of 20 under a capacity of 30, so 30 places. 6 people, 5 come.
    tcm, general = make.slot(day1, "中医科", 20), make.slot(day1, "全科", 20)
    arrive(book(day1, 2, slot=tcm), checker)
    arrive(book(day1, 3, slot=general), checker)
    book(day1, 1, slot=tcm)
    # Day 2: 4 come, 2 do not; one registration is cancelled beforehand.
    arrive(book(day2, 4), checker)
    book(day2, 2)
    cancel(book(day2, 1))
    # Day 3: full with five families of four; two wait; one cancels and the first waiting
    # family (two) moves up; one person still fits; a later pair waits and gives up.
    fours = [book(day3, 4) for _ in range(5)]
    pair, trio = book(day3, 2), book(day3, 3)
    cancel(fours[0])
    single = book(day3, 1)
    cancel(book(day3, 2))
    for registration in (fours[1], fours[2], pair):
        arrive(registration, checker)

    clinic = make.event("每周健康义诊日", organisation=centre, category=health)
    monday = make.event_session(clinic, clinic_venue, day=date(2025, 9, 1), start=time(7, 0))
    arrive(book(monday, 1), checker)
    book(monday, 2)

    talk = make.event("高血压健康讲座", organisation=centre, category=talks)
    called_off = make.event_session(talk, stations["chenguang"], day=date(2025, 8, 25),
                              start=time(14, 0), capacity=25)  # fmt: skip
    book(called_off, 2)
    called_off.status = SessionStatus.CANCELLED
    draft = make.event("草稿活动", organisation=centre, category=health, status=EventStatus.DRAFT)
    make.event_session(draft, stations["bishui"], day=date(2025, 8, 26), capacity=10)
    db.session.commit()

    day_of_ecology = make.event("全国生态日", organisation=commission, category=ecology)
    ecology_session = make.event_session(day_of_ecology, square, day=date(2025, 8, 15))
    book(ecology_session, 2)
    book(ecology_session, 1)
    db.session.commit()  # one transaction for every registration: the fixture stays quick

    assert trio.status == "waitlisted" and single.status == "confirmed"
    module_transaction.keep()
    return SimpleNamespace(
        users=users,
        screening=screening,
        clinic=clinic,
        talk=talk,
        centre=centre,
        commission=commission,
        health=health,
        ecology=ecology,
        communities=(xuante, chenguang, bishui, daxiyang),
    )


# ---------------------------------------------------------------------------------------------
# The figures, checked against hand-computed ones


def test_figures_per_community_for_the_manager(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    rows = figures_by_label(client.get(f"/staff/stats/communities.csv?{RANGE}"), labels=2)
    assert rows == {
        "晨光社区": CHENGUANG_DAY[:1] + ["1"] + CHENGUANG_DAY[2:],  # and the cancelled talk
        "碧水社区": BISHUI,
        "炫特社区": XUANTE,
        "Liulitun Street · Venues outside a community": CLINIC,
        "Total": CENTRE_TOTAL,
    }


def test_community_rows_name_their_township(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    _heading, rows = read_csv(client.get(f"/staff/stats/communities.csv?{RANGE}"))
    assert [row[:2] for row in rows] == [
        ["碧水社区", "Liulitun Street"],
        ["晨光社区", "Liulitun Street"],
        ["炫特社区", "Liulitun Street"],
        ["Liulitun Street · Venues outside a community", "Liulitun Street"],
        ["Total", ""],
    ]


def test_figures_per_campaign(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    heading, rows = read_csv(client.get(f"/staff/stats/events.csv?{RANGE}"))
    assert heading[:5] == ["Campaign", "Organisation", "Category", "First day", "Last day"]
    assert [row[:5] for row in rows[:-1]] == [
        ["医师节专家义诊进社区", "Liulitun Centre", "Health screening", "2025-08-19", "2025-08-21"],
        ["高血压健康讲座", "Liulitun Centre", "Health talk", "2025-08-25", "2025-08-25"],
        ["每周健康义诊日", "Liulitun Centre", "Health screening", "2025-09-01", "2025-09-01"],
    ]
    assert [row[5:] for row in rows] == [SCREENING, LECTURE, CLINIC, CENTRE_TOTAL]


def test_figures_per_township_and_category(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    townships = figures_by_label(client.get(f"/staff/stats/townships.csv?{RANGE}"))
    assert townships == {"Liulitun Street": CENTRE_TOTAL, "Total": CENTRE_TOTAL}
    categories = figures_by_label(client.get(f"/staff/stats/categories.csv?{RANGE}"))
    everything_held = CENTRE_TOTAL[:1] + ["0"] + CENTRE_TOTAL[2:]
    assert categories == {
        "Health screening": everything_held,
        "Health talk": LECTURE,
        "Total": CENTRE_TOTAL,
    }


def test_months_follow_beijing_time_on_every_engine(client, three_day_screening):
    """The clinic starts at 07:00 on 1 September in Beijing, 23:00 on 31 August in UTC."""
    login(client, three_day_screening.users["manager"])
    months = figures_by_label(client.get(f"/staff/stats/months.csv?{RANGE}"))
    august = ["3", "1"] + SCREENING[2:]
    assert months == {"2025-08": august, "2025-09": CLINIC, "Total": CENTRE_TOTAL}


def test_empty_months_of_the_range_are_listed(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    months = figures_by_label(client.get("/staff/stats/months.csv?from=2025-07-15&to=2025-10-01"))
    assert list(months) == ["2025-07", "2025-08", "2025-09", "2025-10", "Total"]
    assert months["2025-07"] == months["2025-10"] == LECTURE[:1] + ["0"] + LECTURE[2:]


def test_administrators_see_every_organisation_and_can_narrow_down(client, three_day_screening):
    login(client, three_day_screening.users["admin"])
    everything = figures_by_label(client.get(f"/staff/stats/communities.csv?{RANGE}"), labels=2)
    assert everything["大西洋新城社区"] == ECOLOGY
    assert everything["Total"] == [
        "5", "1", "90", "34.4", "15", "37", "15", "7", "46.7", "53.3", "20", "3", "7", "1", "1", "3"
    ]  # fmt: skip
    centre = f"/staff/stats/communities.csv?{RANGE}&organisation={three_day_screening.centre.id}"
    assert figures_by_label(client.get(centre), labels=2)["Total"] == CENTRE_TOTAL
    by_category = f"/staff/stats/communities.csv?{RANGE}&category={three_day_screening.ecology.id}"
    assert figures_by_label(client.get(by_category), labels=2) == {
        "大西洋新城社区": ECOLOGY,
        "Total": ECOLOGY,
    }


def test_campaign_rolls_up_across_its_communities_and_days(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    url = f"/staff/stats/events/{three_day_screening.screening.id}"
    communities = figures_by_label(client.get(url + "/communities.csv"), labels=2)
    assert communities == {
        "晨光社区": CHENGUANG_DAY,
        "碧水社区": BISHUI,
        "炫特社区": XUANTE,
        "Total": SCREENING,
    }
    days = figures_by_label(client.get(url + "/days.csv"))
    assert days == {
        "2025-08-19": XUANTE,
        "2025-08-20": CHENGUANG_DAY,
        "2025-08-21": BISHUI,
        "Total": SCREENING,
    }
    page = text_of(client.get(url))
    assert "3 days, 3 communities, 19 residents served." in page
    assert page.count('id="table-communities"') == page.count('id="table-days"') == 1


def test_campaign_report_reads_in_chinese(client, three_day_screening):
    client.set_cookie("lang", "zh")
    login(client, three_day_screening.users["manager"])
    page = text_of(client.get(f"/staff/stats/events/{three_day_screening.screening.id}"))
    assert "3天，3个社区，服务居民19人。" in page


def test_overview_page_shows_totals_tables_and_the_unlimited_note(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    page = text_of(client.get(f"/staff/stats?{RANGE}"))
    for table in ("events", "communities", "townships", "categories", "months"):
        assert f'id="table-{table}"' in page
        assert f'href="/staff/stats/{table}.csv?from=2025-08-01&amp;to=2025-09-30"' in page
    headline = re.search(r'<dl class="facts headline">(.*?)</dl>', page, re.S).group(1)
    cells = re.findall(r"<dd>(.*?)</dd>", headline, re.S)
    assert [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in cells] == [
        "4 (1 cancelled)", "13", "34", "20", "34.4%", "53.8%", "46.2%", "7"
    ]  # fmt: skip
    assert "1 session without a limit on places is left out of the fill rate." in page
    assert f'href="/staff/stats/events/{three_day_screening.screening.id}"' in page


# ---------------------------------------------------------------------------------------------
# Filters


def test_default_period_is_the_last_twelve_months_and_the_next(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    first, last = default_range(local_today())
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert (local_today().year * 12 + local_today().month) - (first.year * 12 + first.month) == 11
    page = text_of(client.get("/staff/stats"))
    assert f'name="from" value="{first.isoformat()}"' in page
    assert f'name="to" value="{last.isoformat()}"' in page


def test_the_filter_form_keeps_the_choices(client, three_day_screening):
    login(client, three_day_screening.users["admin"])
    page = text_of(client.get(f"/staff/stats?{RANGE}&category={three_day_screening.health.id}"))
    assert f'<option value="{three_day_screening.health.id}" selected>' in page
    assert 'value="2025-08-01"' in page and 'value="2025-09-30"' in page


# ---------------------------------------------------------------------------------------------
# CSV files


def test_csv_files_are_named_after_their_table_and_period(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    response = client.get(f"/staff/stats/months.csv?{RANGE}")
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="stats-months-2025-08-01-2025-09-30.csv"'
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    campaign = client.get(f"/staff/stats/events/{three_day_screening.screening.id}/days.csv")
    expected = f'attachment; filename="campaign-{three_day_screening.screening.id}-days.csv"'
    assert campaign.headers["Content-Disposition"] == expected


def test_no_names_or_phone_numbers_reach_the_statistics(client, three_day_screening):
    login(client, three_day_screening.users["admin"])
    phones = db.session.scalars(select(Registration.phone)).all()
    bodies = [text_of(client.get(f"/staff/stats?{RANGE}"))]
    bodies += [
        text_of(client.get(f"/staff/stats/{table}.csv?{RANGE}"))
        for table in ("events", "communities", "townships", "categories", "months")
    ]
    bodies.append(text_of(client.get(f"/staff/stats/events/{three_day_screening.screening.id}")))
    for body in bodies:
        assert RESIDENT not in body
        for phone in phones:
            assert phone not in body and phone.removeprefix("+86") not in body


def test_figures_are_unchanged_after_the_personal_data_purge(client, three_day_screening):
    login(client, three_day_screening.users["admin"])
    urls = [f"/staff/stats/{table}.csv?{RANGE}" for table in ("events", "communities", "months")]
    urls += [
        f"/staff/stats/events/{three_day_screening.screening.id}/{t}.csv"
        for t in ("communities", "days")
    ]
    before = [client.get(url).data for url in urls]
    page_before = without_token(text_of(client.get(f"/staff/stats?{RANGE}")))

    later = datetime(2030, 1, 1, tzinfo=UTC)
    while retention.purge_batch(90, now=later, size=7):
        db.session.commit()
    db.session.commit()
    db.session.expire_all()
    assert set(db.session.scalars(select(Registration.name))) == {""}

    assert [client.get(url).data for url in urls] == before
    assert without_token(text_of(client.get(f"/staff/stats?{RANGE}"))) == page_before


# ---------------------------------------------------------------------------------------------
# Charts


def test_charts_are_inline_svg_with_titles_and_labels(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    page = text_of(client.get(f"/staff/stats?{RANGE}"))
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert '<title id="chart-months-title">People per month</title>' in page
    assert '<title id="chart-communities-title">People per community</title>' in page
    assert 'aria-labelledby="chart-months-title chart-months-desc"' in page
    months = re.search(r'<svg[^>]*id="chart-months".*?</svg>', page, re.S).group(0)
    assert len(re.findall(r'<rect class="bar"', months)) == 4  # two months, two series
    assert "<title>Sep: People confirmed 3</title>" in months
    communities = re.search(r'<svg[^>]*id="chart-communities".*?</svg>', page, re.S).group(0)
    assert "<title>碧水社区: People checked in 10</title>" in communities
    assert ">碧水社区</text>" in communities
    # The charts need no script: the only one is the site's own, which every page loads.
    assert re.findall(r"<script[^>]*>", unversioned(page)) == [
        '<script src="/static/js/site.js" defer>'
    ]
    assert "cdn" not in page.lower()


def test_few_community_lines_keep_their_zero_bars(client, three_day_screening):
    login(client, three_day_screening.users["manager"])
    page = text_of(client.get(f"/staff/stats/events/{three_day_screening.talk.id}"))
    assert chart_labels(page) == ["晨光社区"]  # a cancelled talk: nobody, yet one line


# ---------------------------------------------------------------------------------------------
# Queries


def test_queries_do_not_grow_with_the_data(client, three_day_screening, make, count_queries):
    login(client, three_day_screening.users["admin"])
    url = f"/staff/stats?{RANGE}"
    campaign = f"/staff/stats/events/{three_day_screening.screening.id}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    with count_queries() as few_campaign:
        assert client.get(campaign).status_code == 200

    for number in range(6):
        community = make.community(name=f"新社区{number}")
        event = make.event(organisation=three_day_screening.centre, category=make.category())
        for day in (date(2025, 8, 12 + number), date(2025, 9, 3 + number)):
            event_session = make.event_session(event, make.venue(community), day=day, capacity=8)
            for party in (1, 2, 3, 4):
                book(event_session, party)
        other = make.venue(community)
        extra = make.event_session(
            three_day_screening.screening, other, day=date(2025, 8, 22 + number), capacity=5
        )
        book(extra, 2)
    db.session.commit()
    with count_queries() as many:
        assert client.get(url).status_code == 200
    with count_queries() as many_campaign:
        assert client.get(campaign).status_code == 200
    assert len(many) == len(few)
    assert len(many_campaign) == len(few_campaign)
    # Each page adds every table up in one aggregate query (the tables as one UNION ALL).
    assert sum("GROUP BY" in statement for statement in many) == 1
    assert sum("GROUP BY" in statement for statement in many_campaign) == 1
