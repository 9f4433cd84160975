"""The slot choices of the event page's registration forms, worked out once per request.

A session of a clinic day has dozens of slots; each is a radio button whose label says how
many places it has left. Written in the template, every one of them looked up its
translation, formatted its times and wrote its language mark; here each distinct wording is
translated once per page, and the template only writes the values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import get_translations
from markupsafe import Markup, escape

from outreach.events.models import EventSession
from outreach.formatting import HTML_LANG, text
from outreach.i18n import current_language
from outreach.localtime import local_zone
from outreach.registrations.models import Slot, time_window
from outreach.registrations.services import Room
from outreach.registrations.slot_rows import SlotRow


class SlotChoice(NamedTuple):
    """One radio button: the slot's id (the form's value: digits, nothing to escape), its
    places left and its label (markup). A tuple: a clinic day's page makes dozens."""

    value: str
    left: int
    label: Markup


@dataclass(frozen=True, slots=True)
class SlotGroup:
    """A department's slots under its legend (`legend` None: the slots are not grouped);
    `lang` is the legend's language when it falls back to the other one."""

    legend: str | None
    lang: str | None
    choices: list[SlotChoice]


class Wordings:
    """The translated label patterns of one page, each looked up once, and the labels and
    time windows written with them (a clinic day's sessions repeat the same few)."""

    def __init__(self) -> None:
        self._translations = get_translations()
        self._zone = local_zone()  # asked once: the app's config, through its proxy
        self._left: dict[int, Markup] = {}
        self._full: dict[bool, Markup] = {}
        self._labels: dict[tuple[Markup, int, bool], Markup] = {}
        self._windows: dict[tuple[datetime | None, datetime | None], str] = {}
        self._names: dict[tuple[datetime | None, datetime | None], Markup] = {}

    def left(self, num: int) -> Markup:
        if num not in self._left:
            wording = self._translations.ngettext(
                "%(slot)s (%(num)d left)", "%(slot)s (%(num)d left)", num
            )
            self._left[num] = Markup(wording)
        return self._left[num]

    def full(self, waitlist: bool) -> Markup:
        if waitlist not in self._full:
            wording = (
                self._translations.gettext("%(slot)s (full, waitlist)")
                if waitlist
                else self._translations.gettext("%(slot)s (full)")
            )
            self._full[waitlist] = Markup(wording)
        return self._full[waitlist]

    def label(self, name: Markup, left: int, waitlist: bool) -> Markup:
        """A slot's radio label: its `name` and the places it has `left` (or full)."""
        key = (name, left, waitlist)
        found = self._labels.get(key)
        if found is None:
            if left > 0:
                found = self.left(left) % {"slot": name, "num": left}
            else:
                found = self.full(waitlist) % {"slot": name}
            self._labels[key] = found
        return found

    def window(self, slot: Slot | SlotRow) -> str:
        """The slot's local time window (`Slot.window`)."""
        return self._window(slot.starts_at, slot.ends_at)

    def _window(self, starts_at: datetime | None, ends_at: datetime | None) -> str:
        key = (starts_at, ends_at)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = time_window(starts_at, ends_at, self._zone)
        return found

    def window_name(self, starts_at: datetime | None, ends_at: datetime | None) -> Markup:
        """A slot's time window (`Slot.window`) escaped, as a department's slots are named;
        empty without times."""
        key = (starts_at, ends_at)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = escape(self._window(starts_at, ends_at))
        return found


def _groups(slots: Sequence[Slot | SlotRow]) -> list[tuple[str | None, list[Slot | SlotRow]]]:
    """A session's slots by department (their label) when a label has several time windows;
    one group without a name when every label has one slot. In the slots' own order."""
    groups: dict[str, list[Slot | SlotRow]] = {}
    for slot in slots:
        groups.setdefault(slot.label, []).append(slot)
    if all(len(grouped) == 1 for grouped in groups.values()):
        return [(None, list(slots))]
    return list(groups.items())


def slot_groups(
    event_session: EventSession,
    slots: Sequence[Slot | SlotRow],
    room: Room,
    wordings: Wordings,
) -> Sequence[SlotGroup]:
    """The session's `slots` as the form lists them: a department's slots under its legend,
    each named by its time window (or its label, when it has no times or the slots are not
    grouped) with the places it has left (`room`: what the session has left)."""
    language = current_language()
    waitlist = event_session.event.allow_waitlist
    found = []
    for department, grouped in _groups(slots):
        legend = lang = None
        if department:
            legend, legend_language = grouped[0].text_in("label", language)
            lang = HTML_LANG[legend_language] if legend_language != language else None
        choices = []
        for slot in grouped:
            left = room.slot_left(slot)
            name = wordings.window_name(slot.starts_at, slot.ends_at) if department else None
            if not name:
                window = wordings.window(slot)
                name = text(slot, "label") + (" " + window if window else "")
            choices.append(SlotChoice(str(slot.id), left, wordings.label(name, left, waitlist)))
        found.append(SlotGroup(legend, lang, choices))
    return found


def slot_radios(groups: Sequence[SlotGroup], field: Any, party: int, waiting: bool) -> Markup:
    """The radio buttons of `groups` for the form's slot `field` (its name, id, choice and
    errors): a department's under its legend; the first takes the field's id, the one
    chosen is checked, and a slot with fewer places than the `party` is disabled unless the
    party is `waiting` (or it is the one chosen). Written here rather than in the template:
    a clinic day's forms have hundreds of them."""
    name = escape(field.name)
    first = f' id="{escape(field.id)}"'
    picked = field.data
    invalid = ' aria-invalid="true"' if field.errors else ""
    parts = []
    for group in groups:
        if group.legend:
            lang = f' lang="{escape(group.lang)}"' if group.lang else ""
            parts.append(
                f'\n          <fieldset class="slot-department">'
                f"\n            <legend{lang}>{escape(group.legend)}</legend>"
            )
        for choice in group.choices:
            chosen = picked == choice.value
            attributes = first + (" checked" if chosen else "")
            first = ""
            if choice.left < party and not waiting and not chosen:
                attributes += " disabled"
            parts.append(
                f'\n            <label class="slot-choice">'
                f'\n              <input type="radio" name="{name}" value="{choice.value}"'
                f' data-left="{choice.left}"{attributes}{invalid}>'
                f"\n              <span>{choice.label}</span>"
                f"\n            </label>"
            )
        if group.legend:
            parts.append("\n          </fieldset>")
    return Markup("".join(parts))
