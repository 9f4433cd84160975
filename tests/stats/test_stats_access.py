"""Statistics: who may see which figures, and filters that are refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from outreach.accounts import permissions
from outreach.accounts.models import Role
from tests.stats.support import text_of
from tests.web import login


@pytest.fixture
def offices(make):
    """Two organisations with an event each, and staff of every kind: enough for access."""
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
    make.event_session(screening, capacity=10)
    make.event_session(make.event("全国生态日", organisation=commission))
    return SimpleNamespace(users=users, screening=screening, centre=centre)


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
