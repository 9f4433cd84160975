"""Many hosts, in short: `scripts/bench --topology --quick` end to end (bench/topology.py).

nginx-light, configured from the shipped deploy/nginx/outreach.conf, in front of two app
instances under gunicorn sharing a PostgreSQL database and Redis, with two deliverers: one
instance is killed with kill -9 during a read load and a registration burst. Its speed
figure (a feed through nginx against the same bytes as a static file) is not judged here;
everything else is: no failed GET, everyone registered once, every text sent once, rate
limits and built feeds shared, /metrics refused, tokens kept out of nginx's log.
"""

from __future__ import annotations

import pytest

from tests.benchrun import run_bench, tools_or_skip
from tests.conftest import POSTGRES_ONLY

__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits


def test_two_instances_behind_nginx_survive_a_kill_and_share_redis(tmp_path):
    tools_or_skip("nginx", "wrk")
    table = run_bench(tmp_path / "topology.md", "--topology", "--quick")
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
