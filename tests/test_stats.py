"""Statistics: access, exact figures of a three-day screening, months in local time, CSV files,
charts, filters, the personal-data purge and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.accounts import permissions
from outreach.accounts.models import Role
from outreach.database import db
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from outreach.registrations import roster
from outreach.registrations import services as registrations
from outreach.registrations.models import Registration
from outreach.stats import charts
from outreach.stats.forms import default_range
from tests import factories
from tests.conftest import login

BEFORE = datetime(2025, 8, 10, 2, 0, tzinfo=UTC)  # when residents registered
RANGE = "from=2025-08-01&to=2025-09-30"
RESIDENT = "王秀英"
HEADINGS = [
    "Sessions",
    "Cancelled sessions",
    "Places (sessions with a limit)",
    "Fill rate (%)",
    "Confirmed registrations",
    "People confirmed",
    "Confirmed registrations of ended sessions",
    "Checked in (registrations)",
    "Check-in rate (%)",
    "No-show rate (%)",
    "People checked in",
    "Waitlisted at any time (registrations)",
    "Waitlisted at any time (people)",
    "Moved up from the waitlist",
    "Still waiting (registrations)",
    "Still waiting (people)",
]

# Hand-computed figures, in the order of HEADINGS.
XUANTE = ["1", "0", "30", "20.0", "3", "6", "3", "2", "66.7", "33.3", "5", "0", "0", "0", "0", "0"]
CHENGUANG_DAY = ["1", "0", "40", "15.0", "2", "6", "2", "1", "50.0", "50.0", "4"] + ["0"] * 5
BISHUI = [
    "1",
    "0",
    "20",
    "95.0",
    "6",
    "19",
    "6",
    "3",
    "50.0",
    "50.0",
    "10",
    "3",
    "7",
    "1",
    "1",
    "3",
]
SCREENING = ["3", "0", "90", "34.4", "11", "31", "11", "6", "54.5", "45.5", "19", "3", "7", "1"]
SCREENING += ["1", "3"]
CLINIC = ["1", "0", "0", "", "2", "3", "2", "1", "50.0", "50.0", "1"] + ["0"] * 5
LECTURE = ["0", "1", "0", "", "0", "0", "0", "0", "", "", "0"] + ["0"] * 5
CENTRE_TOTAL = ["4", "1", "90", "34.4", "13", "34", "13", "7", "53.8", "46.2", "20", "3", "7", "1"]
CENTRE_TOTAL += ["1", "3"]
ECOLOGY = ["1", "0", "0", "", "2", "3", "2", "0", "0.0", "100.0", "0"] + ["0"] * 5


def text_of(response) -> str:
    return response.get_data(as_text=True)


def book(event_session, party: int, *, slot=None, name: str = RESIDENT):
    """A resident's registration, made before the session (which now lies in the past)."""
    request = registrations.RegistrationRequest(
        name=name,
        phone=factories.phone(),
        party_size=party,
        consent=True,
        slot_id=slot.id if slot else None,
    )
    return registrations.register(event_session.id, request, now=BEFORE)


def cancel(registration) -> None:
    registrations.cancel(registration, now=BEFORE + timedelta(hours=1))


def arrive(registration, staff) -> None:
    at = registration.event_session.starts_at + timedelta(minutes=10)
    registrations.check_in(registration, actor=staff, now=at)


@pytest.fixture
def world(make, client):
    """The demo's three-day screening (three communities, one a day), and around it a weekly
    clinic at a township venue on 1 September at 07:00 Beijing time (still 31 August in UTC),
    a cancelled talk, a draft, and another organisation's ecology day. All in the past.
    """
    client.set_cookie("lang", "en")
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
    day1 = make.session(screening, stations["xuante"], day=date(2025, 8, 19), start=start,
                        hours=3, capacity=30)  # fmt: skip
    day2 = make.session(screening, stations["chenguang"], day=date(2025, 8, 20), start=start,
                        hours=3, capacity=40)  # fmt: skip
    day3 = make.session(screening, stations["bishui"], day=date(2025, 8, 21), start=start,
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
    monday = make.session(clinic, clinic_venue, day=date(2025, 9, 1), start=time(7, 0))
    arrive(book(monday, 1), checker)
    book(monday, 2)

    talk = make.event("高血压健康讲座", organisation=centre, category=talks)
    called_off = make.session(talk, stations["chenguang"], day=date(2025, 8, 25),
                              start=time(14, 0), capacity=25)  # fmt: skip
    book(called_off, 2)
    called_off.status = SessionStatus.CANCELLED
    draft = make.event("草稿活动", organisation=centre, category=health, status=EventStatus.DRAFT)
    make.session(draft, stations["bishui"], day=date(2025, 8, 26), capacity=10)
    db.session.commit()

    day_of_ecology = make.event("全国生态日", organisation=commission, category=ecology)
    ecology_session = make.session(day_of_ecology, square, day=date(2025, 8, 15))
    book(ecology_session, 2)
    book(ecology_session, 1)
    db.session.commit()  # one transaction for every registration: the fixture stays quick

    assert trio.status == "waitlisted" and single.status == "confirmed"
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


@pytest.fixture
def offices(make, client):
    """Two organisations with an event each, and staff of every kind: enough for access."""
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    commission = make.organisation(slug="commission")
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "outsider": make.staff("outsider", organisation=commission, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    screening = make.event("医师节专家义诊进社区", organisation=centre)
    make.session(screening, capacity=10)
    make.session(make.event("全国生态日", organisation=commission))
    return SimpleNamespace(users=users, screening=screening, centre=centre)


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    """The heading and rows of a CSV download, after checking it is one."""
    assert response.status_code == 200, text_of(response)[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return table[0], table[1:]


def figures_by_label(response, labels: int = 1) -> dict[str, list[str]]:
    """Each row's figures by its first cell; the measure columns follow `labels` label ones."""
    heading, rows = read_csv(response)
    assert heading[labels:] == HEADINGS
    return {row[0]: row[labels:] for row in rows}


# ---------------------------------------------------------------------------------------------
# Who may see what


URLS = (
    "/staff/stats",
    "/staff/stats/communities.csv",
    "/staff/stats/events/{event}",
    "/staff/stats/events/{event}/days.csv",
)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", "login"),
        ("checker", 403),
        ("organiser", 403),
        ("outsider", None),  # a manager of another organisation: overview yes, campaign no
        ("manager", 200),
        ("admin", 200),
    ],
)
def test_statistics_are_for_managers_and_administrators(client, offices, url, who, expected):
    if who != "anonymous":
        login(client, offices.users[who])
    if expected is None:
        expected = 403 if "events" in url else 200
    response = client.get(url.format(event=offices.screening.id))
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")
    else:
        assert response.status_code == expected


def test_a_manager_cannot_ask_for_another_organisations_figures(client, offices):
    login(client, offices.users["outsider"])
    assert client.get(f"/staff/stats?organisation={offices.centre.id}").status_code == 403
    csv_url = f"/staff/stats/events.csv?organisation={offices.centre.id}"
    assert client.get(csv_url).status_code == 403
    own = text_of(client.get("/staff/stats"))
    assert "全国生态日" in own and "医师节专家义诊进社区" not in own


def test_unknown_campaign_is_404(client, offices):
    login(client, offices.users["admin"])
    assert client.get("/staff/stats/events/999999").status_code == 404
    assert client.get("/staff/stats/events/999999/communities.csv").status_code == 404
    assert client.get("/staff/stats/nothing.csv").status_code == 404


@pytest.mark.parametrize(
    ("who", "shown"), [("manager", True), ("admin", True), ("organiser", False)]
)
def test_dashboard_links_to_statistics_for_those_allowed(client, offices, who, shown):
    login(client, offices.users[who])
    page = text_of(client.get("/staff/"))
    assert ('href="/staff/stats"' in page) is shown


# ---------------------------------------------------------------------------------------------
# The figures, checked against hand-computed ones


def test_figures_per_community_for_the_manager(client, world):
    login(client, world.users["manager"])
    rows = figures_by_label(client.get(f"/staff/stats/communities.csv?{RANGE}"), labels=2)
    assert rows == {
        "晨光社区": CHENGUANG_DAY[:1] + ["1"] + CHENGUANG_DAY[2:],  # and the cancelled talk
        "碧水社区": BISHUI,
        "炫特社区": XUANTE,
        "Liulitun Street · Venues outside a community": CLINIC,
        "Total": CENTRE_TOTAL,
    }


def test_community_rows_name_their_township(client, world):
    login(client, world.users["manager"])
    _heading, rows = read_csv(client.get(f"/staff/stats/communities.csv?{RANGE}"))
    assert [row[:2] for row in rows] == [
        ["碧水社区", "Liulitun Street"],
        ["晨光社区", "Liulitun Street"],
        ["炫特社区", "Liulitun Street"],
        ["Liulitun Street · Venues outside a community", "Liulitun Street"],
        ["Total", ""],
    ]


def test_figures_per_campaign(client, world):
    login(client, world.users["manager"])
    heading, rows = read_csv(client.get(f"/staff/stats/events.csv?{RANGE}"))
    assert heading[:5] == ["Campaign", "Organisation", "Category", "First day", "Last day"]
    assert [row[:5] for row in rows[:-1]] == [
        ["医师节专家义诊进社区", "Liulitun Centre", "Health screening", "2025-08-19", "2025-08-21"],
        ["高血压健康讲座", "Liulitun Centre", "Health talk", "2025-08-25", "2025-08-25"],
        ["每周健康义诊日", "Liulitun Centre", "Health screening", "2025-09-01", "2025-09-01"],
    ]
    assert [row[5:] for row in rows] == [SCREENING, LECTURE, CLINIC, CENTRE_TOTAL]


def test_figures_per_township_and_category(client, world):
    login(client, world.users["manager"])
    townships = figures_by_label(client.get(f"/staff/stats/townships.csv?{RANGE}"))
    assert townships == {"Liulitun Street": CENTRE_TOTAL, "Total": CENTRE_TOTAL}
    categories = figures_by_label(client.get(f"/staff/stats/categories.csv?{RANGE}"))
    everything_held = CENTRE_TOTAL[:1] + ["0"] + CENTRE_TOTAL[2:]
    assert categories == {
        "Health screening": everything_held,
        "Health talk": LECTURE,
        "Total": CENTRE_TOTAL,
    }


def test_months_follow_beijing_time_on_every_engine(client, world):
    """The clinic starts at 07:00 on 1 September in Beijing, 23:00 on 31 August in UTC."""
    login(client, world.users["manager"])
    months = figures_by_label(client.get(f"/staff/stats/months.csv?{RANGE}"))
    august = ["3", "1"] + SCREENING[2:]
    assert months == {"2025-08": august, "2025-09": CLINIC, "Total": CENTRE_TOTAL}


def test_empty_months_of_the_range_are_listed(client, world):
    login(client, world.users["manager"])
    months = figures_by_label(client.get("/staff/stats/months.csv?from=2025-07-15&to=2025-10-01"))
    assert list(months) == ["2025-07", "2025-08", "2025-09", "2025-10", "Total"]
    assert months["2025-07"] == months["2025-10"] == LECTURE[:1] + ["0"] + LECTURE[2:]


def test_administrators_see_every_organisation_and_can_narrow_down(client, world):
    login(client, world.users["admin"])
    everything = figures_by_label(client.get(f"/staff/stats/communities.csv?{RANGE}"), labels=2)
    assert everything["大西洋新城社区"] == ECOLOGY
    assert everything["Total"] == [
        "5", "1", "90", "34.4", "15", "37", "15", "7", "46.7", "53.3", "20", "3", "7", "1", "1", "3"
    ]  # fmt: skip
    centre = f"/staff/stats/communities.csv?{RANGE}&organisation={world.centre.id}"
    assert figures_by_label(client.get(centre), labels=2)["Total"] == CENTRE_TOTAL
    by_category = f"/staff/stats/communities.csv?{RANGE}&category={world.ecology.id}"
    assert figures_by_label(client.get(by_category), labels=2) == {
        "大西洋新城社区": ECOLOGY,
        "Total": ECOLOGY,
    }


def test_campaign_rolls_up_across_its_communities_and_days(client, world):
    login(client, world.users["manager"])
    url = f"/staff/stats/events/{world.screening.id}"
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


def test_campaign_report_reads_in_chinese(client, world):
    client.set_cookie("lang", "zh")
    login(client, world.users["manager"])
    page = text_of(client.get(f"/staff/stats/events/{world.screening.id}"))
    assert "3天，3个社区，服务居民19人。" in page


def test_overview_page_shows_totals_tables_and_the_unlimited_note(client, world):
    login(client, world.users["manager"])
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
    assert f'href="/staff/stats/events/{world.screening.id}"' in page


def test_rates_wait_for_the_session_to_end(client, make):
    client.set_cookie("lang", "en")
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    tomorrow = make.session(make.event(organisation=centre), capacity=10)
    make.registration(tomorrow, 3)
    login(client, manager)
    rows = figures_by_label(client.get("/staff/stats/categories.csv"))
    assert rows["Total"] == ["1", "0", "10", "30.0", "1", "3", "0", "0", "", "", "0"] + ["0"] * 5
    assert "—" in text_of(client.get("/staff/stats"))


def test_slots_bound_the_places_of_a_session_without_its_own_capacity(client, make):
    client.set_cookie("lang", "en")
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event_session = make.session(make.event(organisation=centre), capacity=None)
    morning, afternoon = make.slot(event_session, "上午", 6), make.slot(event_session, "下午", 6)
    make.registration(event_session, 3, slot_id=morning.id)
    make.registration(event_session, 3, slot_id=afternoon.id)
    login(client, manager)
    total = figures_by_label(client.get("/staff/stats/categories.csv"))["Total"]
    assert total[2:6] == ["12", "50.0", "2", "6"]


# ---------------------------------------------------------------------------------------------
# Filters


def test_default_period_is_the_last_twelve_months_and_the_next(client, world):
    login(client, world.users["manager"])
    first, last = default_range(local_today())
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert (local_today().year * 12 + local_today().month) - (first.year * 12 + first.month) == 11
    page = text_of(client.get("/staff/stats"))
    assert f'name="from" value="{first.isoformat()}"' in page
    assert f'name="to" value="{last.isoformat()}"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "from=2025-02-30",
            "“2025-02-30” is not a date; use the form YYYY-MM-DD, e.g. 2026-08-15.",
        ),
        ("from=2025-09-01&to=2025-08-01", "The end date is before the start date."),
        ("from=2020-01-01&to=2025-01-01", "Please choose a period of at most 5 years."),
        ("from=1900-01-01", "Please enter a date from 2000 to 2100."),
        ("category=abc", "There is no such category."),
        ("category=999999", "There is no such category."),
        ("organisation=999999", "There is no such organisation."),
    ],
)
def test_bad_filters_are_explained_and_nothing_is_counted(client, offices, query, message):
    login(client, offices.users["admin"])
    response = client.get(f"/staff/stats?{query}")
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert 'id="table-events"' not in page and "<svg" not in page
    assert client.get(f"/staff/stats/events.csv?{query}").status_code == 400


def test_bad_filters_are_explained_in_chinese(client, offices):
    client.set_cookie("lang", "zh")
    login(client, offices.users["manager"])
    response = client.get("/staff/stats?from=2025-09-01&to=2025-08-01")
    assert response.status_code == 400
    assert "结束日期早于开始日期" in text_of(response)


def test_the_filter_form_keeps_the_choices(client, world):
    login(client, world.users["admin"])
    page = text_of(client.get(f"/staff/stats?{RANGE}&category={world.health.id}"))
    assert f'<option value="{world.health.id}" selected>' in page
    assert 'value="2025-08-01"' in page and 'value="2025-09-30"' in page


# ---------------------------------------------------------------------------------------------
# CSV files


def test_csv_files_are_named_after_their_table_and_period(client, world):
    login(client, world.users["manager"])
    response = client.get(f"/staff/stats/months.csv?{RANGE}")
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="stats-months-2025-08-01-2025-09-30.csv"'
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    campaign = client.get(f"/staff/stats/events/{world.screening.id}/days.csv")
    expected = f'attachment; filename="campaign-{world.screening.id}-days.csv"'
    assert campaign.headers["Content-Disposition"] == expected


def test_csv_defuses_formulas_in_names(client, make):
    client.set_cookie("lang", "en")
    township = make.township("+1街道")
    community = make.community(township, "@SUM(A1)社区")
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event = make.event('=HYPERLINK("http://example.com")', organisation=centre,
                       category=make.category("-2类别", name_en=None))  # fmt: skip
    make.session(event, make.venue(community))
    login(client, manager)
    cells = []
    for table in ("events", "communities", "townships", "categories"):
        _heading, rows = read_csv(client.get(f"/staff/stats/{table}.csv"))
        cells += [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://example.com")' in cells
    assert "'@SUM(A1)社区" in cells and "'+1街道" in cells and "'-2类别" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_no_names_or_phone_numbers_reach_the_statistics(client, world):
    login(client, world.users["admin"])
    phones = db.session.scalars(select(Registration.phone)).all()
    bodies = [text_of(client.get(f"/staff/stats?{RANGE}"))]
    bodies += [
        text_of(client.get(f"/staff/stats/{table}.csv?{RANGE}"))
        for table in ("events", "communities", "townships", "categories", "months")
    ]
    bodies.append(text_of(client.get(f"/staff/stats/events/{world.screening.id}")))
    for body in bodies:
        assert RESIDENT not in body
        for phone in phones:
            assert phone not in body and phone.removeprefix("+86") not in body


# ---------------------------------------------------------------------------------------------
# The personal-data purge leaves the figures alone


def without_token(page: str) -> str:
    """A page without its CSRF token, which is signed with the time."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_figures_are_unchanged_after_the_personal_data_purge(client, world):
    login(client, world.users["admin"])
    urls = [f"/staff/stats/{table}.csv?{RANGE}" for table in ("events", "communities", "months")]
    urls += [f"/staff/stats/events/{world.screening.id}/{t}.csv" for t in ("communities", "days")]
    before = [client.get(url).data for url in urls]
    page_before = without_token(text_of(client.get(f"/staff/stats?{RANGE}")))

    later = datetime(2030, 1, 1, tzinfo=UTC)
    while roster.purge_batch(90, now=later, size=7):
        db.session.commit()
    db.session.commit()
    db.session.expire_all()
    assert set(db.session.scalars(select(Registration.name))) == {""}

    assert [client.get(url).data for url in urls] == before
    assert without_token(text_of(client.get(f"/staff/stats?{RANGE}"))) == page_before


# ---------------------------------------------------------------------------------------------
# Charts


def test_charts_are_inline_svg_with_titles_and_labels(client, world):
    login(client, world.users["manager"])
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
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/site.js" defer>']
    assert "cdn" not in page.lower()


def test_chart_labels_are_escaped(client, make):
    client.set_cookie("lang", "en")
    community = make.community(name='<script>alert("x")</script>&社区')
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event = make.event("<b>义诊</b>", organisation=centre)
    make.registration(make.session(event, make.venue(community), capacity=5), 2)
    login(client, manager)
    for url in ("/staff/stats", f"/staff/stats/events/{event.id}"):
        page = text_of(client.get(url))
        assert "<script>alert" not in page and "<b>义诊</b>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;社区" in page


@pytest.fixture
def spread(make, client):
    """A campaign across two townships: eight communities and each township's own venue
    (a school, a clinic); people came to three communities and to one township venue."""
    client.set_cookie("lang", "en")
    shibali = make.township("十八里店乡", slug="shibalidian", name_en="Shibalidian Township")
    liulitun = make.township("六里屯街道", slug="liulitun", name_en="Liulitun Street")
    centre = make.organisation(slug="centre")
    manager = make.staff("manager", organisation=centre, role="manager")
    campaign = make.event("垃圾分类宣传周", organisation=centre)
    day = date(2025, 8, 20)
    communities = [
        make.community(shibali if n % 2 else liulitun, f"第{n}社区", slug=f"c{n}") for n in range(8)
    ]
    for number, community in enumerate(communities):
        event_session = make.session(campaign, make.venue(community), day=day, capacity=50)
        if number < 3:
            book(event_session, number + 1)
    school = make.session(campaign, make.venue(None, "乡中心小学", township=shibali), day=day)
    book(school, 4)
    make.session(campaign, make.venue(None, "街道卫生服务中心", township=liulitun), day=day)
    db.session.commit()
    login(client, manager)
    return campaign


def chart_labels(page: str) -> list[str]:
    """The row labels of the community chart, top to bottom, whole (as the bars' tooltips
    say them: a label too long for the chart's margin is cut there)."""
    chart = re.search(r'<svg[^>]*id="chart-communities".*?</svg>', page, re.S).group(0)
    return re.findall(r"<title>([^<]+): (?:People confirmed|报名成功人数) \d+</title>", chart)


@pytest.mark.parametrize("where", ["overview", "campaign"])
def test_venues_outside_communities_are_named_by_their_township(client, spread, where):
    if where == "overview":
        page_url, csv_url = f"/staff/stats?{RANGE}", f"/staff/stats/communities.csv?{RANGE}"
    else:
        page_url = f"/staff/stats/events/{spread.id}"
        csv_url = f"/staff/stats/events/{spread.id}/communities.csv"
    page = text_of(client.get(page_url))
    school = "Shibalidian Township · Venues outside a community"
    clinic = "Liulitun Street · Venues outside a community"
    # The table lists every line, the two township venues each under their own name.
    table = re.search(r'<section class="stats-table" id="table-communities">.*?</section>',
                      page, re.S).group(0)  # fmt: skip
    assert f'<th scope="row">{school}</th>' in table
    assert f'<th scope="row">{clinic}</th>' in table
    assert table.count("<tr>") == 2 + 10 + 1  # two heading rows, ten lines, the total
    # The chart leaves out the lines nobody came to: five of the ten have no bar.
    assert chart_labels(page) == [school, "第2社区", "第1社区", "第0社区"]
    assert "communities without anyone are left out" in page
    _heading, rows = read_csv(client.get(csv_url))
    labels = [row[0] for row in rows]
    assert school in labels and clinic in labels and len(labels) == 11  # and the total


def test_few_community_lines_keep_their_zero_bars(client, world):
    login(client, world.users["manager"])
    page = text_of(client.get(f"/staff/stats/events/{world.talk.id}"))
    assert chart_labels(page) == ["晨光社区"]  # a cancelled talk: nobody, yet one line


def test_venues_outside_communities_are_named_in_chinese(client, spread):
    client.set_cookie("lang", "zh")
    page = text_of(client.get(f"/staff/stats/events/{spread.id}"))
    assert "十八里店乡 · 不属于社区的场地" in chart_labels(page)
    assert "六里屯街道 · 不属于社区的场地" in page


def test_column_chart_draws_a_bar_per_value_and_a_round_axis():
    drawn = charts.column_chart(
        "c",
        "T",
        "D",
        ["a", "b", "c"],
        [charts.Series("S", [0, 7, 3]), charts.Series("U", [1, 2, 3])],
    )
    assert drawn.count('<rect class="bar"') == 6
    assert ">8</text>" in drawn  # the axis goes up to a round 8 (steps of 2) above 7
    assert charts.nice_ceiling(7) == (8, 2)
    assert charts.nice_ceiling(0) == (1.0, 1.0)
    assert charts.nice_ceiling(1234) == (1500, 500)


def test_long_labels_are_cut_to_fit():
    long = "朝阳区六里屯街道炫特社区居民委员会服务站东区活动室"
    cut = charts.fit(long, 120)
    assert cut.endswith("…") and charts.text_width(cut) <= 120 and long.startswith(cut[:-1])
    assert charts.fit("短", 120) == "短"


# ---------------------------------------------------------------------------------------------
# Queries


def test_queries_do_not_grow_with_the_data(client, world, make, count_queries):
    login(client, world.users["admin"])
    url = f"/staff/stats?{RANGE}"
    campaign = f"/staff/stats/events/{world.screening.id}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    with count_queries() as few_campaign:
        assert client.get(campaign).status_code == 200

    for number in range(6):
        community = make.community(name=f"新社区{number}")
        event = make.event(organisation=world.centre, category=make.category())
        for day in (date(2025, 8, 12 + number), date(2025, 9, 3 + number)):
            event_session = make.session(event, make.venue(community), day=day, capacity=8)
            for party in (1, 2, 3, 4):
                book(event_session, party)
        other = make.venue(community)
        extra = make.session(world.screening, other, day=date(2025, 8, 22 + number), capacity=5)
        book(extra, 2)
    db.session.commit()
    with count_queries() as many:
        assert client.get(url).status_code == 200
    with count_queries() as many_campaign:
        assert client.get(campaign).status_code == 200
    assert len(many) == len(few)
    assert len(many_campaign) == len(few_campaign)
    # Each page adds everything up in one aggregate query.
    assert sum("GROUP BY" in statement for statement in many) == 1
    assert sum("GROUP BY" in statement for statement in many_campaign) == 1


@pytest.mark.parametrize(
    ("roles", "admin", "organisation_id", "expected"),
    [
        ((), True, None, True),
        ((), True, 7, True),
        (((1, Role.MANAGER),), False, None, True),
        (((1, Role.MANAGER),), False, 1, True),
        (((1, Role.MANAGER), (2, Role.ORGANISER)), False, 2, False),
        (((1, Role.ORGANISER),), False, None, False),
        (((1, Role.CHECKER),), False, 1, False),
    ],
)
def test_statistics_rule(roles, admin, organisation_id, expected):
    memberships = [SimpleNamespace(organisation_id=o, role=r) for o, r in roles]
    user = SimpleNamespace(is_authenticated=True, is_admin=admin, memberships=memberships)
    assert permissions.can_see_stats(user, organisation_id) is expected
    assert permissions.Checks(user).see_stats(organisation_id) is expected
