"""Many hosts, in short: `scripts/bench --topology --quick` end to end (bench/topology.py).

nginx-light, configured from the shipped deploy/nginx/outreach.conf, in front of two app
instances under gunicorn sharing a PostgreSQL database and Redis, with two deliverers: one
instance is killed with kill -9 during a read load and a registration burst. Its speed
figure (a feed through nginx against the same bytes as a static file) is not judged here;
everything else is: no failed GET, everyone registered once, every text sent once, rate
limits and built feeds shared, /metrics refused, tokens kept out of nginx's log.
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


def _tools_or_skip() -> None:
    missing = [tool for tool in ("nginx", "wrk") if not _found(tool)]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{' and '.join(missing)} missing: .ci/run installs them; CI must run this")
    pytest.skip(f"{' and '.join(missing)} not installed (scripts/bench --topology installs them)")


def _found(tool: str) -> bool:
    return bool(shutil.which(tool) or os.access(f"/usr/sbin/{tool}", os.X_OK))


def test_two_instances_behind_nginx_survive_a_kill_and_share_redis(tmp_path):
    _tools_or_skip()
    output = tmp_path / "topology.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    # Its own process group: if it overruns, nginx, gunicorn and the deliverers go with it.
    bench = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--topology",
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
        stdout, stderr = bench.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        bench.communicate()
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.pid, signal.SIGKILL)  # nothing it started outlives the test
    assert bench.returncode == 0, stdout[-3000:] + stderr[-3000:]
    table = output.read_text(encoding="utf-8")
    judged = {
        "Feed answered from nginx's cache": "MISS → HIT → HIT → 304 HIT",
        "Failed sign-ins sent to instance A and B in turn": "first 429 at attempt 6",
        "Failed sign-ins through nginx, each with a forged": "first 429 at attempt 6",
        "Feed built on instance A, then asked of instance B": "not stored again",
        "while one instance is killed": ", 0 failed;",
        "Registration burst of": "registered once",
        "Texts of the burst sent by two deliverers": "0 twice",
        "nginx: /metrics from an address not allowed": "403; 400; 200",
        "nginx: a static file": "token in the log: False",
    }
    for measure, figure in judged.items():
        row = next((line for line in table.splitlines() if measure in line), None)
        assert row is not None, f"{measure!r} missing from the table:\n{table}"
        assert figure in row and row.endswith("| pass |"), row
    assert "Feed through nginx" in table
    assert "FAIL" not in table
