"""The venue choices of the session forms, written once per request: the sessions page
offers the same venues in every row of its form (a city township's hundreds of venues, six
rows and more), and writing each option's name again per row was most of the page's time.
The campaign form's venue boxes and the choice of street or township (300 in a city) are
written here too, in one pass each, rather than by a template loop per name."""

from __future__ import annotations

from collections.abc import Sequence

from flask import g
from flask_babel import gettext as _
from markupsafe import Markup, escape

from outreach.events.editing import VenueGroup
from outreach.i18n import current_language
from outreach.places.models import Township


def group_label(group: VenueGroup, language: str) -> str:
    """A group's heading: its township, then its community or "no community"."""
    township = group.township.display_name(language)
    if group.community is None:
        return f"{township} › {_('no community')}"
    return f"{township} › {group.community.display_name(language)}"


def _written(groups: Sequence[VenueGroup]) -> str:
    cache = g.setdefault("venue_options", {})
    key = (id(groups), current_language())
    if key not in cache:
        language = key[1]
        parts = []
        for group in groups:
            parts.append(f'<optgroup label="{escape(group_label(group, language))}">')
            parts.extend(
                f'<option value="{venue.id}">{escape(venue.display_name(language))}</option>'
                for venue in group.venues
            )
            parts.append("</optgroup>")
        # The groups live as long as the request: keep them, so that their id is not reused.
        cache[key] = (groups, "".join(parts))
    return cache[key][1]


def venue_options(groups: Sequence[VenueGroup], selected: object) -> Markup:
    """The <optgroup>s and <option>s of a venue select, `selected` (a venue id) chosen."""
    written = _written(groups)
    if isinstance(selected, int) and not isinstance(selected, bool):
        option = f'<option value="{selected}">'
        written = written.replace(option, f'<option value="{selected}" selected>', 1)
    return Markup(written)  # noqa: S704 (every name in it is escaped above)


def venue_checkboxes(groups: Sequence[VenueGroup], name: str, checked: Sequence[int]) -> Markup:
    """A fieldset per group of venues with a box for each, `checked` (venue ids) ticked."""
    language = current_language()
    ticked = set(checked or ())
    parts = []
    for group in groups:
        parts.append(
            f'<fieldset class="venue-group"><legend>{escape(group_label(group, language))}</legend>'
        )
        parts.extend(
            f'<label class="check"><input type="checkbox" name="{escape(name)}"'
            f' value="{venue.id}"{" checked" if venue.id in ticked else ""}>'
            f" {escape(venue.display_name(language))}</label>"
            for venue in group.venues
        )
        parts.append("</fieldset>")
    return Markup("".join(parts))  # noqa: S704 (every name in it is escaped above)


def township_options(townships: Sequence[Township], chosen: int | None) -> Markup:
    """An <option> per street or township, `chosen` (an id) selected."""
    language = current_language()
    return Markup(  # noqa: S704 (every name in it is escaped)
        "".join(
            f'<option value="{township.id}"{" selected" if township.id == chosen else ""}>'
            f"{escape(township.display_name(language))}</option>"
            for township in townships
        )
    )
