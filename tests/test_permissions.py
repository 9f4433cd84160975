"""Who may open which staff page: every staff URL against every kind of user, and the rules.

The matrix is data: one row per (method, URL) with the status each kind of user gets. A new
staff URL needs a row (a test below fails until it has one), so no page slips in unguarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import pytest
from werkzeug.exceptions import HTTPException

from outreach.accounts import permissions
from outreach.accounts.models import Role
from tests import factories
from tests.web import login, post_form

WHO = ("anonymous", "checker", "organiser", "outsider", "manager", "admin")

# What a response may be. LOGIN: 302 to the sign-in page. REDIRECT: 302 anywhere else (saved,
# or sent on). OK: 200. NO: 403. HIDDEN: another organisation's record, refused (403) or
# denied to exist (404). ACCEPTED: let through to the form (re-shown with errors, saved, or
# refused for its input); used where a row's body is left empty.
LOGIN = "login"
REDIRECT = "redirect"
OK = 200
NO = 403
HIDDEN = frozenset({403, 404})
ACCEPTED = frozenset({200, 302, 400, 422})

ANY_STAFF = (LOGIN, OK, OK, OK, OK, OK)
ADMIN_PAGE = (LOGIN, NO, NO, NO, NO, OK)
ADMIN_ACTION = (LOGIN, NO, NO, NO, NO, REDIRECT)
MANAGER_PAGE = (LOGIN, NO, NO, NO, OK, OK)
MANAGER_ACTION = (LOGIN, NO, NO, NO, REDIRECT, REDIRECT)
EDITOR_PAGE = (LOGIN, NO, OK, HIDDEN, OK, OK)
EDITOR_ACTION = (LOGIN, NO, ACCEPTED, HIDDEN, ACCEPTED, ACCEPTED)
CHECKER_PAGE = (LOGIN, OK, OK, HIDDEN, OK, OK)
CHECKER_ACTION = (LOGIN, ACCEPTED, ACCEPTED, HIDDEN, ACCEPTED, ACCEPTED)
CHECKER_MOVED = (LOGIN, 301, 301, HIDDEN, 301, 301)  # a page moved elsewhere
ANY_EDITOR_PAGE = (LOGIN, NO, OK, OK, OK, OK)
ANY_EDITOR_ACTION = (LOGIN, NO, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED)


@dataclass(frozen=True)
class Row:
    """One staff URL: the status each of WHO gets, and the form sent with a POST.

    `url` and the values of `data` may name the permission world's records: {event}, {session},
    {registration} and {slot} (of that session), {organisation}, {township}, {community}, {venue},
    {category}, {official_day}, {member} (the checker, a member of the organisation), {user} (the
    outsider's account) and {invitation} (of the outsider to the organisation).
    """

    method: str
    url: str
    expected: tuple
    data: dict[str, str] = field(default_factory=dict)

    def status_of(self, who: str):
        """The expected status for one kind of user."""
        return self.expected[WHO.index(who)]


PLACE = {"name": "新地名", "township_id": "{township}", "community_id": "{community}"}
CATEGORY = {"name": "新类别", "slug": "new-category", "colour": "#123456"}
ORGANISATION = {"name": "新单位", "kind": "school"}
NEW_ACCOUNT = {"username": "fresh", "display_name": "新人", "password": "long enough password"}

MATRIX = [
    # Signing in and out, the dashboard
    Row("GET", "/staff/login", (OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    Row("POST", "/staff/logout", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    # The second step of signing in opens only after the password step, whoever asks.
    Row("GET", "/staff/login/code", (LOGIN,) * len(WHO)),
    Row("POST", "/staff/login/code", (LOGIN,) * len(WHO), {"code": "000000"}),
    Row("GET", "/staff/login/enrol", (LOGIN,) * len(WHO)),
    Row("POST", "/staff/login/enrol", (LOGIN,) * len(WHO), {"code": "000000"}),
    Row("GET", "/staff/", ANY_STAFF),
    Row("GET", "/staff/account", ANY_STAFF),
    # One's own two-factor sign-in (the administrator has it already, and must keep it).
    Row("GET", "/staff/account/two-factor", (LOGIN, OK, OK, OK, OK, REDIRECT)),
    Row("POST", "/staff/account/two-factor", (LOGIN, OK, OK, OK, OK, REDIRECT), {"code": "0"}),
    Row(
        "POST",
        "/staff/account/two-factor/recovery-codes",
        ANY_STAFF,
        {"recovery-code": "000000"},
    ),
    Row(
        "POST",
        "/staff/account/two-factor/off",
        (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, OK),
        {"off-code": "000000"},
    ),
    Row("POST", "/staff/account/password", (LOGIN, *[ACCEPTED] * 5), {"password": "x"}),
    Row(
        "POST",
        "/staff/account/sign-out-everywhere",
        (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ),
    # Places and categories (administrators)
    Row("GET", "/staff/places", ADMIN_PAGE),
    Row("GET", "/staff/places/townships/new", ADMIN_PAGE),
    Row("POST", "/staff/places/townships/new", ADMIN_ACTION, {"name": "新街道", "kind": "street"}),
    Row("GET", "/staff/places/townships/{township}/edit", ADMIN_PAGE),
    Row(
        "POST",
        "/staff/places/townships/{township}/edit",
        ADMIN_ACTION,
        {"name": "改名", "kind": "township"},
    ),
    Row("GET", "/staff/places/communities/new", ADMIN_PAGE),
    Row("POST", "/staff/places/communities/new", ADMIN_ACTION, PLACE),
    Row("GET", "/staff/places/communities/{community}/edit", ADMIN_PAGE),
    Row("POST", "/staff/places/communities/{community}/edit", ADMIN_ACTION, PLACE),
    Row("GET", "/staff/places/venues/new", ADMIN_PAGE),
    Row("POST", "/staff/places/venues/new", ADMIN_ACTION, PLACE),
    Row("GET", "/staff/places/venues/{venue}/edit", ADMIN_PAGE),
    Row("POST", "/staff/places/venues/{venue}/edit", ADMIN_ACTION, PLACE),
    Row("GET", "/staff/categories", ADMIN_PAGE),
    Row("GET", "/staff/categories/new", ADMIN_PAGE),
    Row("POST", "/staff/categories/new", ADMIN_ACTION, CATEGORY),
    Row("GET", "/staff/categories/{category}/edit", ADMIN_PAGE),
    Row("POST", "/staff/categories/{category}/edit", ADMIN_ACTION, CATEGORY),
    Row("GET", "/staff/holidays", ADMIN_PAGE),
    Row("GET", "/staff/followers", ANY_STAFF),  # counts only, never who
    Row("POST", "/staff/holidays/days", ADMIN_ACTION, {"day": "2031-10-02", "kind": "holiday"}),
    Row("POST", "/staff/holidays/days/{official_day}/delete", ADMIN_ACTION),
    Row("POST", "/staff/holidays/import", ADMIN_ACTION, {"text": "2031-10-03 holiday 国庆节"}),
    # Organisations and their members
    Row("GET", "/staff/organisations", MANAGER_PAGE),
    Row("GET", "/staff/organisations/new", ADMIN_PAGE),
    Row("POST", "/staff/organisations/new", ADMIN_ACTION, ORGANISATION),
    Row("GET", "/staff/organisations/{organisation}", MANAGER_PAGE),
    Row("GET", "/staff/organisations/{organisation}/edit", ADMIN_PAGE),
    Row("POST", "/staff/organisations/{organisation}/two-factor", ADMIN_ACTION, {"state": "on"}),
    Row("POST", "/staff/organisations/{organisation}/edit", ADMIN_ACTION, ORGANISATION),
    Row(
        "POST",
        "/staff/organisations/{organisation}/members",
        MANAGER_ACTION,
        {"existing-username": "outsider", "existing-role": "checker"},
    ),
    Row(
        "POST",
        "/staff/organisations/{organisation}/members/new",
        MANAGER_ACTION,
        {f"new-{key}": value for key, value in NEW_ACCOUNT.items()} | {"new-role": "checker"},
    ),
    Row(
        "POST",
        "/staff/organisations/{organisation}/members/{member}/role",
        MANAGER_ACTION,
        {"role": "organiser"},
    ),
    Row("POST", "/staff/organisations/{organisation}/members/{member}/remove", MANAGER_ACTION),
    Row(
        "POST",
        "/staff/organisations/{organisation}/invitations/{invitation}/withdraw",
        MANAGER_ACTION,
    ),
    # The invitation is addressed to the outsider: nobody else finds it.
    Row("POST", "/staff/invitations/{invitation}/accept", (LOGIN, 404, 404, REDIRECT, 404, 404)),
    Row("POST", "/staff/invitations/{invitation}/decline", (LOGIN, 404, 404, REDIRECT, 404, 404)),
    # Staff accounts (administrators)
    Row("GET", "/staff/users", ADMIN_PAGE),
    Row("GET", "/staff/users/new", ADMIN_PAGE),
    Row("POST", "/staff/users/new", ADMIN_ACTION, NEW_ACCOUNT),
    Row("GET", "/staff/users/{user}", ADMIN_PAGE),
    Row("POST", "/staff/users/{user}/admin", ADMIN_ACTION, {"state": "on"}),
    Row("POST", "/staff/users/{user}/active", ADMIN_ACTION, {"state": "off"}),
    Row("POST", "/staff/users/{user}/password", ADMIN_ACTION, {"password": "a new long password"}),
    Row("POST", "/staff/users/{user}/two-factor/reset", ADMIN_ACTION),
    # The audit trail
    Row("GET", "/staff/audit", MANAGER_PAGE),
    # Statistics (managers of the event's organisation, administrators)
    Row("GET", "/staff/stats", MANAGER_PAGE),
    Row("GET", "/staff/stats/communities.csv", MANAGER_PAGE),
    Row("GET", "/staff/stats/events/{event}", MANAGER_PAGE),
    Row("GET", "/staff/stats/events/{event}/days.csv", MANAGER_PAGE),
    # Events, sessions, clone and series (the event editor's pages)
    Row("GET", "/staff/events", ANY_EDITOR_PAGE),
    Row("GET", "/staff/events/new", ANY_EDITOR_PAGE),
    Row("POST", "/staff/events/new", ANY_EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/edit", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/edit", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/sessions", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/sessions", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/sessions/campaign", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/sessions/{session}/edit", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/sessions/{session}/edit", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/sessions/{session}/cancel", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/sessions/{session}/cancel", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/sessions/{session}/restore", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/cancel", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/cancel", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/restore", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/publish", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/delete", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/delete", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/clone", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/clone", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/series", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/series", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/series/delete", EDITOR_ACTION),
    Row("GET", "/staff/events/{event}/sessions/{session}/slots", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/sessions/{session}/slots", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/sessions/{session}/slots/{slot}", EDITOR_ACTION),
    Row("POST", "/staff/events/{event}/sessions/{session}/slots/{slot}/delete", EDITOR_ACTION),
    # Messages to an event's registrants (its editors); the outbox (administrators)
    Row("GET", "/staff/events/{event}/messages", EDITOR_PAGE),
    Row("POST", "/staff/events/{event}/messages", EDITOR_ACTION),
    Row("GET", "/staff/outbox", ADMIN_PAGE),
    # Importing a calendar file (the chosen organisation's editors)
    Row("GET", "/staff/import", ANY_EDITOR_PAGE),
    Row(
        "POST",
        "/staff/import",
        (LOGIN, NO, ACCEPTED, NO, ACCEPTED, ACCEPTED),
        {"organisation": "{organisation}", "venue": "{venue}"},
    ),
    # Rosters and check-in (every role of the organisation)
    Row("GET", "/staff/sessions/{session}/roster", CHECKER_PAGE),
    Row("GET", "/staff/sessions/{session}/roster.csv", CHECKER_PAGE),
    Row("GET", "/staff/sessions/{session}/roster.xlsx", CHECKER_PAGE),
    Row("GET", "/staff/sessions/{session}/scan", CHECKER_MOVED),
    Row("POST", "/staff/sessions/{session}/check-in", CHECKER_ACTION),
    Row("POST", "/staff/sessions/{session}/walk-in", CHECKER_ACTION),
    Row("GET", "/staff/sessions/{session}/sign-in-sheet", CHECKER_PAGE),
    Row("GET", "/staff/sessions/{session}/paper-check-ins", CHECKER_PAGE),
    # The desk without network: its roster for the day, the batch sent later, installing it
    Row("GET", "/staff/sessions/{session}/desk.json", CHECKER_PAGE),
    Row("POST", "/staff/sessions/{session}/desk-sync", CHECKER_ACTION),
    Row("GET", "/staff/sessions/{session}/desk.webmanifest", CHECKER_PAGE),
    Row("GET", "/staff/sessions/desk-sw.js", ANY_STAFF),
    Row("GET", "/staff/sessions/desk-offline", ANY_STAFF),
    Row("POST", "/staff/sessions/{session}/paper-check-ins", CHECKER_ACTION, {"codes": "ABC234"}),
    Row("POST", "/staff/sessions/{session}/seats", EDITOR_ACTION),
    Row(
        "POST",
        "/staff/sessions/{session}/registrations/{registration}/cancel",
        EDITOR_ACTION,
    ),
    Row(
        "POST",
        "/staff/sessions/{session}/registrations/{registration}/undo-check-in",
        CHECKER_ACTION,
    ),
]

# Not permission-checked pages: signing in and out work for everyone, by design.
UNGUARDED = {"accounts.login", "accounts.logout", "static"}
# Any value of the right shape: enough to find which rule a row's URL reaches.
SHAPES = dict.fromkeys(
    (
        "event",
        "session",
        "registration",
        "slot",
        "township",
        "community",
        "venue",
        "category",
        "member",
        "user",
        "invitation",
        "official_day",
    ),
    1,
) | {"organisation": "centre"}


def _rule_of(app, row: Row):
    """The URL rule a row reaches, or None when the app has no such URL (yet)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(row.url.format(**SHAPES), method=row.method, return_rule=True)
    except HTTPException:
        return None
    return rule


def _row_id(row: Row) -> str:
    return f"{row.method} {row.url}"


@pytest.fixture(scope="module")
def permission_world(module_transaction):
    """Organisation A (centre) with a checker, an organiser and a manager; B with an organiser.

    The event, its session and the places belong to A; the admin belongs to neither. Built
    once for the module: each test runs in a savepoint of it, so what a POST changes is undone.
    Accounts are kept as (id, username) records, which outlive a test deleting the row.
    """
    make = factories
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    community = make.community()
    venue = make.venue(community)
    event = make.event(organisation=centre)
    users = {
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "outsider": make.staff("outsider", organisation=other, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }
    event_session = make.event_session(event, venue, capacity=10)
    values = {
        "event": event.id,
        "session": event_session.id,
        "registration": make.registration(event_session).id,
        "slot": make.slot(event_session).id,
        "organisation": centre.slug,
        "township": community.township_id,
        "community": community.id,
        "venue": venue.id,
        "category": make.category(slug="matrix").id,
        "official_day": make.official_day(date(2031, 10, 1)).id,
        "member": users["checker"].id,
        "user": users["outsider"].id,
        "invitation": make.invitation(centre, "outsider").id,
    }
    accounts = {
        who: SimpleNamespace(id=u.id, username=u.username, session_version=u.session_version)
        for who, u in users.items()
    }
    module_transaction.keep()
    return SimpleNamespace(users=accounts, values=values)


def _assert_status(response, expected) -> None:
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert status == 302 and location.startswith("/staff/login"), (status, location)
    elif expected == REDIRECT:
        assert status == 302 and not location.startswith("/staff/login"), (status, location)
    elif isinstance(expected, frozenset):
        assert status in expected, status
        assert not location.startswith("/staff/login"), location
    else:
        assert status == expected, status


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("row", MATRIX, ids=_row_id)
def test_permissions_matrix(app, client, permission_world, row, who):
    if _rule_of(app, row) is None:
        pytest.fail(f"no rule of the app matches {row.method} {row.url}")
    if who != "anonymous":
        login(client, permission_world.users[who])
    url = row.url.format(**permission_world.values)
    if row.method == "GET":
        response = client.get(url)
    else:
        values = permission_world.values
        data = {key: value.format(**values) for key, value in row.data.items()}
        response = post_form(client, url, data)
    _assert_status(response, row.status_of(who))


@pytest.mark.parametrize("row", MATRIX, ids=_row_id)
def test_every_row_names_a_url_of_the_app(app, row):
    assert _rule_of(app, row) is not None, f"{row.method} {row.url} is not a URL of the app"


def test_every_staff_url_has_a_row_in_the_matrix(app):
    covered = {(str(rule), row.method) for row in MATRIX if (rule := _rule_of(app, row))}
    missing = [
        f"{method} {rule}"
        for rule in app.url_map.iter_rules()
        if str(rule).startswith("/staff") and rule.endpoint not in UNGUARDED
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if (str(rule), method) not in covered
    ]
    assert not missing, f"staff URLs without a row in the permissions matrix: {missing}"


def test_matrix_rows_are_unique():
    keys = [(row.method, row.url) for row in MATRIX]
    assert len(keys) == len(set(keys))


# The rules themselves, on plain objects: no database, no request.


def _user(*roles: tuple[int, Role], admin: bool = False, signed_in: bool = True):
    memberships = [SimpleNamespace(organisation_id=o, role=r) for o, r in roles]
    return SimpleNamespace(is_authenticated=signed_in, is_admin=admin, memberships=memberships)


ANONYMOUS = _user(signed_in=False)
ADMIN = _user(admin=True)
MANAGER_OF_1 = _user((1, Role.MANAGER), (2, Role.CHECKER))
ORGANISER_OF_1 = _user((1, Role.ORGANISER))
CHECKER_OF_1 = _user((1, Role.CHECKER))
NOBODY = _user()


@pytest.mark.parametrize(
    ("rule", "user", "expected"),
    [
        (permissions.can_manage_accounts, ADMIN, True),
        (permissions.can_manage_accounts, MANAGER_OF_1, False),
        (permissions.can_manage_accounts, ANONYMOUS, False),
        (permissions.manages_any_organisation, MANAGER_OF_1, True),
        (permissions.manages_any_organisation, ORGANISER_OF_1, False),
        (permissions.manages_any_organisation, ADMIN, False),
        (permissions.manages_any_organisation, ANONYMOUS, False),
        (permissions.can_list_organisations, ADMIN, True),
        (permissions.can_list_organisations, MANAGER_OF_1, True),
        (permissions.can_list_organisations, CHECKER_OF_1, False),
        (permissions.can_list_organisations, NOBODY, False),
        (permissions.can_list_organisations, ANONYMOUS, False),
        (permissions.can_see_audit, MANAGER_OF_1, True),
        (permissions.can_see_audit, ORGANISER_OF_1, False),
        (permissions.can_see_audit, ANONYMOUS, False),
        (permissions.can_manage_places, ADMIN, True),
        (permissions.can_manage_places, MANAGER_OF_1, False),
        (permissions.is_staff, CHECKER_OF_1, True),
        (permissions.is_staff, NOBODY, False),
        (permissions.is_staff, ADMIN, True),
    ],
)
def test_rules_without_an_organisation(rule, user, expected):
    assert rule(user) is expected


@pytest.mark.parametrize(
    ("user", "organisation_id", "expected"),
    [
        (ADMIN, 5, True),
        (MANAGER_OF_1, 1, True),
        (MANAGER_OF_1, 2, False),  # only a checker there
        (MANAGER_OF_1, 3, False),
        (ORGANISER_OF_1, 1, False),
        (ANONYMOUS, 1, False),
        (MANAGER_OF_1, None, True),  # somewhere: the trail of their own organisations
    ],
)
def test_audit_is_for_managers_of_the_organisation_and_administrators(
    user, organisation_id, expected
):
    assert permissions.can_see_audit(user, organisation_id) is expected


def test_checks_for_templates_follow_the_rules():
    checks = permissions.Checks(MANAGER_OF_1)
    assert checks.list_organisations() and not checks.manage_accounts()
    assert permissions.Checks(ADMIN).manage_accounts()
