"""The desk when the network fails: the roster it keeps for the day, the batch of check-ins it
made offline, its web app manifest and its service worker (static/js/desk-sw.js, served under
/staff/sessions/ so that its scope covers every desk page).

For the staff of the session's organisation (any role) and administrators, as the desk."""

from __future__ import annotations

import json
from types import SimpleNamespace

from flask import (
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt, json_answer
from outreach.events.models import EventSession
from outreach.homescreen import BACKGROUND_COLOUR, ICONS, THEME_COLOUR
from outreach.i18n import current_language
from outreach.registrations import desk_sync, roster
from outreach.registrations.staff_forms import CheckInForm, UndoCheckInForm

bp = staff_blueprint("desk_offline", __name__, url_prefix="/staff/sessions")

SCOPE = "/staff/sessions/"


@bp.app_template_global()
def desk_offline_texts() -> dict[str, str]:
    """What the desk's script says offline, its placeholders left for the script to fill."""
    translations = get_translations()
    one, many = (
        translations.ngettext(
            "%(num)d check-in waiting to sync", "%(num)d check-ins waiting to sync", number
        )
        for number in (1, 2)
    )
    return {
        "pending-one": one,
        "pending-many": many,
        "saved-title": _("Checked in, waiting to sync"),
        "saved": _("Kept on this device: it is sent when the network returns."),
        "failed-title": _("Not checked in"),
        "not-today-title": _("Not today: check the day"),
        "not-today": _("Without network the desk checks people in only on the session's day."),
        "already-title": _("Already checked in"),
        "already": _("Already checked in at %(time)s."),
        "unknown": _("No registration with this code in the list kept on this device."),
        "cancelled": _("This registration has been cancelled."),
        "waitlisted": _("This registration is on the waitlist."),
        "no-roster": _(
            "The list for today is not on this device: write the code on the paper sign-in sheet."
        ),
        "name-label": _("Full name"),
        "arrived-label": _("Arrived"),
        "arrived": _("%(arrived)d of %(party)d"),
        "slot-label": _("Time slot"),
    }


def _session(session_id: int) -> EventSession:
    """The session, if the user may check its residents in (else 403; unknown: 404)."""
    event_session = roster.session_for_staff(session_id)
    permissions.require(permissions.can_check_in(current_user, event_session.event.organisation_id))
    return event_session


@bp.get("/<id:session_id>/desk.json")
def desk_data(session_id: int):
    """The roster a desk keeps on the device for the day (codes and masked names only), and a
    fresh CSRF token for sending what it checked in offline."""
    event_session = _session(session_id)
    body = desk_sync.desk_roster(event_session)
    body["csrf_token"] = generate_csrf()
    body["sync_url"] = url_for(".sync", session_id=event_session.id)
    return jsonify(body)


@bp.post("/<id:session_id>/desk-sync")
def sync(session_id: int):
    """Check in a batch made offline: `{"items": [...]}` (see desk_sync.read_batch); each
    item's outcome, conflicts included. A batch sent twice checks no one in twice."""
    event_session = _session(session_id)
    payload = request.get_json(silent=True)
    actor = current_user._get_current_object()
    outcome = attempt(
        None,
        lambda: desk_sync.sync(event_session, desk_sync.read_batch(payload), actor=actor),
    )
    if outcome.error is not None:
        return json_answer(outcome.error)
    results = outcome.value or []
    return jsonify({"results": results, "synced": sum(not r["conflict"] for r in results)})


@bp.get("/<id:session_id>/desk.webmanifest")
def manifest(session_id: int):
    """The desk's web app manifest: put on the home screen, it opens this session's desk."""
    event_session = _session(session_id)
    start_url = url_for("roster.roster_page", session_id=event_session.id)
    language = current_language()
    body = {
        "id": start_url,
        "name": _("Check-in desk: %(event)s", event=event_session.event.title),
        "short_name": _("Check-in desk"),
        "lang": "zh-CN" if language == "zh" else language,
        "start_url": start_url,
        "scope": SCOPE,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": url_for("static", filename=path), "sizes": sizes, "type": kind, "purpose": use}
            for path, sizes, kind, use in ICONS
        ],
    }
    text = json.dumps(body, ensure_ascii=False, indent=1)
    return current_app.response_class(text, mimetype="application/manifest+json")


@bp.get("/desk-offline")
def shell():
    """The desk with no session's data in it, which the service worker keeps and shows when
    a desk page cannot be loaded (the script finds the session in the address)."""
    return render_template(
        "staff/roster/desk_shell.html",
        check_in_form=CheckInForm(formdata=None),
        undo_form=UndoCheckInForm(formdata=None),
        event_session=SimpleNamespace(id=0),
    )


@bp.get("/desk-sw.js")
def service_worker():
    """The desk's service worker, from this path so that its scope covers the desk pages."""
    response = send_from_directory(
        current_app.static_folder, "js/desk-sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Service-Worker-Allowed"] = SCOPE
    return response
