"""The administrators' pages for places: the tree of streets, townships, communities and
venues, and the form that creates or changes each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import submit
from outreach.database import by_id
from outreach.forms import NamesForm, values
from outreach.pagination import cursor_argument, search_argument
from outreach.places import services
from outreach.places.forms import CommunityForm, TownshipForm, VenueForm
from outreach.places.models import Community, Township, Venue

bp = staff_blueprint("places_admin", __name__, url_prefix="/staff/places")


@dataclass(frozen=True)
class Kind:
    """What the one create-or-edit view needs to know about a kind of place."""

    model: type
    form: type[NamesForm]
    save: Callable[..., Township | Community | Venue]
    name: str
    new_title: str
    edit_title: str


KINDS = {
    "townships": Kind(
        Township,
        TownshipForm,
        services.save_township,
        "township",
        _l("New street or township"),
        _l("Edit street or township"),
    ),
    "communities": Kind(
        Community,
        CommunityForm,
        services.save_community,
        "community",
        _l("New community"),
        _l("Edit community"),
    ),
    "venues": Kind(
        Venue, VenueForm, services.save_venue, "venue", _l("New venue"), _l("Edit venue")
    ),
}
# Links from the place tree preselect where a new community or venue goes.
PRESELECTED = ("township_id", "community_id")


@bp.get("")
def index():
    """Streets and townships, communities or venues (?kind=), by name, a page at a time,
    searched by name (?q=)."""
    permissions.require(permissions.can_manage_places(current_user))
    kind = request.args.get("kind") or "townships"
    if kind not in services.PLACE_KINDS:
        kind = "townships"
    words = search_argument()
    return render_template(
        "staff/places.html",
        kind=kind,
        words=words,
        page=services.place_page(
            kind, words, cursor_argument(), current_app.config["STAFF_PER_PAGE"]
        ),
    )


@bp.route("/<any(townships, communities, venues):kind>/new", methods=["GET", "POST"])
@bp.route("/<any(townships, communities, venues):kind>/<id:item_id>/edit", methods=["GET", "POST"])
def edit(kind: str, item_id: int | None = None):
    """Create (no id) or change a street or township, a community or a venue."""
    permissions.require(permissions.can_manage_places(current_user))
    place = KINDS[kind]
    item = by_id(place.model, item_id, place.name) if item_id is not None else None
    form = place.form(obj=item)
    if hasattr(form, "set_choices"):
        form.set_choices(services.townships(), services.communities())
    if item is None and not form.is_submitted():
        for name in PRESELECTED:
            if name in form:
                form[name].data = request.args.get(name, type=int) or form[name].data
    saved = submit(form, lambda: place.save(item, actor=current_user, **values(form)))
    if saved:
        flash(_("Saved “%(name)s”.", name=saved.value.name), "info")
        return redirect(url_for(".index"))
    title = place.new_title if item is None else place.edit_title
    return render_template(
        "staff/places_form.html", form=form, item=item, title=title, back="places_admin.index"
    )
