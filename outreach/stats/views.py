"""Statistics pages: the overview with filters, a campaign's roll-up, and their CSV files.

For managers (their organisations' figures) and administrators (everyone's). Read-only:
nothing here writes to the database.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.accounts.models import Role
from outreach.accounts.services import organisations_for
from outreach.attempt import attempt
from outreach.errors import NotFoundError
from outreach.events.categories import categories
from outreach.events.models import Event
from outreach.localtime import local_today
from outreach.pagination import cursor_argument
from outreach.stats import presentation, services
from outreach.stats.forms import FilterInput, parse_filters

bp = staff_blueprint("stats", __name__, url_prefix="/staff/stats")

MANAGER_ONLY = frozenset({Role.MANAGER})
OVERVIEW_CSV = "<any(" + ", ".join(services.OVERVIEW_TABLES) + "):table>.csv"
CAMPAIGN_CSV = "<any(" + ", ".join(services.CAMPAIGN_TABLES) + "):table>.csv"


def campaign_stats_url(event: Event) -> str | None:
    """The address of the event's statistics, for those who may see them (else None).

    A global rather than `can` so that macros imported without context can link to it.
    """
    if not permissions.can_see_stats(current_user, event.organisation_id):
        return None
    return url_for("stats.campaign", event_id=event.id)


@bp.before_request
def _allowed() -> None:
    """Managers and administrators only (after the sign-in check): the others are refused."""
    permissions.require(permissions.can_see_stats(current_user))


def _filters(given: FilterInput, organisations, category_list) -> services.Filters:
    """The validated filters; another organisation's figures are refused (403), too many
    sessions at once with a message (400)."""
    if given.organisation.isascii() and given.organisation.isdigit():
        permissions.require(permissions.can_see_stats(current_user, int(given.organisation)))
    visible = permissions.organisation_ids(current_user, MANAGER_ONLY)
    filters = parse_filters(
        given,
        visible=None if visible is None else frozenset(visible),
        organisations=organisations,
        categories=category_list,
    )
    services.check_bounded(filters)
    return filters


def _csv(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("")
def overview():
    """Figures per campaign, community, township, category and month, with charts."""
    given = FilterInput.of(request.args, local_today())
    organisations = organisations_for(current_user)
    category_list = categories()
    context = {
        "given": given,
        "organisations": organisations,
        "categories": category_list,
        "titles": presentation.TITLES,
        "csv_query": given.query_args(),
    }
    # Reading the filters changes nothing: a bad one is shown on the page, with a 400.
    read = attempt(None, lambda: _filters(given, organisations, category_list), commit=False)
    if read.error is not None:
        html = render_template("stats/overview.html", error=str(read.error), **context)
        return html, read.error.status
    filters = read.value
    # The long tables (a campaign, community or township per line: thousands in a week of a
    # city) come a page at a time, each with its own cursor; the CSV files hold every line.
    per_page = current_app.config["STAFF_PER_PAGE"]
    cursors = {name: cursor_argument(f"{name}_cursor") for name in services.PAGED}
    figures = services.overview(filters, cursors=cursors, per_page=per_page)
    pages = {
        "events": figures.pages.events,
        "communities": figures.pages.communities,
        "townships": figures.pages.townships,
    }
    return render_template(
        "stats/overview.html",
        filters=filters,
        overview=figures,
        pages=pages,
        charts=presentation.overview_charts(figures),
        **context,
    )


@bp.get("/" + OVERVIEW_CSV)
def overview_csv(table: str):
    """One table of the overview as a CSV file, with the same filters as the page."""
    given = FilterInput.of(request.args, local_today())
    filters = _filters(given, organisations_for(current_user), categories())
    lines = services.overview_table(table, filters)
    body = presentation.to_csv(table, lines, services.total(line.figures for line in lines))
    return _csv(body, f"stats-{table}-{filters.date_from}-{filters.date_to}.csv")


def _campaign_event(event_id: int) -> Event:
    """The event, if the user may see its organisation's figures (else 403; unknown: 404)."""
    event = services.campaign_event(event_id)
    if event is None:
        raise NotFoundError("event", event_id)
    permissions.require(permissions.can_see_stats(current_user, event.organisation_id))
    return event


@bp.get("/events/<id:event_id>")
def campaign(event_id: int):
    """One campaign across its communities and days: what an organisation reports afterwards."""
    event = _campaign_event(event_id)
    figures = services.campaign(event)
    return render_template(
        "stats/campaign.html",
        event=event,
        campaign=figures,
        charts=presentation.campaign_charts(figures),
        titles=presentation.TITLES,
    )


@bp.get("/events/<id:event_id>/" + CAMPAIGN_CSV)
def campaign_csv(event_id: int, table: str):
    """One table of a campaign as a CSV file."""
    event = _campaign_event(event_id)
    lines = services.campaign_table(table, event)
    body = presentation.to_csv(table, lines, services.total(line.figures for line in lines))
    return _csv(body, f"campaign-{event.id}-{table}.csv")
