"""The app under gunicorn for the bench, and what its worker processes used."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from tests.serverproc import ServerProcess

__all__ = ["ServerProcess", "bench_server", "kill", "peak_rss_mb"]


def bench_server(database_url: str, instance: Path, workers: int) -> ServerProcess:
    """gunicorn with `workers` sync workers (as the README deploys it), bench routes on."""
    return ServerProcess(
        database_url,
        instance,
        workers=workers,
        threads=1,
        env={"OUTREACH_BENCH_ROUTES": "true"},
        start_timeout=60,
    )


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MiB; 0 when it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kill(pid: int) -> None:
    """SIGKILL one process, as a crash or the OOM killer would."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def kill_group(pid: int) -> None:
    """SIGKILL a server's master and every worker at once, as a power cut would, or systemd
    stopping a unit whose master died (its whole control group goes)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
