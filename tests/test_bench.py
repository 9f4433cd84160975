"""The bench keeps working: its quick run, end to end, on PostgreSQL with wrk and gunicorn.

The full run (`scripts/bench`) takes many minutes on city-scale data and never runs here;
this one generates small data and measures each thing for a second, so its speed figures
are not judged, but the correctness of the registration burst and of the crash test is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ONLY, POSTGRES_URL

PROJECT_DIR = Path(__file__).resolve().parent.parent

__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits


def _wrk_or_skip() -> None:
    if shutil.which("wrk"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("wrk is missing: .ci/run installs it; CI must run the quick bench")
    pytest.skip("wrk is not installed (scripts/bench installs it)")


def test_quick_bench_runs_end_to_end_and_writes_its_table(tmp_path):
    _wrk_or_skip()
    output = tmp_path / "quick.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    # Its own process group: if it overruns, the gunicorn servers it started go with it.
    bench = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--quick",
            "--admin-url",
            POSTGRES_URL,
            "--output",
            str(output),
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # Under a minute alone; far longer beside another xdist worker.
        stdout, stderr = bench.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        bench.communicate()
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.pid, signal.SIGKILL)  # nothing it started outlives the test
    finished = subprocess.CompletedProcess(bench.args, bench.returncode, stdout, stderr)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    table = output.read_text(encoding="utf-8")
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
        "Crash during a burst",
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
    crash_row = next(line for line in table.splitlines() if "Crash during a burst" in line)
    assert "| pass |" in crash_row
    assert "FAIL" not in table
    plans = output.with_name("quick-explain.md").read_text(encoding="utf-8")
    # Each page and feed was explained (at this small scale the planner rightly reads
    # tables whole, so plans are listed, not judged).
    pages = ("`/`", "`/communities/", "`/townships/", "`/events/", "`/feeds/communities/")
    for url in (*pages, "`/staff/places?kind=venues`", "`/api/v1/events`"):
        assert url in plans
    assert "Index Scan" in plans and "Execution Time" in plans
