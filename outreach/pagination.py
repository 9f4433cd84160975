"""Long lists a page at a time: the page asked for, one page of a query, and what a pager
(the `pager` macro) needs to know."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from outreach.database import db

T = TypeVar("T")

# No list is that long; a bigger number would only make the database skip rows for nothing.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results with what a pager needs."""

    items: Sequence[T]
    page: int
    per_page: int
    total: int
    # False when counting stopped at `total` and there are more (public listings count only
    # so far: see events.services.COUNT_LIMIT).
    exact: bool = True

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty); a lower bound when the
        count is not exact."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return not self.exact or self.page < self.pages


def page_number() -> int:
    """The request's ?page=: 1 when missing or not a number, at most MAX_PAGE (staff lists;
    public listings refuse a bad number instead, see events.forms)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def count(statement: Select) -> int:
    """How many rows `statement` selects: one query, without its eager loads and order."""
    rows = statement.options(lazyload("*")).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(rows)) or 0


def offset(page: int, per_page: int) -> int:
    """How many rows come before the page."""
    return (page - 1) * per_page


def paginate(statement: Select, page: int, per_page: int) -> Page:
    """One page of `statement`'s rows, in its order, with their total: two queries."""
    total = count(statement)
    rows = statement.limit(per_page).offset(offset(page, per_page))
    items = db.session.scalars(rows).unique().all()
    return Page(items=items, page=page, per_page=per_page, total=total)
