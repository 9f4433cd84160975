"""Forms of the place pages: townships, communities and venues."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, Field, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from outreach.forms import NamesForm, choice_field, options
from outreach.places.models import Community, Township, TownshipKind

T = TypeVar("T")


class WithinRange:
    """A finite number between two bounds (NaN and infinity are refused, not compared)."""

    def __init__(self, low: int, high: int, message) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        value: Decimal | None = field.data
        if value is not None and not (value.is_finite() and self.low <= value <= self.high):
            raise ValidationError(self.message)


class TownshipForm(NamesForm):
    """A street or township."""

    kind = choice_field(
        _l("Kind"),
        _l("Please choose street or township."),
        choices=options(TownshipKind.choices()),
    )


def _id(value: object) -> int:
    """A chosen row's id, 0 for none; anything else is -1, which no choice offers."""
    if value is None or value == "":
        return 0
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1


def _township_field() -> SelectField:
    return choice_field(
        _l("Street or township"), _l("Please choose a street or township."), coerce=_id
    )


def _township_choices(townships: Iterable[Township]) -> list[SelectChoice]:
    return options([(0, "—"), *((t.id, t.name) for t in townships)])


class CommunityForm(NamesForm):
    """A community, in one township."""

    township_id = _township_field()

    def set_choices(self, townships: Iterable[Township], communities: Iterable[Community]) -> None:
        """Offer the townships."""
        self.township_id.choices = _township_choices(townships)


class VenueForm(NamesForm):
    """A venue: an address, optional coordinates, a township and maybe a community in it."""

    address = TextAreaField(_l("Address"), validators=[Length(max=500)])
    address_en = TextAreaField(
        _l("Address in English (optional)"),
        validators=[Length(max=500)],
        render_kw={"lang": "en"},
    )
    latitude = DecimalField(
        _l("Latitude (optional)"),
        places=None,
        validators=[
            Optional(),
            WithinRange(-90, 90, _l("Latitude is a number from -90 to 90, e.g. 39.97.")),
        ],
    )
    longitude = DecimalField(
        _l("Longitude (optional)"),
        places=None,
        validators=[
            Optional(),
            WithinRange(-180, 180, _l("Longitude is a number from -180 to 180, e.g. 116.47.")),
        ],
    )
    township_id = _township_field()
    community_id = choice_field(
        _l("Community (optional)"),
        _l("Please choose one of the listed communities, or none."),
        required=False,
        coerce=_id,
        default=0,
    )

    def set_choices(self, townships: Iterable[Township], communities: Iterable[Community]) -> None:
        """Offer the townships, and the communities labelled with their township."""
        self.township_id.choices = _township_choices(townships)
        none = (0, _l("None: the venue belongs only to the township"))
        self.community_id.choices = options(
            [none, *((c.id, f"{c.township.name} · {c.name}") for c in communities)]
        )
