"""The administrators' page of China's official calendar: a year's public holidays and
make-up workdays, one added or removed at a time, or a list of them imported."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt_flash, submit
from outreach.database import by_id
from outreach.events import holidays
from outreach.events.holiday_forms import DayForm, ListForm
from outreach.events.models import DayKind, OfficialDay
from outreach.localtime import local_today

bp = staff_blueprint("holidays_admin", __name__, url_prefix="/staff/holidays")


def _year() -> int:
    """The year asked for (?year=), else this one."""
    asked = request.args.get("year", "")
    year = int(asked) if asked.isascii() and asked.isdigit() and len(asked) == 4 else 0
    if holidays.FIRST_YEAR <= year <= holidays.LAST_YEAR:
        return year
    return local_today().year


def _page(year: int, day_form: DayForm, list_form: ListForm):
    today = local_today()
    return render_template(
        "staff/holidays.html",
        year=year,
        days=holidays.days_of(year),
        known=holidays.known_years(),
        missing=holidays.missing_years(today.year, today.year + 1),
        day_form=day_form,
        list_form=list_form,
    )


@bp.get("")
def index():
    """A year's official days, and the forms that change them."""
    permissions.require(permissions.can_manage_places(current_user))
    return _page(_year(), DayForm(), ListForm())


@bp.post("/days")
def add():
    """Make a day a public holiday or a make-up workday."""
    permissions.require(permissions.can_manage_places(current_user))
    form = DayForm()
    saved = submit(
        form,
        lambda: holidays.save_day(
            form.day.data, DayKind(form.kind.data), form.name.data or "", current_user
        ),
    )
    if not saved:
        return _page(_year(), form, ListForm())
    flash(_("Saved %(day)s.", day=saved.value.day.isoformat()), "success")
    return redirect(url_for(".index", year=saved.value.day.year))


@bp.post("/days/<id:item_id>/delete")
def remove(item_id: int):
    """Make a day ordinary again."""
    permissions.require(permissions.can_manage_places(current_user))
    item = by_id(OfficialDay, item_id, "official_day")
    year, shown = item.day.year, item.day.isoformat()
    if attempt_flash(lambda: holidays.remove_day(item, current_user)):
        flash(_("Removed %(day)s.", day=shown), "success")
    return redirect(url_for(".index", year=year))


@bp.post("/import")
def import_list():
    """Add or change every day of a pasted or uploaded list, or none when a line is wrong."""
    permissions.require(permissions.can_manage_places(current_user))
    form = ListForm()
    imported = submit(form, lambda: holidays.import_days(form.lines(), current_user))
    if not imported:
        return _page(_year(), DayForm(), form)
    flash(_("Imported %(num)d days.", num=imported.value), "success")
    return redirect(url_for(".index", year=_year()))
