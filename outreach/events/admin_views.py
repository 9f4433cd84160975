"""The administrators' pages of events: the categories, and the form that creates or changes
each."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import submit
from outreach.database import by_id
from outreach.events import categories
from outreach.events.admin_forms import CategoryForm
from outreach.events.models import Category
from outreach.forms import values

bp = staff_blueprint("categories_admin", __name__, url_prefix="/staff/categories")


@bp.get("")
def index():
    """Every category with its colour."""
    permissions.require(permissions.can_manage_places(current_user))
    return render_template("staff/categories.html", categories=categories.categories())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<id:item_id>/edit", methods=["GET", "POST"])
def edit(item_id: int | None = None):
    """Create (no id) or change a category."""
    permissions.require(permissions.can_manage_places(current_user))
    category = by_id(Category, item_id, "category") if item_id is not None else None
    form = CategoryForm(obj=category)
    saved = submit(
        form, lambda: categories.save_category(category, actor=current_user, **values(form))
    )
    if saved:
        flash(_("Saved “%(name)s”.", name=saved.value.name), "info")
        return redirect(url_for(".index"))
    title = _l("New category") if category is None else _l("Edit category")
    return render_template(
        "staff/places_form.html",
        form=form,
        item=category,
        title=title,
        back="categories_admin.index",
    )
