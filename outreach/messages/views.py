"""Staff pages: a notice to an event's registrants, and the outbox for administrators."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt
from outreach.events import editing
from outreach.events.models import Event
from outreach.formatting import day, name, session_time
from outreach.localtime import local_date
from outreach.messages import services
from outreach.messages.forms import NoticeForm, parse_status
from outreach.messages.models import Message, MessageChannel, MessageStatus
from outreach.messages.transport import explain
from outreach.pagination import cursor_argument
from outreach.registrations.phones import mask_mobile
from outreach.registrations.roster import mask_email

bp = staff_blueprint("messages", __name__, url_prefix="/staff")


def _event(event_id: int) -> Event:
    """The event, if the user may write to its registrants (manager, organiser; else 403)."""
    event = editing.event_for_editing(event_id)
    permissions.require(permissions.can_edit_events(current_user, event.organisation_id))
    return event


def _session_choice(event_session) -> str:
    label = (
        f"{day(local_date(event_session.starts_at), with_year=True)} "
        f"{session_time(event_session)} · {name(event_session.venue)}"
    )
    if event_session.is_cancelled:
        # One string with its brackets, so Chinese gets full-width ones.
        return _("%(session)s (cancelled)", session=label)
    return label


def _session_choices(event: Event) -> list[tuple[int, str]]:
    return [(s.id, _session_choice(s)) for s in event.sessions]


def _form(event: Event, formdata=None) -> NoticeForm:
    form = NoticeForm(formdata=formdata)
    form.offer(_session_choices(event))
    if formdata is None:
        form.new_key()
        wanted = request.args.get("session", type=int)
        if wanted in {s.id for s in event.sessions}:
            form.session_id.data = wanted
    return form


def _page(event: Event, form: NoticeForm, *, previewed: bool = False, status: int = 200):
    """The notice page; the audience shown follows the form's choices when they are valid."""
    session_id = form.session_id.data if form.session_id.data not in (None, -1) else None
    reached = services.audience(event, session_id, form.chosen_segment)
    html = render_template(
        "messages/notice.html",
        event=event,
        form=form,
        audience=reached,
        previewed=previewed,
        history=services.notices_of(event),
    )
    return html, status


@bp.route("/events/<id:event_id>/messages", methods=["GET", "POST"])
def notice(event_id: int):
    """Write to the registrants of a session or of the whole event; preview, then send."""
    event = _event(event_id)
    if request.method == "GET":
        return _page(event, _form(event))
    form = _form(event, request.form)
    if not form.validate():
        if form.form_key.errors:
            form.new_key()  # so that sending again works
        return _page(event, form, status=422)
    if request.form.get("action") != "send":
        return _page(event, form, previewed=True)
    sent = attempt(
        form,
        lambda: services.send_notice(
            current_user._get_current_object(),
            event,
            session_id=form.session_id.data,
            segment=form.chosen_segment,
            subject=form.subject.data,
            body=form.body.data,
            form_key=form.form_key.data,
        ),
        # The same form sent twice at the same moment: the second breaks the form key's
        # unique constraint.
        conflict=services.NoticeError(_("This message has already been sent."), kind="duplicate"),
    )
    if sent.error is not None and sent.error.kind == "duplicate":
        flash(str(sent.error), "warning")
        return redirect(url_for(".notice", event_id=event_id))
    if sent.error is not None:
        return _page(_event(event_id), form, status=422)
    notice = sent.value
    flash(
        ngettext(
            "Your message is queued for %(num)d recipient.",
            "Your message is queued for %(num)d recipients.",
            notice.recipients,
        ),
        "success",
    )
    return redirect(url_for(".notice", event_id=event_id))


def masked(message: Message) -> str:
    """The recipient with most of it hidden: administrators diagnose, they need not read it."""
    if not message.recipient:
        return _("(erased)")
    if message.channel == MessageChannel.EMAIL:
        return mask_email(message.recipient)
    if message.registration is None:
        return mask_mobile(message.recipient)
    return message.registration.masked_phone


@bp.get("/outbox")
def outbox():
    """Administrators: every message with its status, newest first, filtered by status."""
    permissions.require(permissions.is_admin(current_user))
    status = parse_status(request.args)
    return render_template(
        "messages/outbox.html",
        page=services.outbox(status, cursor_argument(), current_app.config["STAFF_PER_PAGE"]),
        count_limit=services.COUNT_LIMIT,
        chosen=status,
        counts=services.status_counts(),
        statuses=list(MessageStatus),
        masked=masked,
        explain=explain,
    )
