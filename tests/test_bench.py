"""The bench keeps working: its quick run, end to end, on PostgreSQL with wrk and gunicorn.

The full run (`scripts/bench`) takes many minutes on city-scale data and never runs here;
this one generates small data and measures each thing for a second, so its speed figures
are not judged, but the correctness of the registration burst is. The crash part
(bench/fault.py) is left to tests/test_crash.py, which runs it with stricter checks.
"""

from __future__ import annotations

import pytest

from bench.run import PARTS
from tests.benchrun import run_bench, tools_or_skip
from tests.conftest import POSTGRES_ONLY

__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits


def test_quick_bench_runs_end_to_end_and_writes_its_table(tmp_path):
    tools_or_skip("wrk")
    output = tmp_path / "quick.md"
    parts = ",".join(part for part in PARTS if part != "fault")
    table = run_bench(output, "--quick", "--only", parts)
    for measure in (
        "Data load",
        "Serving floor",
        "answered 200",
        "answered 304",
        "Cold build",
        "using an index",
        "Home page p95",
        "Community page p95",
        "Event page p95",
        "page cache empty, in-process",
        "Peak RSS per worker",
        "Registration floor",
        "Registrations through the JSON API",
        "One registration in-process",
        "Registration burst",
        "Registration burst on the floor route",
        "Registration burst p95: the JSON API against the floor route",
        "Registration burst p95 of the JSON API, absolute",
        "List Places: venues, first page",
        "List Places: venues, deep page",
        "List API: events, deep page",
    ):
        assert measure in table, f"{measure!r} missing from the table:\n{table}"
    # Correctness is judged even in a quick run.
    burst_row = next(line for line in table.splitlines() if "Registration burst" in line)
    assert "| pass |" in burst_row
    exact_row = next(line for line in table.splitlines() if "counters equal to the rows" in line)
    assert "| pass |" in exact_row
    # The title says which parts ran, so a partial table is never read as a full run.
    assert table.startswith(f"# Benchmark results (quick run, parts: {parts.replace(',', ', ')})")
    assert "FAIL" not in table
    plans = output.with_name("quick-explain.md").read_text(encoding="utf-8")
    # Each page and feed was explained (at this small scale the planner rightly reads
    # tables whole, so plans are listed, not judged).
    pages = ("`/`", "`/communities/", "`/townships/", "`/events/", "`/feeds/communities/")
    for url in (*pages, "`/staff/places?kind=venues`", "`/api/v1/events`"):
        assert url in plans
    assert "Index Scan" in plans and "Execution Time" in plans
