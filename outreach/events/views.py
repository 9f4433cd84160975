"""Public pages: what is on, by place, category and organisation, and each event."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from outreach.database import utcnow
from outreach.events import services
from outreach.events.forms import parse_listing_query
from outreach.events.hooks import hooks
from outreach.events.models import Event

bp = Blueprint("events", __name__)


def _render_listing(template: str, fixed: dict[str, str] | None = None, **context: Any) -> str:
    """A listing page: the query string's filters plus the page's own, one page of sessions."""
    fixed = fixed or {}
    query = parse_listing_query(request.args)
    filters = services.build_filter(
        **{**query.slugs(), **fixed}, date_from=query.date_from, date_to=query.date_to
    )
    page = services.upcoming_sessions(filters, query.page, current_app.config["PER_PAGE"])
    return render_template(
        template,
        filters=filters,
        query=query,
        page=page,
        days=services.group_by_local_day(page.items),
        choices=services.filter_choices(filters),
        fixed=fixed,
        **context,
    )


@bp.get("/")
def index():
    """Upcoming sessions everywhere, filterable, grouped by day."""
    return _render_listing("events/index.html")


@bp.get("/townships/<slug>")
def township(slug: str):
    """A street or township: its communities and its upcoming sessions."""
    place = services.township_by_slug(slug)
    return _render_listing("events/township.html", {"township": slug}, place=place)


@bp.get("/communities/<slug>")
def community(slug: str):
    """A community's upcoming sessions."""
    return _render_listing("events/community.html", {"community": slug})


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
    and registration forms, see hooks.py); `given` goes to them, such as a posted form."""
    now = utcnow()
    html = render_template(
        "events/event.html",
        event=event,
        days=services.group_by_local_day(event.sessions),
        now=now,
        **hooks().event_page(event, now, **given),
    )
    return html, status


@bp.get("/events/<id:event_id>")
def event(event_id: int):
    """An event with all its sessions, and a registration form for each open one."""
    return render_event(services.public_event(event_id))
