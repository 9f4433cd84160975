"""The event page's registration forms as nobody has posted them yet, written from pieces
prepared once per page.

An event page shows a form per open session; a clinic day has several, each with dozens of
slots. Built as WTForms forms and written by the `registration_form` macro
(templates/registrations/_form.html), they took about half of the page's rendering while
the page cache was empty. A form nobody posted has no errors and no typed values, so every
field but a few is the same in every form of the page except for its name prefix (`s<id>-`):
one form is built per page with a marker for a prefix, each field written once, and each
session's form is those pieces with the marker replaced and its own parts (its slots, its
community chosen, the places it has left) written in.

The markup is the macro's, byte for byte: tests/test_blank_forms.py writes
the forms both ways in every shape (waitlist only, few places left, slots or none, codes
texted or not) and compares them. A change to the macro or to `forms.html` must be made here
too; that test says where they part. A form posted back (with its errors and values) is
still a WTForms form written by the macro.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from outreach.events.models import Event, EventSession
from outreach.forms import _value, quick_labels
from outreach.i18n import translations
from outreach.registrations.choices import SlotGroup, slot_radios
from outreach.registrations.forms import RegistrationForm
from outreach.registrations.services import Room

# The prefix of the page's one model form, and its session's id: no field name, id or value
# holds either otherwise.
MARK = "s0blank0"
ID_MARK = "0blankid0"


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
        hint_html = f'<p class="hint" id="{field.id}-hint">{hint}</p>'
        control = field(**{"aria-invalid": "false", "aria-describedby": f"{field.id}-hint"})
    else:
        hint_html = ""
        control = field(**{"aria-invalid": "false"})
    label = field.label()
    return f'\n  <div class="field">\n    {label}\n    {hint_html}{control}\n    \n\n  </div>\n'


def _checkbox(field: Any) -> str:
    """forms.html's `checkbox` macro for a field without errors."""
    return (
        f'\n  <div class="field">\n    <label class="check">{field()} {escape(field.label.text)}'
        f"</label>\n    \n\n  </div>\n"
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
        model = RegistrationForm(prefix=MARK)
        quick_labels(model, {})
        model.session_id.data = ID_MARK
        model.community.choices = choices
        model.community.data = None  # each form's own choice is written in by `render`
        model.party_size.render_kw = {
            **(model.party_size.render_kw or {}),
            "max": event.max_party_size,
        }
        self.verify = verify
        self._communities = {slug for slug, _name in choices}
        self._register = _gettext("Register")
        self._join = _gettext("Join the waitlist")
        self._hidden = str(model.hidden_tag())
        self._name = _field(model.name)
        self._phone = _field(
            model.phone, hint=_gettext("A mainland China mobile number, e.g. 138 1234 5678.")
        )
        self._code = ""
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
            self._code = _field(model.phone_code, hint=code_hint) + "\n      "
        self._send_code = _gettext("Send code")
        self._party = model.party_size
        self._party_hints: dict[int | None, str] = {}
        self._slot_legend = escape(model.slot.label.text)
        self._waitlist_only = _gettext(
            "No place is left. You can join the waitlist: when a place frees up for your "
            "party, you move up automatically."
        )
        self._waitlist = _checkbox(model.waitlist)
        self._community = _field(model.community)
        self._email = _field(model.email)
        self._notice = _gettext(
            "Your name and phone number are used only to run this session: the organiser's "
            "staff see them, nobody else does, and they are erased %(days)d days after the "
            "session ends.",
            days=retention_days,
        )
        self._consent = _checkbox(model.consent)

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
            found = self._party_hints[most] = _field(self._party, hint=hint)
        return found

    def render(
        self, event_session: EventSession, room: Room, groups: Sequence[SlotGroup]
    ) -> Markup:
        """The form of `event_session` (`room`: what it has left, `groups`: its slots)."""
        prefix = f"s{event_session.id}"
        waitlist_only = room.full
        short = room.most is not None and room.most < self.event.max_party_size
        label = self._join if waitlist_only else self._register
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
                f'\n        <p class="notice waitlist-only">{self._waitlist_only}</p>'
                f'\n        <input type="hidden" name="{MARK}-waitlist" value="y">\n      '
            )
        parts += ["\n      ", self._name, "\n      ", self._phone, "\n      "]
        if self.verify:
            send = url_for("registrations.send_code", session_id=event_session.id)
            parts.append(
                f'\n        <div class="send-code">\n          <button type="submit"'
                f' class="secondary" formaction="{send}#session-{event_session.id}">'
                f"{self._send_code}</button>\n        </div>\n        "
            )
            parts += ["\n        ", self._code]
        parts += ["\n      ", self._party_field(room.most if short and not waitlist_only else None)]
        parts.append("\n      ")
        if event_session.slots:
            slot = SimpleNamespace(name=f"{MARK}-slot", id=f"{MARK}-slot", data="", errors=[])
            party = self._party.data if isinstance(self._party.data, int) else 1
            parts.append(
                f'\n        <fieldset class="field slot-choices" id="{MARK}-slot-group">'
                f"\n          <legend>{self._slot_legend}</legend>"
                f"{slot_radios(groups, slot, party, waitlist_only)}\n          \n\n"
                f"        </fieldset>\n      "
            )
        parts.append("\n      ")
        if self.event.allow_waitlist and not waitlist_only and short:
            parts += ["\n        ", self._waitlist, "\n      "]
        parts += ["\n      ", self._community_field(event_session), "\n      ", self._email]
        parts.append(f'\n      <p class="notice">{self._notice}</p>\n      {self._consent}')
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
        return self._community.replace(
            f'<option value="{value}">', f'<option selected value="{value}">', 1
        )
