"""The event page's registration forms as nobody has posted them yet, written from pieces
prepared once per page.

An event page shows a form per open session; a clinic day has several, each with dozens of
slots. Built as WTForms forms and written by the `registration_form` macro
(templates/registrations/_form.html), they took about half of the page's rendering while
the page cache was empty. A form nobody posted has no errors and no typed values, so every
field is the same in every form of the page but for its name prefix (`s<id>-`), the
community chosen and the party's hint: the fields are written once from a model form whose
prefix is a marker, and kept per application by language, settings and communities offered
(`_pieces`; the CSRF token is written in per request). Each session's form is those pieces
with the marker replaced and its own parts (its slots, its community, the places it has
left) written in.

The markup is the macro's, byte for byte: tests/test_blank_forms.py writes
the forms both ways in every shape (waitlist only, few places left, slots or none, codes
texted or not) and compares them. A change to the macro or to `forms.html` must be made here
too; that test says where they part. A form posted back (with its errors and values) is
still a WTForms form written by the macro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import current_app, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from outreach.events.models import Event, EventSession
from outreach.forms import _value, quick_labels
from outreach.i18n import translations
from outreach.registrations.choices import SlotGroup, slot_radios
from outreach.registrations.forms import RegistrationForm
from outreach.registrations.limits import MIN_PARTY_SIZE
from outreach.registrations.services import Room

# The prefix of the page's one model form, and its session's id: no field name, id or value
# holds either otherwise.
MARK = "s0blank0"
ID_MARK = "0blankid0"
TOKEN_MARK = "0blanktoken0"


def _gettext(message: str, **variables: Any) -> Markup:
    """A template's `_()`: the translation, trusted, with its variables escaped."""
    return Markup(translations().ugettext(message)) % variables


def _ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """A template's `ngettext()` (`num` is also a variable)."""
    variables.setdefault("num", num)
    return Markup(translations().ungettext(singular, plural, num)) % variables


def _field(field: Any, hint: Markup | None = None) -> str:
    """forms.html's `field` macro for a field without errors (its control written by
    WTForms), the prefix still the marker."""
    if hint:
        control = field(**{"aria-invalid": "false", "aria-describedby": f"{field.id}-hint"})
    else:
        control = field(**{"aria-invalid": "false"})
    return _field_markup(field.id, field.label(), control, hint)


def _field_markup(field_id: str, label: str, control: str, hint: Markup | None) -> str:
    hint_html = f'<p class="hint" id="{field_id}-hint">{hint}</p>' if hint else ""
    return f'\n  <div class="field">\n    {label}\n    {hint_html}{control}\n    \n\n  </div>\n'


def _checkbox(field: Any) -> str:
    """forms.html's `checkbox` macro for a field without errors."""
    return (
        f'\n  <div class="field">\n    <label class="check">{field()} {escape(field.label.text)}'
        f"</label>\n    \n\n  </div>\n"
    )


@dataclass(frozen=True, slots=True)
class _Pieces:
    """What every unposted form of a kind of page shares, the prefix and the CSRF token
    still markers (see `_pieces`)."""

    register: Markup
    join: Markup
    hidden: str
    name: str
    phone: str
    code: str
    send_code: Markup
    party_label: str
    party_control: str
    slot_legend: Markup
    waitlist_only: Markup
    waitlist: str
    community: str
    email: str
    notice: Markup
    consent: str


# Pieces kept per application, by what they are made of; emptied past this many kinds.
_KEPT = "outreach.registrations.blank_forms"
MAX_KEPT = 64


def _pieces(
    choices: list[tuple[str, str]],
    retention_days: int,
    verify: bool,
    verified_minutes: int,
    max_party_size: int,
) -> tuple[_Pieces, str | None]:
    """The pieces of this request's forms (made once per language, settings and choices of
    communities, and kept), and the CSRF token to write in them (None: no CSRF field)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    key = (
        translations(),
        csrf,
        retention_days,
        verify,
        verified_minutes,
        max_party_size,
        tuple(choices),
    )
    kept = app.extensions.setdefault(_KEPT, {})
    found = kept.get(key)
    if found is None:
        found = _make_pieces(choices, retention_days, verify, verified_minutes, max_party_size)
        if len(kept) >= MAX_KEPT:
            kept.clear()
        kept[key] = found
    return found, generate_csrf() if csrf else None


def _make_pieces(
    choices: list[tuple[str, str]],
    retention_days: int,
    verify: bool,
    verified_minutes: int,
    max_party_size: int,
) -> _Pieces:
    """The pieces written from one model form whose prefix is the marker. It reads no
    request data: pieces made while a refused form is drawn again are kept and served to
    every later visitor, so a POST's fields under the marker would fill in their forms."""
    model = RegistrationForm(formdata=None, prefix=MARK)
    quick_labels(model, {})
    model.session_id.data = ID_MARK
    model.community.choices = choices
    model.community.data = None  # each form's own choice is written in by `render`
    model.party_size.render_kw = {**(model.party_size.render_kw or {}), "max": max_party_size}
    hidden = str(model.hidden_tag())
    token = getattr(getattr(model, "csrf_token", None), "current_token", None)
    if token:
        hidden = hidden.replace(token, TOKEN_MARK)
    code = ""
    if verify:
        code_hint = _gettext("The 6 digits in the text message. Tap “Send code” to get them.")
        if verified_minutes:
            code_hint = Markup(" ").join(
                (
                    code_hint,
                    _gettext(
                        "Not needed for the number you confirmed on this device in the "
                        "last %(minutes)d minutes.",
                        minutes=verified_minutes,
                    ),
                )
            )
        code = _field(model.phone_code, hint=code_hint) + "\n      "
    party = model.party_size
    return _Pieces(
        register=_gettext("Register"),
        join=_gettext("Join the waitlist"),
        hidden=hidden,
        name=_field(model.name),
        phone=_field(
            model.phone, hint=_gettext("A mainland China mobile number, e.g. 138 1234 5678.")
        ),
        code=code,
        send_code=_gettext("Send code"),
        party_label=party.label(),
        party_control=party(**{"aria-invalid": "false", "aria-describedby": f"{party.id}-hint"}),
        slot_legend=escape(model.slot.label.text),
        waitlist_only=_gettext(
            "No place is left. You can join the waitlist: when a place frees up for your "
            "party, you move up automatically."
        ),
        waitlist=_checkbox(model.waitlist),
        community=_field(model.community),
        email=_field(model.email),
        notice=_gettext(
            "Your name and phone number are used only to run this session: the organiser's "
            "staff see them, nobody else does, and they are erased %(days)d days after the "
            "session ends.",
            days=retention_days,
        ),
        consent=_checkbox(model.consent),
    )


class BlankForms:
    """The unposted registration forms of `event`'s page: `choices` are the communities one
    may say one lives in (every form of the page offers the same), `verify` whether phones
    are verified with a code, `verified_minutes` (0: none) how long ago this browser
    confirmed a number that needs no new code."""

    def __init__(
        self,
        event: Event,
        choices: list[tuple[str, str]],
        retention_days: int,
        verify: bool,
        verified_minutes: int,
    ) -> None:
        self.event = event
        self.verify = verify
        self._communities = {slug for slug, _name in choices}
        pieces, token = _pieces(
            choices, retention_days, verify, verified_minutes, event.max_party_size
        )
        self._pieces = pieces
        self._hidden = pieces.hidden if token is None else pieces.hidden.replace(TOKEN_MARK, token)
        self._party_hints: dict[int | None, str] = {}

    def _party_field(self, most: int | None) -> str:
        """The party size with its hint: the event's largest party, or fewer when only
        `most` places are left (None: as many as the event takes)."""
        found = self._party_hints.get(most)
        if found is None:
            largest = self.event.max_party_size
            if most is None:
                hint = _ngettext("Up to %(num)d person.", "Up to %(num)d people.", largest)
            else:
                hint = _ngettext(
                    "Up to %(most)d people. Only %(num)d place left.",
                    "Up to %(most)d people. Only %(num)d places left.",
                    most,
                    most=largest,
                )
            pieces = self._pieces
            found = self._party_hints[most] = _field_markup(
                f"{MARK}-party_size", pieces.party_label, pieces.party_control, hint
            )
        return found

    def render(
        self, event_session: EventSession, room: Room, groups: Sequence[SlotGroup]
    ) -> Markup:
        """The form of `event_session` (`room`: what it has left, `groups`: its slots)."""
        prefix = f"s{event_session.id}"
        waitlist_only = room.full
        short = room.most is not None and room.most < self.event.max_party_size
        pieces = self._pieces
        label = pieces.join if waitlist_only else pieces.register
        action = url_for("registrations.register", session_id=event_session.id)
        parts = [
            f'\n  <details class="register" >\n    <summary class="button">{label}</summary>'
            f'\n    <form method="post" action="{action}#session-{event_session.id}"'
            f' class="form" novalidate data-register>\n      ',
            self._hidden.replace(ID_MARK, str(event_session.id)),
        ]
        if self.verify:
            parts.append(
                f'\n      <button type="submit" class="default-submit" tabindex="-1"'
                f' aria-hidden="true">{label}</button>'
            )
        parts.append("\n      \n\n      ")
        if waitlist_only:
            parts.append(
                f'\n        <p class="notice waitlist-only">{pieces.waitlist_only}</p>'
                f'\n        <input type="hidden" name="{MARK}-waitlist" value="y">\n      '
            )
        parts += ["\n      ", pieces.name, "\n      ", pieces.phone, "\n      "]
        if self.verify:
            send = url_for("registrations.send_code", session_id=event_session.id)
            parts.append(
                f'\n        <div class="send-code">\n          <button type="submit"'
                f' class="secondary" formaction="{send}#session-{event_session.id}">'
                f"{pieces.send_code}</button>\n        </div>\n        "
            )
            parts += ["\n        ", pieces.code]
        parts += ["\n      ", self._party_field(room.most if short and not waitlist_only else None)]
        parts.append("\n      ")
        if any(group.choices for group in groups):
            slot = SimpleNamespace(name=f"{MARK}-slot", id=f"{MARK}-slot", data="", errors=[])
            parts.append(
                f'\n        <fieldset class="field slot-choices" id="{MARK}-slot-group">'
                f"\n          <legend>{pieces.slot_legend}</legend>"
                f"{slot_radios(groups, slot, MIN_PARTY_SIZE, waitlist_only)}\n          \n\n"
                f"        </fieldset>\n      "
            )
        parts.append("\n      ")
        if self.event.allow_waitlist and not waitlist_only and short:
            parts += ["\n        ", pieces.waitlist, "\n      "]
        parts += ["\n      ", self._community_field(event_session), "\n      ", pieces.email]
        parts.append(f'\n      <p class="notice">{pieces.notice}</p>\n      {pieces.consent}')
        parts.append(
            f'\n      \n  <div class="actions">\n    <button type="submit">{label}</button>'
            "\n  </div>\n\n    </form>\n  </details>\n"
        )
        return Markup("".join(parts).replace(MARK, prefix))

    def _community_field(self, event_session: EventSession) -> str:
        """The community select, the session's own community chosen when one may choose it
        (most residents live where the session is), else the form's default (none)."""
        community = event_session.venue.community
        chosen = ""
        if community is not None and community.slug in self._communities:
            chosen = community.slug
        value = _value(chosen)
        return self._pieces.community.replace(
            f'<option value="{value}">', f'<option selected value="{value}">', 1
        )
