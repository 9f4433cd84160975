"""The rules of places: townships, communities and venues. Flushes, never commits."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from outreach.accounts import audit
from outreach.database import db, with_names
from outreach.errors import RuleError
from outreach.pagination import CursorPage, Order, keyset_page, matching
from outreach.places.models import Community, Township, TownshipKind, Venue

T = TypeVar("T")
COORDINATE_PLACES = Decimal("0.000001")  # about 10 cm; the columns keep six places


class PlaceError(RuleError):
    """A place that cannot be saved as entered; names the form field at fault."""


def _chosen(model: type[T], item_id: int | None, field: str, message: str) -> T:
    """The row a form's select names, or a PlaceError with `message`."""
    found = db.session.get(model, item_id) if item_id else None
    if found is None:
        raise PlaceError(message, field)
    return found


def _chosen_township(township_id: int | None) -> Township:
    return _chosen(Township, township_id, "township_id", _("Please choose a street or township."))


# What the audit trail keeps of each kind of place, before and after a change.
NAME_FIELDS = ("name", "name_en")


def _township_state(township: Township) -> dict[str, Any]:
    return audit.snapshot(township, (*NAME_FIELDS, "kind"))


def _community_state(community: Community) -> dict[str, Any]:
    return audit.snapshot(community, NAME_FIELDS) | {"township": community.township.name}


def _venue_state(venue: Venue) -> dict[str, Any]:
    place = {
        "township": venue.township.name,
        "community": venue.community.name if venue.community else None,
    }
    return (
        audit.snapshot(venue, (*NAME_FIELDS, "address", "address_en", "latitude", "longitude"))
        | place
    )


def _record(actor: Any, item: Any, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    audit.record_saved(actor, item, before, after, organisation_id=None, label=item.name)


def save_township(
    township: Township | None, *, name: str, name_en: str | None, kind: str, actor: Any
) -> Township:
    """Create or change a street or township, audited to `actor`."""
    before = _township_state(township) if township is not None else None
    township = with_names(Township, township, name, name_en)
    township.kind = TownshipKind(kind)
    db.session.flush()
    _record(actor, township, before, _township_state(township))
    return township


def save_community(
    community: Community | None,
    *,
    name: str,
    name_en: str | None,
    township_id: int,
    actor: Any,
) -> Community:
    """Create or change a community, audited to `actor`; moving it to another township moves
    its venues too."""
    before = _community_state(community) if community is not None else None
    township = _chosen_township(township_id)
    community = with_names(Community, community, name, name_en)
    if community.id is not None and community.township_id != township.id:
        for venue in community.venues:
            venue.township = township
    community.township = township
    db.session.flush()
    _record(actor, community, before, _community_state(community))
    return community


def _coordinate(value: Decimal | None) -> Decimal | None:
    """Rounded to the column's six places, so an unchanged value compares equal when saved."""
    return None if value is None else value.quantize(COORDINATE_PLACES)


def save_venue(
    venue: Venue | None,
    *,
    name: str,
    name_en: str | None,
    address: str | None,
    address_en: str | None = None,
    latitude: Decimal | None,
    longitude: Decimal | None,
    township_id: int,
    community_id: int | None,
    actor: Any,
) -> Venue:
    """Create or change a venue, audited to `actor`; its community, when it has one, lies in
    its township."""
    before = _venue_state(venue) if venue is not None else None
    township = _chosen_township(township_id)
    community = None
    if community_id:
        community = _chosen(
            Community, community_id, "community_id", _("There is no such community.")
        )
        if community.township_id != township.id:
            raise PlaceError(
                _(
                    "%(community)s is not in %(township)s. Choose one of its communities, "
                    "or no community.",
                    community=community.name,
                    township=township.name,
                ),
                "community_id",
            )
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        raise PlaceError(_("Enter both latitude and longitude, or neither."), missing)
    venue = with_names(Venue, venue, name, name_en)
    venue.address = (address or "").strip()
    venue.address_en = (address_en or "").strip() or None
    venue.latitude = _coordinate(latitude)
    venue.longitude = _coordinate(longitude)
    venue.township = township
    venue.community = community
    db.session.flush()
    _record(actor, venue, before, _venue_state(venue))
    return venue


def townships() -> list[Township]:
    """Every street and township by name."""
    return list(db.session.scalars(select(Township).order_by(Township.name)))


def communities() -> list[Community]:
    """Every community with its township, grouped by township."""
    return list(
        db.session.scalars(
            select(Community)
            .join(Community.township)
            .options(joinedload(Community.township))
            .order_by(Township.name, Community.name)
        )
    )


# A select longer than this is no use on a phone: beyond it, lists of communities offer
# only those of the street or township in question (a city has thousands).
CHOICE_LIMIT = 300


def communities_to_choose(township_ids: Iterable[int | None]) -> list[Community]:
    """Communities for a select, grouped by township: all of them in a district-sized site,
    else only those of the given townships (none when no township is given)."""
    statement = select(Community).join(Community.township).options(joinedload(Community.township))
    choosable = _choosable(statement.order_by(*_CHOICE_ORDER), township_ids)
    return [] if choosable is None else list(db.session.scalars(choosable))


@functools.cache
def _community_names() -> Select:
    """(slug, name, English name) of the communities a select offers, in its order, in one
    statement (built once: every event page's registration forms ask): all of them while
    the site has no more than `choice_limit`, else those of the `wanted` townships.

    A union of the two, each half gated by the same uncorrelated EXISTS: the database works
    it out once and skips the half it rules out (PostgreSQL's one-time filter), and the
    townships' half reads the township index, as two statements would."""
    other = aliased(Community)  # the count's own communities, not those listed
    beyond = select(other.id).order_by(other.id).offset(bindparam("choice_limit")).limit(1).exists()

    def names(where: Any) -> Select:
        return (
            select(
                Community.slug,
                Community.name,
                Community.name_en,
                Township.name.label("township_name"),
                Township.id.label("township_id"),
            )
            .join(Community.township)
            .where(where)
        )

    wanted = Community.township_id.in_(bindparam("wanted", expanding=True))
    both = union_all(names(~beyond), names(beyond & wanted)).subquery()
    return select(both.c.slug, both.c.name, both.c.name_en).order_by(
        both.c.township_name, both.c.township_id, both.c.name
    )


def community_names(township_ids: Iterable[int | None]) -> list[tuple[str, str, str | None]]:
    """(slug, name, English name) of the communities `communities_to_choose` offers, in its
    order, read as plain rows in one statement: a registration form's select needs nothing
    else."""
    wanted = sorted({township_id for township_id in township_ids if township_id is not None})
    rows = db.session.execute(_community_names(), {"choice_limit": CHOICE_LIMIT, "wanted": wanted})
    return [tuple(row) for row in rows]


# How a select lists communities: by township, then by name.
_CHOICE_ORDER = (Township.name, Township.id, Community.name)


@functools.cache
def _beyond_limit() -> Select:
    """The id of the community after the first `choice_limit` (by id): whether the site has
    more than a select can offer. The primary key's index answers it after that many
    entries, not 7,000 rows."""
    return select(Community.id).order_by(Community.id).offset(bindparam("choice_limit")).limit(1)


def _choosable(statement: Any, township_ids: Iterable[int | None]) -> Any:
    """`statement` (communities joined to their townships, in the order of a select)
    limited to the given townships in a site too large to offer them all; None: nothing to
    offer."""
    if db.session.scalar(_beyond_limit(), {"choice_limit": CHOICE_LIMIT}) is None:
        return statement
    wanted = {township_id for township_id in township_ids if township_id is not None}
    return statement.where(Community.township_id.in_(wanted)) if wanted else None


def township_page(cursor: str | None, per_page: int) -> CursorPage[Township]:
    """Streets and townships by name in keyset pages, with their communities and those's
    venues (three queries, the last two by the page's ids)."""
    statement = select(Township).options(
        selectinload(Township.communities).selectinload(Community.venues)
    )
    order = Order((Township.name, Township.id))
    return keyset_page(statement, order, per_page, cursor, name="api.places")


def venues_without_community(township_ids: Iterable[int] | None = None) -> dict[int, list[Venue]]:
    """Venues that belong only to a township (schools, malls), by township id: of every
    township, or of those given."""
    found: dict[int, list[Venue]] = {}
    statement = select(Venue).where(Venue.community_id.is_(None)).order_by(Venue.name)
    if township_ids is not None:
        statement = statement.where(Venue.township_id.in_(list(township_ids)))
    for venue in db.session.scalars(statement):
        found.setdefault(venue.township_id, []).append(venue)
    return found


# The three lists of the places page, each by name in keyset pages.
PLACE_KINDS: dict[str, type] = {"townships": Township, "communities": Community, "venues": Venue}


def place_page(kind: str, words: str, cursor: str | None, per_page: int) -> CursorPage:
    """One page of townships, communities or venues by name, those whose Chinese or English
    name contains `words` when given; each with the places it lies in (one query)."""
    model = PLACE_KINDS[kind]
    statement = select(model)
    if model is Community:
        statement = statement.options(joinedload(Community.township))
    elif model is Venue:
        statement = statement.options(joinedload(Venue.township), joinedload(Venue.community))
    if words:
        statement = statement.where(matching((model.name, model.name_en), words))
    order = Order((model.name, model.id))
    return keyset_page(statement, order, per_page, cursor, name=f"places.{kind}")
