"""The command line: `python -m bench.generate --database-url postgresql://… --scale …`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date

from .load import generate
from .scales import DEFAULT_SEED, SCALES, GenerateError

DESCRIPTION = (
    "City-scale data for the benchmarks, loaded straight into PostgreSQL with binary COPY."
)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: load a scale, print the report (or its JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=DESCRIPTION)
    parser.add_argument("--database-url", default=os.environ.get("OUTREACH_DATABASE_URL"))
    parser.add_argument("--scale", default="quick", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--reset", action="store_true", help="empty every table of the app first")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith(("postgres", "postgresql")):
        parser.error("--database-url (or OUTREACH_DATABASE_URL) must name a PostgreSQL database")
    try:
        report = generate(
            args.database_url,
            SCALES[args.scale],
            seed=args.seed,
            today=args.today,
            reset=args.reset,
        )
    except GenerateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.table())
        print(f"database size: {report.database_bytes / 2**20:,.0f} MiB")
        for name in ("feed_path", "burst_session_id", "typical_community_slug", "typical_event_id"):
            print(f"{name}: {report.as_dict()[name]}")
    return 0
