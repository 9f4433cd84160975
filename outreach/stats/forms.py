"""The statistics page's filters, read from the query string with clear messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from outreach.accounts.models import Organisation
from outreach.errors import InvalidInput
from outreach.events.forms import parse_day
from outreach.events.models import Category
from outreach.stats.services import Filters

MAX_YEARS = 5
PAST_MONTHS = 11  # with the current month: the last twelve months


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s (before, when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months (this one included) and the coming month, in whole months."""
    return _add_months(today, -PAST_MONTHS), _add_months(today, 2) - timedelta(days=1)


@dataclass(frozen=True)
class FilterInput:
    """What the filter form shows: as typed, so a mistake can be corrected in place."""

    date_from: str
    date_to: str
    organisation: str
    category: str

    @classmethod
    def of(cls, args: MultiDict, today: date) -> FilterInput:
        """The query string's values, the default dates where none is given."""
        first, last = default_range(today)
        return cls(
            date_from=(args.get("from") or "").strip()[:20] or first.isoformat(),
            date_to=(args.get("to") or "").strip()[:20] or last.isoformat(),
            organisation=(args.get("organisation") or "").strip()[:20],
            category=(args.get("category") or "").strip()[:20],
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters, for links to the CSV files."""
        found = {"from": self.date_from, "to": self.date_to}
        if self.organisation:
            found["organisation"] = self.organisation
        if self.category:
            found["category"] = self.category
        return found


def _date(raw: str) -> date:
    try:
        return parse_day(raw)
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _chosen(raw: str, choices: Sequence[Organisation] | Sequence[Category], message: str):
    """The id of one of the choices, None for all; anything else is refused with `message`."""
    if not raw:
        return None
    ids = {choice.id for choice in choices}
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in ids:
        raise InvalidInput(message)
    return int(raw)


def parse_filters(
    given: FilterInput,
    *,
    visible: frozenset[int] | None,
    organisations: Sequence[Organisation],
    categories: Sequence[Category],
) -> Filters:
    """Validate the filters; raises InvalidInput with a message in the reader's language.

    `organisations` are those the user may choose from (all of them for administrators).
    """
    date_from, date_to = _date(given.date_from), _date(given.date_to)
    if date_to < date_from:
        raise InvalidInput(_("The end date is before the start date."))
    if date_to >= _add_months(date_from, 12 * MAX_YEARS):
        raise InvalidInput(_("Please choose a period of at most %(years)d years.", years=MAX_YEARS))
    return Filters(
        date_from=date_from,
        date_to=date_to,
        visible=visible,
        organisation_id=_chosen(
            given.organisation, organisations, _("There is no such organisation.")
        ),
        category_id=_chosen(given.category, categories, _("There is no such category.")),
    )
