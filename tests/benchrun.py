"""Run `python -m bench.run` as the test suite does: a child in its own process group, with
the project's own settings kept out of its environment, killed whole if it overruns.

    table = run_bench(tmp_path / "quick.md", "--quick")

A helper for tests/test_bench.py and tests/test_topology.py, which check the table it writes.
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

from tests.conftest import POSTGRES_URL

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Under a minute alone; far longer beside another xdist worker.
TIMEOUT_SECONDS = 600


def tools_or_skip(*tools: str) -> None:
    """Skip when a tool the bench runs is missing; under CI, fail instead (.ci/run installs it)."""
    missing = [tool for tool in tools if not _found(tool)]
    if not missing:
        return
    names = " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names} missing: .ci/run installs them; CI must run the bench's tests")
    pytest.skip(f"{names} not installed (scripts/bench installs them)")


def _found(tool: str) -> bool:
    return bool(shutil.which(tool) or os.access(f"/usr/sbin/{tool}", os.X_OK))


def run_bench(output: Path, *arguments: str) -> str:
    """Run the bench on the test PostgreSQL server, assert it succeeded; its table's text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    command = [sys.executable, "-m", "bench.run", *arguments]
    command += ["--admin-url", POSTGRES_URL, "--output", str(output)]
    # Its own process group: if it overruns, the servers it started (gunicorn, nginx, the
    # deliverers) go with it.
    bench = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = bench.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        bench.communicate()
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.pid, signal.SIGKILL)  # nothing it started outlives the test
    assert bench.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return output.read_text(encoding="utf-8")
