"""Driving `wrk` (the HTTP load generator) and reading its numbers back."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPORT_SCRIPT = Path(__file__).with_name("report.lua")
MARKER = "WRK_JSON "


class WrkMissing(RuntimeError):
    """wrk is not installed (scripts/bench installs Debian's package)."""


@dataclass(frozen=True)
class Result:
    """One wrk run: throughput, latency percentiles and failures."""

    url: str
    requests: int
    seconds: float
    bytes: int
    errors: int
    non_2xx_3xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def executable() -> str:
    """The wrk binary, or WrkMissing."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: run scripts/bench, or apt-get install wrk")
    return found


def run(
    url: str,
    *,
    seconds: float,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path = REPORT_SCRIPT,
) -> Result:
    """Load `url` for `seconds` (bounded: wrk stops itself, and a timeout backs it up).

    `script`: a Lua script of the caller's, which must report as `report.lua` does."""
    command = [
        executable(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={script}",
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    line = next((x for x in finished.stdout.splitlines() if x.startswith(MARKER)), None)
    if finished.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr.strip()}")
    data = json.loads(line[len(MARKER) :])
    return Result(
        url=url,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        bytes=data["bytes"],
        errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        non_2xx_3xx=data["status"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
