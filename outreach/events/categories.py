"""The rules of categories: explicit, unique slugs and a display colour. Flushes, never commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from outreach.database import db
from outreach.errors import FieldError
from outreach.events.models import Category
from outreach.places.services import with_names


def save_category(
    category: Category | None, *, name: str, name_en: str | None, slug: str, colour: str
) -> Category:
    """Create or change a category; its slug, chosen by the administrator, must be free."""
    slug = slug.strip()
    others = select(Category.id).where(Category.slug == slug)
    if category is not None:
        others = others.where(Category.id != category.id)
    if db.session.scalar(others) is not None:
        raise FieldError(
            "slug",
            _("The web address name “%(slug)s” is already used by another category.", slug=slug),
        )
    category = with_names(Category, category, name, name_en, slug=slug)
    category.slug = slug
    category.colour = colour.lower()
    db.session.flush()
    return category


def categories() -> list[Category]:
    """Every category, in the order they were added."""
    return list(db.session.scalars(select(Category).order_by(Category.id)))
