"""The benchmark: city-scale data in PostgreSQL, the app under gunicorn, wrk, bursts and crashes.

    python -m bench.run [--quick] [--output bench/results/latest.md]

(`scripts/bench` sets up the virtual environment and wrk first, then runs this.) Every figure
is a ratio of two measurements taken side by side in this run, because the machines it runs
on are small and noisy; the targets are the ones issue 6 sets. `--quick` runs everything on
small data for a few seconds each, so the suite can check that the bench still works; its
figures are not judged against the targets, except the correctness of bursts and crashes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import flask_migrate
import psycopg
from sqlalchemy import make_url

from bench import (
    burst,
    coldbuild,
    coldpage,
    explain,
    fault,
    generate,
    lists,
    registration,
    topology,
    wrk,
)
from bench import pages as cached_pages
from bench.server import bench_server, peak_rss_mb
from outreach import create_app
from outreach.config import normalise_database_url
from outreach.database import db
from outreach.events.models import EventSession
from outreach.localtime import local_midnight, local_today

RESULTS = Path(__file__).with_name("results")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Plan:
    """How big and how long: the full run, or the quick one the suite exercises."""

    name: str
    small_scale: str
    large_scale: str
    seconds: float
    worker_counts: tuple[int, ...]
    burst_attempts: int
    burst_capacity: int
    fault_attempts: int
    judged: bool  # whether speed targets are judged (correctness always is)
    rounds: int  # page timings alternate between the two databases this many times


FULL = Plan("full", "medium", "full", 5, (2, 4), 1000, 200, 1000, True, 3)
QUICK = Plan("quick", "quick", "quick", 1, (2,), 120, 30, 200, False, 1)


@dataclass
class Row:
    """One line of the results table."""

    measure: str
    figure: str
    target: str = ""
    passed: bool | None = None  # None: reported, not judged

    def cells(self) -> list[str]:
        """The row as table cells."""
        verdict = {True: "pass", False: "**FAIL**", None: ""}[self.passed]
        return [self.measure, self.figure, self.target, verdict]


@dataclass
class Results:
    """Everything one run measured."""

    plan: Plan
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, figure: str, target: str = "", passed: bool | None = None):
        """A speed row: judged only in a full run. Printed at once, to show progress."""
        return self._append(Row(measure, figure, target, passed if self.plan.judged else None))

    def check(self, measure: str, figure: str, target: str, passed: bool) -> Row:
        """A correctness row: judged in every run, quick ones included."""
        return self._append(Row(measure, figure, target, passed))

    def _append(self, row: Row) -> Row:
        self.rows.append(row)
        print(" | ".join(cell for cell in row.cells() if cell), flush=True)
        return row

    @property
    def failed(self) -> list[Row]:
        """Rows whose target does not hold."""
        return [row for row in self.rows if row.passed is False]


# ---------------------------------------------------------------------------------------------
# Databases


def _database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _admin(admin_url: str) -> psycopg.Connection:
    return psycopg.connect(admin_url, autocommit=True)


def _upgrade(url: str) -> None:
    """The database's schema brought to the latest migration."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _existing_report(admin_url: str, name: str) -> generate.Report | None:
    """The report a kept database carries as its comment, if it exists and has one."""
    with _admin(admin_url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    if not row or not row[0]:
        return None
    data = json.loads(row[0])
    data.pop("feed_path", None)
    return generate.Report(**data)


def prepare_database(
    admin_url: str, scale: str, results: Results, *, reuse: bool
) -> tuple[str, generate.Report]:
    """A database with the schema from the migrations and the generated data.

    With `reuse`, a database kept by an earlier run of the same scale (named without the
    process id, its generator report as its comment) is used as it is.
    """
    # The process id keeps simultaneous runs (a developer's and the suite's) apart.
    # OUTREACH_BENCH_DATABASE_PREFIX keeps the kept databases of several checkouts apart.
    prefix = os.environ.get("OUTREACH_BENCH_DATABASE_PREFIX", "outreach_bench")
    name = f"{prefix}_{scale}" if reuse else f"{prefix}_{scale}_{os.getpid()}"
    url = _database_url(admin_url, name)
    if reuse and (report := _existing_report(admin_url, name)) is not None:
        results.add(
            f"Data load, {scale} scale (reused from {report.today})",
            f"{report.total_seconds:.1f} s then: {_counts(report)}",
        )
        # Migrations added since it was kept (a new table the pages read) come first.
        _upgrade(url)
        return url, report
    with _admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _upgrade(url)
    report = generate.generate(url, generate.SCALES[scale])
    if reuse:
        with _admin(admin_url) as admin:
            comment = json.dumps(dataclasses.asdict(report)).replace("'", "''")
            admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")
    results.add(
        f"Data load, {scale} scale (COPY)", f"{report.total_seconds:.1f} s: {_counts(report)}"
    )
    return url, report


def _counts(report: generate.Report) -> str:
    return ", ".join(f"{count:,} {table}" for table, count in report.counts.items())


def drop_database(admin_url: str, url: str) -> None:
    """Remove a bench database."""
    name = make_url(url).database
    with _admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(url: str):
    """This process's own app on a bench database (for EXPLAIN, cold builds, new sessions)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "127.0.0.1",
        }
    )


def fresh_session(url: str, like_session_id: int, capacity: int) -> int:
    """A new open session of the burst event with `capacity` seats and no registrations."""
    app = bench_app(url)
    with app.app_context():
        model = db.session.get(EventSession, like_session_id)
        starts_at = local_midnight(local_today() + timedelta(days=20)) + timedelta(hours=9)
        created = EventSession(
            event_id=model.event_id,
            venue_id=model.venue_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            capacity=capacity,
        )
        db.session.add(created)
        db.session.commit()
        session_id = created.id
        db.session.remove()
        db.engine.dispose()
    return session_id


# ---------------------------------------------------------------------------------------------
# Measurements


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    with urlopen(Request(url, headers=headers or {}), timeout=120) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def measure_feeds(server, feed_slug: str, plan: Plan, workers: int, results: Results) -> None:
    """The community feed's 200 and 304 answers against the same bytes from memory.

    The three alternate over several rounds; each rate is the median of its runs.
    """
    feed = f"{server.url}/feeds/communities/{feed_slug}.ics"
    # The same bytes from memory (outreach/feeds/bench_baseline.py): the "serving floor".
    baseline = f"{server.url}/_bench/floor/communities/{feed_slug}.ics"
    _status, headers, body = _get(feed)
    for _ in range(workers * 3):  # every worker has the feed cached and the baseline filled
        _get(feed)
        _get(baseline)
    etag = headers["ETag"]
    kinds = (
        ("floor", baseline, None),
        ("200", feed, None),
        ("304", feed, {"If-None-Match": etag}),
    )
    runs: dict[str, list[wrk.Result]] = {}
    for _round in range(plan.rounds):
        for name, url, extra in kinds:
            run = wrk.run(url, seconds=plan.seconds, connections=workers * 2, headers=extra)
            runs.setdefault(name, []).append(run)
    rate = {name: statistics.median(r.rate for r in found) for name, found in runs.items()}
    p95 = {name: statistics.median(r.p95_ms for r in found) for name, found in runs.items()}
    events = body.count(b"BEGIN:VEVENT")
    base = rate["floor"]
    label = f"{workers} workers"
    results.add(
        f"Serving floor: same {len(body) / 1e6:.2f} MB from memory, {label}",
        f"{base:,.0f} req/s (median of {plan.rounds})",
    )
    for name, minimum in (("200", 0.5), ("304", 0.8)):
        ratio = rate[name] / base if base else 0
        errors = sum(r.errors + r.non_2xx_3xx for r in runs[name])
        results.add(
            f"Community feed ({events:,} sessions) answered {name}, {label}",
            f"{rate[name]:,.0f} req/s = {ratio:.2f}× floor; p95 {p95[name]:.1f} ms; "
            f"{errors} errors",
            f"≥ {minimum}× floor, 0 errors",
            ratio >= minimum and errors == 0,
        )


@dataclass(frozen=True)
class PageTiming:
    """A page's p95 latency and rate: the medians over the rounds."""

    p95_ms: float
    rate: float
    errors: int


def measure_pages(
    servers: tuple[Any, Any], urls: tuple[dict[str, str], dict[str, str]], plan: Plan, workers: int
) -> tuple[dict[str, PageTiming], dict[str, PageTiming]]:
    """p95 latency of each page on two servers (small and large data), taken in turns.

    The two sides alternate run by run over several rounds and each figure is the median, so
    that whatever else the machine is doing weighs on both alike.
    """
    runs: list[dict[str, list[wrk.Result]]] = [{}, {}]
    for server, paths in zip(servers, urls, strict=True):
        for path in paths.values():
            _get(server.url + path)  # warm: templates compiled, connections open
    for _round in range(plan.rounds):
        for name in urls[0]:
            for side, (server, paths) in enumerate(zip(servers, urls, strict=True)):
                result = wrk.run(
                    server.url + paths[name], seconds=plan.seconds, connections=workers * 2
                )
                runs[side].setdefault(name, []).append(result)
    return tuple(  # type: ignore[return-value]
        {
            name: PageTiming(
                p95_ms=statistics.median(r.p95_ms for r in results),
                rate=statistics.median(r.rate for r in results),
                errors=sum(r.errors + r.non_2xx_3xx for r in results),
            )
            for name, results in side.items()
        }
        for side in runs
    )


def measure_memory(server, results: Results, label: str) -> None:
    """Peak RSS per worker after the runs, and after serving the largest feed."""
    before = max(peak_rss_mb(pid) for pid in server.worker_pids())
    largest = f"{server.url}/feeds/all.ics"
    size = 0
    started = time.monotonic()
    for _ in range(len(server.worker_pids()) * 2):
        _status, _headers, body = _get(largest)
        size = len(body)
    seconds = (time.monotonic() - started) / (len(server.worker_pids()) * 2)
    peak = max(peak_rss_mb(pid) for pid in server.worker_pids())
    results.add(
        f"Peak RSS per worker, {label}: after the runs / after the largest feed",
        f"{before:.0f} MB / {peak:.0f} MB (all.ics: {size / 1e6:.1f} MB, "
        f"{body.count(b'BEGIN:VEVENT'):,} sessions, {seconds:.2f} s per request)",
        "< 300 MB",
        peak < 300,
    )


def measure_cold_build(url: str, feed_slug: str, results: Results) -> None:
    """Building the feed with the cache empty against the bare icalendar library."""
    measured = coldbuild.measure(bench_app(url), feed_slug)
    ratio = measured.cold / measured.bare
    results.add(
        f"Cold build of the community feed ({measured.sessions:,} sessions)",
        f"{measured.cold * 1000:.0f} ms; bare icalendar {measured.bare * 1000:.0f} ms; "
        f"{ratio:.2f}×",
        "≤ 2× bare icalendar",
        ratio <= 2,
    )


def measure_plans(url: str, report: Any, results: Results, output: Path) -> None:
    """EXPLAIN ANALYZE of every query behind the public pages and feeds."""
    urls: list[explain.Request] = [
        "/",
        f"/communities/{report.typical_community_slug}",
        f"/townships/{report.typical_township_slug}",
        f"/events/{report.typical_event_id}",
        f"/feeds/communities/{report.feed_community_slug}.ics",
        f"/feeds/townships/{report.typical_township_slug}.ics",
        f"/?community={report.typical_community_slug}",
        # The home page of a resident who chose a community: its sessions, then the rest.
        ("/", {"community": report.typical_community_slug}),
    ]
    found = explain.plans(bench_app(url), urls)
    # The staff lists and API collections, signed in as an administrator (bench/lists.py).
    staff_app = lists.lists_app(url)
    found += explain.plans(
        staff_app, lists.explain_requests(report, staff_app), lists.signed_in_client(staff_app)
    )
    scanning = [plan for plan in found if plan.full_scans]
    output.write_text(explain.markdown(found), encoding="utf-8")
    results.add(
        "Queries of listings and feeds using an index (EXPLAIN ANALYZE: *-explain.md)",
        f"{len(found) - len(scanning)} of {len(found)}"
        + (f"; full scans: {', '.join(p.url for p in scanning)}" if scanning else ""),
        "all",
        not scanning,
    )


def measure_burst(url: str, report: Any, plan: Plan, instance: Path, results: Results) -> None:
    """Many residents at one session at once, through the JSON API with 4 workers."""
    session_id = fresh_session(url, report.burst_session_id, plan.burst_capacity)
    with bench_server(url, instance / "burst", 4) as server:
        started = time.monotonic()
        attempts = burst.burst(server.port, session_id, range(plan.burst_attempts))
        elapsed = time.monotonic() - started
    outcome = burst.check(url, session_id, plan.burst_capacity, attempts)
    statuses = burst.summary(attempts)
    errors = plan.burst_attempts - statuses.get("201", 0)
    latencies = sorted(a.seconds for a in attempts)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    results.check(
        f"Registration burst: {plan.burst_attempts:,} at once for {plan.burst_capacity} seats, "
        "4 workers",
        f"{outcome.confirmed_seats} confirmed, {outcome.waitlisted} waitlisted, {errors} errors; "
        f"{plan.burst_attempts / elapsed:,.0f} registrations/s, p95 {p95:.2f} s"
        + (f"; {'; '.join(outcome.problems[:3])}" if outcome.problems else ""),
        f"exactly {plan.burst_capacity} confirmed, 0 errors",
        outcome.ok
        and outcome.confirmed_seats == plan.burst_capacity
        and outcome.waitlisted == plan.burst_attempts - plan.burst_capacity
        and errors == 0,
    )
    registration.burst_floor_row(url, report, plan, instance, results, fresh_session, p95)


def measure_fault(url: str, report: Any, plan: Plan, instance: Path, results: Results) -> None:
    """kill -9 of workers and then of the master with its workers during a burst; restart."""
    session_id = fresh_session(url, report.burst_session_id, plan.burst_capacity)
    crash = fault.run(url, instance / "fault", session_id, plan.burst_capacity, plan.fault_attempts)
    results.check(
        f"Crash during a burst of {plan.fault_attempts:,}: kill -9 of "
        f"{len(crash.killed_workers)} workers (at {crash.workers_killed_at} saved), then the "
        f"master with all its workers (at {crash.master_killed_at}); restart; "
        f"{crash.retried} retried",
        f"{crash.outcome.answered_201} answered 201, all saved once; {crash.registered} of "
        f"{crash.attempts} residents registered, {crash.lost} lost; "
        f"{crash.outcome.confirmed_seats} confirmed seats; answers {crash.statuses}"
        + (f"; {'; '.join(crash.outcome.problems[:3])}" if crash.outcome.problems else ""),
        "every 201 saved, none twice, none over capacity, waitlist in order",
        crash.ok,
    )


def compare_pages(
    small: dict[int, dict[str, Any]], large: dict[int, dict[str, Any]], labels: tuple[str, str]
) -> list[tuple[str, str, bool]]:
    """p95 at the large scale against p95 at the small scale, per page and worker count."""
    compared = []
    for workers, pages in large.items():
        for name, run in pages.items():
            base = small[workers][name]
            ratio = run.p95_ms / base.p95_ms if base.p95_ms else float("inf")
            errors = run.errors + base.errors
            compared.append(
                (
                    f"{name} page p95, {workers} workers: {labels[1]} / {labels[0]}",
                    f"{run.p95_ms:.1f} ms / {base.p95_ms:.1f} ms = {ratio:.2f}×; "
                    f"{run.rate:,.0f} / {base.rate:,.0f} req/s; {errors} errors",
                    ratio <= 2 and errors == 0,
                )
            )
    return compared


# ---------------------------------------------------------------------------------------------
# The run


def machine() -> str:
    """A line about the machine the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    postgres = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {postgres or 'PostgreSQL'}"
    )


def markdown(
    results: Results, started: str, seconds: float, parts: frozenset[str] | None = None
) -> str:
    """The results table as Markdown; its title names the parts when not all of them ran."""
    chosen = [part for part in PARTS if parts is None or part in parts]
    title = f"{results.plan.name} run"
    if len(chosen) < len(PARTS):
        title = f"{results.plan.name} run, parts: {', '.join(chosen)}"
    lines = [
        f"# Benchmark results ({title})",
        "",
        f"Run on {started}, {seconds / 60:.1f} minutes. Machine: {machine()}.",
        "",
        "| Measure | Figure | Target | Result |",
        "|---|---|---|---|",
    ]
    for row in results.rows:
        cells = [cell.replace("|", "\\|") for cell in row.cells()]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *results.notes]
    return "\n".join(lines) + "\n"


# The parts of a run, in order; `--only` picks some of them (to work on one measure).
PARTS = (
    "cold",
    "plans",
    "feeds",
    "pages",
    "cache",
    "registration",
    "burst",
    "fault",
    "lists",
)


def run(
    plan: Plan,
    admin_url: str,
    output: Path,
    reuse: bool,
    prepare_only: bool = False,
    parts: frozenset[str] = frozenset(PARTS),
) -> Results:
    """The bench's `parts`, in order; databases are dropped at the end unless `reuse`."""
    results = Results(plan)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    began = time.monotonic()
    instance = Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    urls_made: list[str] = []
    try:
        large_url, large = prepare_database(admin_url, plan.large_scale, results, reuse=reuse)
        urls_made.append(large_url)
        if plan.small_scale == plan.large_scale:
            small_url, small = large_url, large
        else:
            small_url, small = prepare_database(admin_url, plan.small_scale, results, reuse=reuse)
            urls_made.append(small_url)
        if prepare_only:
            return results
        if "cold" in parts:
            measure_cold_build(large_url, large.feed_community_slug, results)
        if "cache" in parts:  # bench/coldpage.py: the event page rendered with the cache empty
            coldpage.measure_demo(admin_url, results, bench_app, 200 if plan.judged else 20)
        if "plans" in parts:
            explained = output.with_name(output.stem + "-explain.md")
            measure_plans(large_url, large, results, explained)
        pages_large: dict[int, dict[str, Any]] = {}
        pages_small: dict[int, dict[str, Any]] = {}
        for workers in plan.worker_counts if {"feeds", "pages", "cache"} & parts else ():
            with (
                bench_server(large_url, instance / f"large-{workers}", workers) as server,
                bench_server(small_url, instance / f"small-{workers}", workers) as small_server,
            ):
                if "feeds" in parts:
                    measure_feeds(server, large.feed_community_slug, plan, workers, results)
                if "pages" in parts:
                    pages_small[workers], pages_large[workers] = measure_pages(
                        (small_server, server), (page_urls(small), page_urls(large)), plan, workers
                    )
                if "cache" in parts:
                    cached_pages.measure_cache(server, page_urls(large), plan, workers, results)
                measure_memory(server, results, f"{workers} workers")
        labels = (f"{small.counts['event_session']:,}", f"{large.counts['event_session']:,}")
        for measure, figure, passed in compare_pages(pages_small, pages_large, labels):
            results.add(measure, figure, "≤ 2×", passed)
        if "registration" in parts:  # bench/registration.py
            registration.measure(large_url, large, plan, instance, results, fresh_session)
        if "lists" in parts:  # bench/lists.py
            lists.measure(large_url, large, instance, plan.seconds, plan.rounds, results.add)
        if "burst" in parts:
            measure_burst(large_url, large, plan, instance, results)
        if "fault" in parts:
            measure_fault(large_url, large, plan, instance, results)
    finally:
        if not reuse:
            for url in urls_made:
                drop_database(admin_url, url)
        shutil.rmtree(instance, ignore_errors=True)
    if not prepare_only:
        output.parent.mkdir(parents=True, exist_ok=True)
        table = markdown(results, started, time.monotonic() - began, parts)
        output.write_text(table, encoding="utf-8")
    return results


def page_urls(report: Any) -> dict[str, str]:
    """The pages timed at both scales: the same kind of page in each database."""
    return {
        "Home": "/",
        "Community": f"/communities/{report.typical_community_slug}",
        "Event": f"/events/{report.typical_event_id}",
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print where the table is; non-zero when a target fails."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, short runs (< 1 min)")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("OUTREACH_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL),
        help="PostgreSQL URL of a database to connect to when creating the bench databases",
    )
    parser.add_argument("--output", type=Path, help="where to write the Markdown table")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the generated databases, and use those an earlier --reuse run kept",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="with --reuse: generate the databases for later runs, measure nothing",
    )
    parser.add_argument(
        "--only",
        type=lambda value: frozenset(value.split(",")),
        default=frozenset(PARTS),
        metavar="PART[,PART]",
        help=f"run only these parts: {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--topology",
        action="store_true",
        help="nginx in front of two app instances and two deliverers instead (bench/topology.py)",
    )
    args = parser.parse_args(argv)
    if args.only - set(PARTS):
        parser.error(f"unknown part {', '.join(sorted(args.only - set(PARTS)))}")
    if args.prepare_only and not args.reuse:
        parser.error("--prepare-only keeps nothing without --reuse")
    plan = QUICK if args.quick else FULL
    output = args.output or RESULTS / ("quick.md" if args.quick else "latest.md")
    admin_url = normalise_database_url(args.admin_url).replace("+psycopg", "")
    wrk.executable()
    if args.topology:
        return topology.main(admin_url, short=args.quick, output=args.output)
    results = run(plan, admin_url, output, args.reuse, args.prepare_only, args.only)
    print(f"\nResults written to {output}")
    for row in results.failed:
        print(f"FAILED: {row.measure}: {row.figure} (target {row.target})", file=sys.stderr)
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
