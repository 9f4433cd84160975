"""The staff notice form, and the outbox page's filter."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from outreach.errors import InvalidInput
from outreach.forms import BaseForm
from outreach.messages.models import MessageStatus, NoticeSegment

MAX_SUBJECT = 120
MAX_BODY = 2000


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _text(value: str | None) -> str:
    # Line breaks kept (they become paragraphs); other control characters dropped.
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c == "\n" or c == "\t" or c.isprintable()).strip()


def _optional_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: refused by the choice check with a clear message


class NoticeForm(BaseForm):
    """A message to the registrants of one session or of the whole event."""

    session_id = SelectField(_l("Which sessions"), coerce=_optional_id)
    segment = RadioField(
        _l("Send to"),
        choices=NoticeSegment.choices(),
        default=NoticeSegment.ALL.value,
    )
    subject = StringField(
        _l("Subject"),
        filters=[_one_line],
        validators=[
            DataRequired(_l("Please enter a subject.")),
            Length(max=MAX_SUBJECT, message=_l("At most %(max)d characters.", max=MAX_SUBJECT)),
        ],
        render_kw={"maxlength": MAX_SUBJECT},
    )
    body = TextAreaField(
        _l("Message"),
        filters=[_text],
        validators=[
            DataRequired(_l("Please write the message.")),
            Length(max=MAX_BODY, message=_l("At most %(max)d characters.", max=MAX_BODY)),
        ],
        render_kw={"rows": 8, "maxlength": MAX_BODY},
    )
    # A random key per form, kept through the preview: sending it twice sends once.
    form_key = HiddenField(
        validators=[
            DataRequired(_l("The form has expired. Please try again.")),
            Regexp(
                r"^[A-Za-z0-9_-]{16,64}$", message=_l("The form has expired. Please try again.")
            ),
        ]
    )

    def offer(self, sessions: list[tuple[int, str]]) -> None:
        """The event's sessions to choose from, after "all sessions"."""
        self.session_id.choices = [("", _("All sessions of this event"))] + [
            (str(session_id), label) for session_id, label in sessions
        ]

    def new_key(self) -> None:
        """A fresh key for a form shown for the first time."""
        self.form_key.data = secrets.token_urlsafe(18)

    @property
    def chosen_segment(self) -> NoticeSegment:
        """The chosen group of registrants (everyone while the choice is not a valid one)."""
        try:
            return NoticeSegment(self.segment.data)
        except ValueError:
            return NoticeSegment.ALL


def parse_status(args: MultiDict) -> MessageStatus | None:
    """The outbox filter's status (empty: all); InvalidInput for anything else."""
    value = (args.get("status") or "").strip()
    if not value:
        return None
    try:
        return MessageStatus(value)
    except ValueError:
        raise InvalidInput(_("There is no message status “%(value)s”.", value=value[:20])) from None
