"""Input of the public listings: filters, dates and page, validated with clear messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from outreach.errors import InvalidInput

MAX_PAGE = 10_000


@dataclass(frozen=True)
class ListingQuery:
    """The validated query string of a listing page or the events API."""

    township: str | None = None
    community: str | None = None
    category: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def slugs(self) -> dict[str, str | None]:
        """The place, category and organisation filters by name."""
        return {
            "township": self.township,
            "community": self.community,
            "category": self.category,
            "organisation": self.organisation,
        }


def _date(args: MultiDict, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("“%(value)s” is not a date; use the form YYYY-MM-DD, e.g. 2026-08-15.", value=raw)
        ) from None


def _page(args: MultiDict) -> int:
    raw = (args.get("page") or "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(
            _("“%(value)s” is not a page number; pages count from 1.", value=raw[:20])
        )
    return int(raw)


def _slug(args: MultiDict, name: str) -> str | None:
    value = (args.get(name) or "").strip()
    return value[:80] or None


def parse_listing_query(args: MultiDict) -> ListingQuery:
    """Validate a listing's query string; raises InvalidInput with a translated message."""
    date_from = _date(args, "from")
    date_to = _date(args, "to")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(_("The end date is before the start date."))
    return ListingQuery(
        township=_slug(args, "township"),
        community=_slug(args, "community"),
        category=_slug(args, "category"),
        organisation=_slug(args, "organisation"),
        date_from=date_from,
        date_to=date_to,
        page=_page(args),
    )
