"""The staff dashboard, and the administrators' pages for places and categories."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.database import db
from outreach.events import categories
from outreach.events import services as events
from outreach.events.models import Category, EventStatus
from outreach.places import services as places
from outreach.places.forms import (
    TOWNSHIP_KINDS,
    CommunityForm,
    TownshipForm,
    VenueForm,
    submit,
    values,
)
from outreach.places.models import Community, Township, Venue
from outreach.staff import services
from outreach.staff.forms import CategoryForm

# Ids beyond a 32-bit integer name nothing; refusing them in the URL keeps the database from
# being asked about a number its id columns cannot hold (PostgreSQL and SQLite both fail).
bp = staff_blueprint("staff", __name__, url_prefix="/staff")

EVENT_STATUSES = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}


@dataclass(frozen=True)
class Editable:
    """What the one create-or-edit view needs to know about a kind of named thing."""

    model: type
    form: type[FlaskForm]
    kind: str
    new_title: str
    edit_title: str
    back: str


PLACES = {
    "townships": Editable(
        Township,
        TownshipForm,
        "township",
        _l("New street or township"),
        _l("Edit street or township"),
        "staff.places",
    ),
    "communities": Editable(
        Community,
        CommunityForm,
        "community",
        _l("New community"),
        _l("Edit community"),
        "staff.places",
    ),
    "venues": Editable(
        Venue, VenueForm, "venue", _l("New venue"), _l("Edit venue"), "staff.places"
    ),
}
CATEGORY = Editable(
    Category, CategoryForm, "category", _l("New category"), _l("Edit category"), "staff.categories"
)
# Links from the place tree preselect where a new community or venue goes.
PRESELECTED = ("township_id", "community_id")


@bp.get("/")
def dashboard():
    """My organisations' upcoming sessions, drafts and recent changes."""
    permissions.require(permissions.is_staff(current_user))
    return render_template(
        "staff/dashboard.html",
        board=services.dashboard(current_user),
        event_statuses=EVENT_STATUSES,
        days=services.UPCOMING_DAYS,
    )


@bp.get("/places", endpoint="places")
def places_tree():
    """Every street and township with its communities and venues."""
    permissions.require(permissions.can_manage_places(current_user))
    return render_template(
        "staff/places.html",
        townships=events.place_tree(),
        township_venues=events.venues_without_community(),
        kinds=TOWNSHIP_KINDS,
    )


def _edit(editable: Editable, item_id: int | None):
    """Create (no id) or change one named thing through its form, then go back to its list."""
    permissions.require(permissions.can_manage_places(current_user))
    item = places.by_id(editable.model, item_id, editable.kind) if item_id is not None else None
    form = editable.form(obj=item)
    if hasattr(form, "set_choices"):
        form.set_choices(places.townships(), places.communities())
    if item is None and not form.is_submitted():
        for name in PRESELECTED:
            if name in form:
                form[name].data = request.args.get(name, type=int) or form[name].data
    saved = submit(form, lambda: services.save(current_user, editable.model, item, values(form)))
    if saved is not None:
        db.session.commit()
        flash(_("Saved “%(name)s”.", name=saved.name), "info")
        return redirect(url_for(editable.back))
    title = editable.new_title if item is None else editable.edit_title
    return render_template(
        "staff/places_form.html", form=form, item=item, title=title, back=editable.back
    )


@bp.route("/places/<any(townships, communities, venues):kind>/new", methods=["GET", "POST"])
@bp.route(
    "/places/<any(townships, communities, venues):kind>/<id:item_id>/edit",
    methods=["GET", "POST"],
)
def edit_place(kind: str, item_id: int | None = None):
    """Create or change a street or township, a community or a venue."""
    return _edit(PLACES[kind], item_id)


@bp.get("/categories", endpoint="categories")
def categories_list():
    """Every category with its colour."""
    permissions.require(permissions.can_manage_places(current_user))
    return render_template("staff/categories.html", categories=categories.categories())


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<id:item_id>/edit", methods=["GET", "POST"])
def edit_category(item_id: int | None = None):
    """Create or change a category."""
    return _edit(CATEGORY, item_id)
