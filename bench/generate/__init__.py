"""City-scale data for the benchmarks, loaded straight into PostgreSQL with binary COPY.

`generate(database_url, SCALES["full"])` fills a migrated database (`flask db upgrade` done)
with 300 townships, 7,000 communities, 20,000 venues, ~100 organisations, 8 categories,
500,000 sessions from a year back to a year ahead and 2,000,000 registrations. The same seed
and day give the same rows. Rows come from plain iterators fed to `COPY … FROM STDIN`, one
table after the other in one transaction; no ORM object is made per row.

A few rows are made on purpose and named in the Report: a community whose feed holds
`feed_sessions` sessions in the feed window, empty 200-seat sessions for registration bursts,
and a typical community and event for page timings. They come first, so their ids and slugs
are the same at every scale with the same places (`medium` and `full`).

    python -m bench.generate --database-url postgresql://… --scale full|medium|quick

The modules, each with one job (imports flow down this list, never up):

    scales.py         Scale, SCALES, the numbers of the special rows, GenerateError, Report
    names.py          name material for places, organisations and people; unique slugs
    categories.py     event categories (topics, audiences, sentences); session shapes
    places.py         townships, communities, venues          ─┐
    organisations.py  organisations and their staff            │ parts of `_Plan`,
    events.py         events, sessions and slots; regular ones │ everything in memory
    special.py        the rows the Report names               ─┘ but registrations
    plan.py           `_Plan`: the parts above, in their seeded order
    rows.py           values as the database takes them; event, session and slot rows
    residents.py      residents who register; confirmation codes
    registrations.py  registrations, streamed session by session
    copying.py        binary COPY, indexes and keys rebuilt after, sequences, ANALYZE
    load.py           `generate()`: the plan, the tables in one transaction, the Report
    cli.py            the command line (`__main__.py` runs it)
"""

from zoneinfo import ZoneInfo

from outreach.config import DEFAULTS

from .cli import main
from .copying import _libpq_url
from .load import generate, local_today
from .plan import _Plan
from .scales import (
    ADMIN_USERNAME,
    BURST_CAPACITY,
    DEFAULT_SEED,
    SCALES,
    STAFF_PASSWORD,
    UID_DOMAIN,
    GenerateError,
    Report,
    Scale,
)

__all__ = [
    "ADMIN_USERNAME",
    "BURST_CAPACITY",
    "DEFAULTS",
    "DEFAULT_SEED",
    "SCALES",
    "STAFF_PASSWORD",
    "UID_DOMAIN",
    "GenerateError",
    "Report",
    "Scale",
    "ZoneInfo",
    "_Plan",
    "_libpq_url",
    "generate",
    "local_today",
    "main",
]
