"""The rules of categories: explicit, unique slugs and a display colour. Flushes, never commits."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from outreach.accounts import audit
from outreach.colours import MIN_TEXT_CONTRAST, contrast_ratio, darkened_to
from outreach.database import db, with_names
from outreach.errors import RuleError
from outreach.events.models import Category

# What the audit trail keeps of a category, before and after a change.
FIELDS = ("name", "name_en", "slug", "colour")
# The text colour of a category's tag on public pages (`.tag` in static/site.css): the
# category's colour is the tag's background, so it must be dark enough behind this.
TAG_TEXT = "#ffffff"


def save_category(
    category: Category | None,
    *,
    name: str,
    name_en: str | None,
    slug: str,
    colour: str,
    actor: Any,
) -> Category:
    """Create or change a category, audited to `actor`; its slug, chosen by the
    administrator, must be free, and its colour readable behind the tag's text."""
    check_colour(colour)
    before = audit.snapshot(category, FIELDS) if category is not None else None
    slug = slug.strip()
    others = select(Category.id).where(Category.slug == slug)
    if category is not None:
        others = others.where(Category.id != category.id)
    if db.session.scalar(others) is not None:
        raise RuleError(
            _("The web address name “%(slug)s” is already used by another category.", slug=slug),
            "slug",
            "duplicate",
        )
    category = with_names(Category, category, name, name_en, slug=slug)
    category.slug = slug
    category.colour = colour.lower()
    db.session.flush()
    audit.record_saved(
        actor,
        category,
        before,
        audit.snapshot(category, FIELDS),
        organisation_id=None,
        label=category.name,
    )
    return category


def check_colour(colour: str) -> None:
    """Refuse a colour with less than 4.5:1 contrast against the tag's text (WCAG 1.4.3),
    suggesting the nearest darker shade that has enough."""
    ratio = contrast_ratio(colour, TAG_TEXT)
    if ratio < MIN_TEXT_CONTRAST:
        raise RuleError(
            _(
                "This colour is too light for the white text of the category's tag: their "
                "contrast is %(ratio)s:1 and at least %(minimum)s:1 is needed for everyone to "
                "read it. Choose a darker colour, e.g. %(suggestion)s.",
                ratio=f"{int(ratio * 100) / 100:.2f}",
                minimum=f"{MIN_TEXT_CONTRAST:g}",
                suggestion=darkened_to(colour, TAG_TEXT),
            ),
            "colour",
        )


def categories() -> list[Category]:
    """Every category, in the order they were added."""
    return list(db.session.scalars(select(Category).order_by(Category.id)))
