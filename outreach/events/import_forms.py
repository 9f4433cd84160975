"""The staff upload form of the calendar import."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField

from outreach.events.editing import VenueGroup
from outreach.events.forms import OneOfChoices
from outreach.events.importer import MAX_FILE_BYTES
from outreach.forms import BaseForm


def _venue_id(value: Any) -> int | None:
    """A submitted venue id; anything that is not a plain number becomes None."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class ImportForm(BaseForm):
    """A calendar file and where its events go."""

    file = FileField(
        _l("Calendar file (.ics)"),
        validators=[FileRequired(_l("Please choose a calendar file (.ics) to import."))],
        render_kw={"accept": ".ics,text/calendar"},
    )
    organisation = SelectField(
        _l("Organisation"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose one of your organisations."))],
    )
    venue = SelectField(
        _l("Venue of the new sessions"),
        coerce=_venue_id,
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose a venue."))],
    )
    category = SelectField(
        _l("Category of the new events"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose a category."))],
    )
    publish = BooleanField(_l("Publish the new events at once (otherwise they are drafts)"))

    def offer(
        self,
        organisations: Iterable[Any],
        groups: Sequence[VenueGroup],
        categories: Iterable[Any],
        locale: str,
    ) -> None:
        """Fill the lists, named in the reader's language."""
        organisations = [(o.slug, o.display_name(locale)) for o in organisations]
        # Nothing preselected where a wrong choice is easy to miss: the venue, and the
        # organisation of someone who belongs to several.
        blank = [("", _l("Choose…"))]
        self.organisation.choices = (blank if len(organisations) > 1 else []) + organisations
        self.venue.choices = blank + [
            (venue.id, " · ".join(_place_names(group, locale) + [venue.display_name(locale)]))
            for group in groups
            for venue in group.venues
        ]
        self.category.choices = [("", _l("As the file says (its CATEGORIES)"))] + [
            (c.slug, c.display_name(locale)) for c in categories
        ]

    def content(self) -> bytes:
        """The uploaded bytes, read no further than one byte past the size limit."""
        return self.file.data.read(MAX_FILE_BYTES + 1)


def _place_names(group: VenueGroup, locale: str) -> list[str]:
    names = [group.township.display_name(locale)]
    if group.community is not None:
        names.append(group.community.display_name(locale))
    return names
