"""Public pages: what is on, by place, category and organisation, and each event; the
resident's own community, remembered in a cookie."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from outreach.database import utcnow
from outreach.errors import NotFoundError
from outreach.events import services
from outreach.events.forms import parse_listing_query
from outreach.events.hooks import hooks
from outreach.events.models import Event, EventSession
from outreach.i18n import current_language
from outreach.pagination import Page
from outreach.places.models import Community, Township

bp = Blueprint("events", __name__)

# The resident's community: a slug, kept a year, sent only to this site (not to scripts).
COMMUNITY_COOKIE = "community"
COMMUNITY_COOKIE_MAX_AGE = 365 * 24 * 3600
# How many of the resident's community's sessions the home page leads with.
OWN_COMMUNITY_SESSIONS = 5


def _seats(*pages: Page[EventSession]) -> dict[str, Any]:
    """What session cards show besides the sessions: the places each has left (one query for
    all the pages' sessions, lent by registrations) and the time that tells finished ones."""
    sessions = [event_session for page in pages for event_session in page.items]
    return {"rooms": hooks().rooms(sessions) if sessions else {}, "now": utcnow()}


def _township_options(townships: list[Township]) -> list[tuple[str, str]]:
    """(slug, name) of each street or township, for the first step of choosing."""
    language = current_language()
    return [(township.slug, township.display_name(language)) for township in townships]


def _render_listing(
    template: str,
    fixed: dict[str, str] | None = None,
    *,
    home: bool = False,
    own: Community | None = None,
    **context: Any,
) -> str:
    """A listing page: the query string's filters plus the page's own, one page of sessions.

    The `home` page, when nothing is filtered, leads with the next sessions of the resident's
    community (`own`) and lists the others after them; or, until they choose one, with the
    form to choose it.
    """
    fixed = fixed or {}
    query = parse_listing_query(request.args)
    filters = services.build_filter(
        **{**query.slugs(), **fixed}, date_from=query.date_from, date_to=query.date_to
    )
    unfiltered = home and filters == services.SessionFilter()
    leading = unfiltered and query.page == 1
    # Once a community is chosen, every page of the unfiltered home page lists the sessions
    # elsewhere (so the pages neither repeat nor skip any); page 1 leads with its own.
    elsewhere = own if unfiltered else None
    own = own if leading else None
    first: Page[EventSession] = Page(items=[], page=1, per_page=OWN_COMMUNITY_SESSIONS, total=0)
    if own is not None:
        first = services.upcoming_sessions(
            services.SessionFilter(community=own), 1, OWN_COMMUNITY_SESSIONS
        )
    if elsewhere is not None:
        filters = replace(filters, elsewhere_than=elsewhere)
    page = services.upcoming_sessions(filters, query.page, current_app.config["PER_PAGE"])
    choices = services.filter_choices(filters)
    return render_template(
        template,
        filters=filters,
        query=query,
        page=page,
        days=services.group_by_local_day(page.items),
        choices=choices,
        fixed=fixed,
        own=own,
        elsewhere=elsewhere,
        own_page=first,
        own_days=services.group_by_local_day(first.items),
        township_options=_township_options(choices["townships"]) if leading and own is None else [],
        **_seats(page, first),
        **context,
    )


def _chosen_community() -> Community | None:
    return services.chosen_community(request.cookies.get(COMMUNITY_COOKIE))


@bp.get("/")
def index():
    """Upcoming sessions everywhere, filterable, grouped by day; the resident's own
    community's first, once they have chosen it."""
    own = _chosen_community()
    response = current_app.make_response(_render_listing("events/index.html", home=True, own=own))
    if own is None and COMMUNITY_COOKIE in request.cookies:
        _forget_community(response)  # a community since removed, or a cookie made up
    response.vary.add("Cookie")
    return response


def _remember_community(response: Response, community: Community) -> None:
    response.set_cookie(
        COMMUNITY_COOKIE,
        community.slug,
        max_age=COMMUNITY_COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def _forget_community(response: Response) -> None:
    response.delete_cookie(COMMUNITY_COOKIE, httponly=True, samesite="Lax")


@bp.get("/my-community")
def choose_community():
    """Choosing one's community without a script: a street or township (`?township=`), then
    one of its communities, each a button."""
    slug = (request.args.get("township") or "").strip()
    township = services.township_by_slug(slug) if slug else None
    return render_template(
        "events/choose_community.html",
        township=township,
        township_options=_township_options(services.townships_to_choose()),
        own=_chosen_community(),
    )


@bp.post("/my-community")
def remember_community():
    """Remember the community chosen (`community`), or forget it (`forget`); then home."""
    response = redirect(url_for("events.index"))
    if request.form.get("forget"):
        _forget_community(response)
        return response
    slug = (request.form.get("community") or "").strip()
    community = services.chosen_community(slug)
    if community is None:
        raise NotFoundError("community", slug[: services.MAX_SLUG])
    _remember_community(response, community)
    return response


@bp.get("/townships/<slug>")
def township(slug: str):
    """A street or township: its communities and its upcoming sessions."""
    place = services.township_by_slug(slug)
    return _render_listing("events/township.html", {"township": slug}, place=place)


@bp.get("/communities/<slug>")
def community(slug: str):
    """A community's upcoming sessions, and a button to make it the resident's own."""
    chosen = request.cookies.get(COMMUNITY_COOKIE)
    return _render_listing("events/community.html", {"community": slug}, is_own=chosen == slug)


@bp.get("/organisations/<slug>")
def organisation(slug: str):
    """An organisation's upcoming sessions."""
    return _render_listing("events/organisation.html", {"organisation": slug})


@bp.get("/categories/<slug>")
def category(slug: str):
    """A category's upcoming sessions."""
    return _render_listing("events/category.html", {"category": slug})


def render_event(event: Event, status: int = 200, **given: Any) -> tuple[str, int]:
    """The event page: every session by day, with what the packages above add to it (seats
    and registration forms, see hooks.py); `given` goes to them, such as a posted form.
    The sessions' slots are read from what the hooks give (`slots`, by session id), not from
    the sessions: the page loads the event without them."""
    now = utcnow()
    html = render_template(
        "events/event.html",
        event=event,
        days=services.group_by_local_day(event.sessions),
        now=now,
        **{"slots": {}, **hooks().event_page(event, now, **given)},
    )
    return html, status


@bp.get("/events/<id:event_id>")
def event(event_id: int):
    """An event with all its sessions, and a registration form for each open one."""
    return render_event(services.public_event(event_id, slots=False))
