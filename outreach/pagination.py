"""Long lists a page at a time: the page asked for, one page of a query, and what a pager
(the `pager` macro) needs to know."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Generic, TypeVar

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, bindparam, func, literal, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, lazyload

from outreach.database import db
from outreach.errors import InvalidInput

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


# ---------------------------------------------------------------------------------------------
# Keyset pages: staff lists and the API
#
# An offset page makes the database walk every row before it, and a count walks them all; a
# keyset page starts where the last one ended (WHERE (sort key, id) > the last row's), so any
# page costs what the first does along the index of its order, and rows inserted meanwhile
# neither repeat nor hide rows on the following pages. The position travels as a signed
# cursor: a cursor edited by hand, cut short or taken from another list is refused with a 400
# in the user's language, never a 500. (sqlakeyset does the same walk, but its bookmarks are
# unsigned and typed by guess, and our lists need their own eager loads and one error; this
# is one small helper that every list shares.)

CURSOR_PARAMETER = "cursor"
_AFTER, _BEFORE = "a", "b"


@dataclass(frozen=True)
class Order:
    """A list's sort key: columns of the selected entity, the last one unique (its id);
    `descending` for newest first. `key` reads a row's sort key when the columns are not
    the selected entity's own (a membership listed by its account's username)."""

    columns: tuple[InstrumentedAttribute, ...]
    descending: bool = False
    key: Callable[[object], tuple] | None = None

    def values(self, item: object) -> tuple:
        """The sort key of a row."""
        if self.key is not None:
            return self.key(item)
        return tuple(getattr(item, column.key) for column in self.columns)


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """One keyset page: its rows and the cursors of the pages either side (None at an end)."""

    items: Sequence[T]
    per_page: int
    next_cursor: str | None
    prev_cursor: str | None

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.prev_cursor is not None

    @property
    def is_first(self) -> bool:
        """Whether this is the list's first page (no cursor, or back at the start)."""
        return self.prev_cursor is None


class BadCursor(InvalidInput):
    """A cursor that this site did not make for this list."""


def _serializer(name: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"outreach.cursor.{name}")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Enum):
        return value.value
    return value


def _typed(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    return value


def encode_cursor(name: str, direction: str, values: Sequence[object]) -> str:
    """A signed cursor for the list `name`: the rows after (or before) `values`."""
    return _serializer(name).dumps([direction, [_plain(v) for v in values]])


def _bad_cursor() -> BadCursor:
    return BadCursor(
        _("This page link is out of date or damaged. Go back to the list's first page."),
        CURSOR_PARAMETER,
    )


def decode_cursor(name: str, cursor: str, width: int) -> tuple[str, tuple]:
    """The direction and sort key a cursor carries; BadCursor if it is not one of ours."""
    bad = _bad_cursor()
    if len(cursor) > 1000:
        raise bad
    try:
        direction, values = _serializer(name).loads(cursor)
        typed = tuple(_typed(v) for v in values)
    except (BadData, TypeError, ValueError) as error:
        raise bad from error
    if direction not in (_AFTER, _BEFORE) or len(typed) != width:
        raise bad
    if any(not isinstance(v, int | str | datetime) or isinstance(v, bool) for v in typed):
        raise bad
    return direction, typed


def cursor_argument(parameter: str = CURSOR_PARAMETER) -> str | None:
    """The request's ?cursor= (or another parameter, for a page of two lists), None when
    missing or empty."""
    return request.args.get(parameter) or None


def _beyond(order: Order, values: tuple, forward: bool):
    """Rows past `values` in the walking direction, as one row-value comparison (which both
    PostgreSQL and SQLite answer from an index on the same columns)."""
    # Bound with each column's type, so that a time compares as the column stores it.
    bound = tuple(literal(v, c.type) for c, v in zip(order.columns, values, strict=True))
    return _past(order, bound, forward)


def _past(order: Order, bound: Sequence, forward: bool):
    row = tuple_(*order.columns)
    later = forward != order.descending
    return row > tuple_(*bound) if later else row < tuple_(*bound)


def beyond_parameters(order: Order, forward: bool, prefix: str):
    """`_beyond` with named parameters (`prefix`0, `prefix`1… in the order's columns) in place
    of a cursor's values, for a statement built once and run with each request's values
    (`cursor_parameters`)."""
    bound = [bindparam(f"{prefix}{n}", type_=c.type) for n, c in enumerate(order.columns)]
    return _past(order, bound, forward)


def cursor_parameters(values: Sequence[object], prefix: str) -> dict[str, object]:
    """A cursor's values as the parameters `beyond_parameters` names."""
    return {f"{prefix}{n}": value for n, value in enumerate(values)}


def ordered(order: Order, forward: bool) -> list:
    """The ORDER BY of a keyset page walking forward (or back) along `order`."""
    ascending = forward != order.descending
    return [column.asc() if ascending else column.desc() for column in order.columns]


def cursor_position(cursor: str | None, width: int, name: str) -> tuple[bool, tuple | None]:
    """Whether a page walks forward, and the sort key (of `width` values) it starts past
    (None: the list's first page); BadCursor for a cursor not ours for the list `name`."""
    if cursor is None:
        return True, None
    direction, values = decode_cursor(name, cursor, width)
    return direction == _AFTER, values


def page_of(
    rows: list, order: Order, per_page: int, forward: bool, values: tuple | None, name: str
) -> CursorPage:
    """The keyset page from `rows`, up to per_page + 1 of them in the walking order (the one
    past the page says there is more), with the cursors of the pages either side."""
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    first = order.values(rows[0]) if rows else values
    last = order.values(rows[-1]) if rows else values
    if forward:
        has_prev, has_next = values is not None, more
    else:
        has_prev, has_next = more, True
    return CursorPage(
        items=rows,
        per_page=per_page,
        next_cursor=encode_cursor(name, _AFTER, last) if has_next and last else None,
        prev_cursor=encode_cursor(name, _BEFORE, first) if has_prev and first else None,
    )


def keyset_page(
    statement: Select,
    order: Order,
    per_page: int,
    cursor: str | None,
    *,
    name: str,
    fetch: Callable[[Select, bool], list] | None = None,
) -> CursorPage:
    """One page of `statement`'s rows in `order`, from `cursor` (the first page when None):
    one query, reading at most per_page + 1 rows of the order's index. `fetch` runs the
    limited statement instead (given it and whether the walk goes forward), returning the
    items in the walking order: rows of a subquery wrapped with their names, say."""
    forward, values = cursor_position(cursor, len(order.columns), name)
    if values is not None:
        statement = statement.where(_beyond(order, values, forward))
    limited = statement.order_by(None).order_by(*ordered(order, forward)).limit(per_page + 1)
    rows = fetch(limited, forward) if fetch else list(db.session.scalars(limited).unique())
    return page_of(rows, order, per_page, forward, values, name)


SEARCH_PARAMETER = "q"
MAX_SEARCH = 80


def search_argument() -> str:
    """The request's ?q= search words, trimmed ('' for none)."""
    return (request.args.get(SEARCH_PARAMETER) or "").strip()[:MAX_SEARCH]


def matching(columns: Sequence[InstrumentedAttribute], words: str):
    """Rows where any of `columns` contains `words` (case-insensitive; % and _ taken as
    themselves). Walked along the list's order index, it stops after a page of matches."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(column.ilike(f"%{escaped}%", escape="\\") for column in columns))
