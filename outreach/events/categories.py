"""The rules of categories: explicit, unique slugs and a display colour. Flushes, never commits."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from outreach.accounts import audit
from outreach.database import db, with_names
from outreach.errors import RuleError
from outreach.events.models import Category

# What the audit trail keeps of a category, before and after a change.
FIELDS = ("name", "name_en", "slug", "colour")


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
    administrator, must be free."""
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


def categories() -> list[Category]:
    """Every category, in the order they were added."""
    return list(db.session.scalars(select(Category).order_by(Category.id)))
