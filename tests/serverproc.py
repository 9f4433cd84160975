"""Serve the application under gunicorn in a child process, as in production, for tests.

    with ServerProcess(database_url, tmp_path, workers=4, threads=2) as server:
        urllib.request.urlopen(server.url + "/")

The server listens on a loopback socket this process opens first (so the port is known and
never raced for) and hands to gunicorn as `fd://N`. `start()` returns once every worker has
loaded the application; `stop()` ends the whole process group by its id and checks that no
worker is left behind. Linux only (it reads /proc), like the deployment.

gunicorn also reads this file as its configuration (`-c tests/serverproc.py`) for the
`post_worker_init` hook below, so keep its imports to the standard library and give no
module-level name the name of a gunicorn setting.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
READY_DIR_VARIABLE = "SERVERPROC_READY_DIR"
ACCESS_LOG_FORMAT = 'access pid=%(p)s "%(r)s" %(s)s'
ACCESS_LINE = re.compile(r'^access pid=<(\d+)> "([^"]*)" (\d{3})$', re.MULTILINE)


def post_worker_init(worker) -> None:
    """gunicorn hook: mark this worker ready once it has loaded the application."""
    ready_dir = os.environ.get(READY_DIR_VARIABLE)
    if ready_dir:
        Path(ready_dir, str(os.getpid())).touch()


def _group_members(group_id: int) -> list[int]:
    """Live processes (zombies excluded) of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group_id and state != "Z":
            members.append(int(entry.name))
    return members


def _signal_group(group: int, signum: int) -> None:
    # A group whose processes have all gone is not an error.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


class ServerError(RuntimeError):
    """The server did not start, or could not be stopped."""


class ServerProcess:
    """gunicorn serving `app:app` on 127.0.0.1 with its own database and instance folder."""

    def __init__(
        self,
        database_url: str,
        instance_path: Path,
        *,
        workers: int = 2,
        threads: int = 1,
        env: dict[str, str] | None = None,
        config: Path | None = None,
        access_log_format: str = ACCESS_LOG_FORMAT,
        start_timeout: float = 90,  # a busy two-core machine needs far more than the usual 5 s
    ) -> None:
        self.database_url = database_url
        self.instance_path = Path(instance_path)
        self.workers = workers
        self.threads = threads
        self.extra_env = env or {}
        # A gunicorn configuration file of the test's own (it must define post_worker_init
        # as this file does, e.g. by importing it).
        self.config = config or Path(__file__).resolve()
        self.access_log_format = access_log_format
        self.start_timeout = start_timeout
        self.ready_dir = self.instance_path / "ready-workers"
        self.log_path = self.instance_path / "gunicorn.log"
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The gunicorn master's process id, which is also its process group id."""
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def environment(self) -> dict[str, str]:
        """The child's environment: this one without OUTREACH_* settings, then the test's."""
        # A developer's own OUTREACH_* settings must not leak into the server under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
        env.update(
            OUTREACH_DATABASE_URL=self.database_url,
            OUTREACH_SECRET_KEY="serverproc-secret",
            OUTREACH_RATELIMIT_ENABLED="false",
            OUTREACH_INSTANCE_PATH=str(self.instance_path),
            PYTHONUNBUFFERED="1",
            **{READY_DIR_VARIABLE: str(self.ready_dir)},
        )
        env.update(self.extra_env)
        return env

    def command(self, listener_fd: int) -> list[str]:
        """The gunicorn command line."""
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(self.config),
            "--bind",
            f"fd://{listener_fd}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--graceful-timeout",
            "5",
            # Each request with the pid of the worker that served it, for tests to inspect.
            "--access-logfile",
            "-",
            "--access-logformat",
            self.access_log_format,
            "app:app",
        ]

    def start(self) -> ServerProcess:
        """Start gunicorn and return once all its workers have loaded the application."""
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.ready_dir.mkdir(exist_ok=True)
        for stale in self.ready_dir.iterdir():
            stale.unlink()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1024)
            self.port = listener.getsockname()[1]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.command(listener.fileno()),
                    cwd=PROJECT_DIR,
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(listener.fileno(),),
                    # Its own process group, so stop() reaches every worker by one id.
                    start_new_session=True,
                )
        try:
            self._wait_for_workers()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_workers(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while len(list(self.ready_dir.iterdir())) < self.workers:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise ServerError(f"gunicorn workers not ready in time:\n{self.log()}")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The live processes of the server other than the master."""
        return [pid for pid in _group_members(self.pid) if pid != self.pid]

    def requests_served(self) -> list[tuple[int, str, int]]:
        """(worker pid, request line, status) of every request answered so far."""
        text = self.log_path.read_text(errors="replace")
        return [(int(pid), line, int(status)) for pid, line, status in ACCESS_LINE.findall(text)]

    def log(self, tail: int = 4000) -> str:
        """The end of gunicorn's output, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout`; no worker survives."""
        if self.process is None:
            return
        group = self.process.pid
        _signal_group(group, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            self.process.wait(timeout)
        # The master waits for its workers when it stops cleanly; after a crash or a SIGKILL
        # orphaned workers may remain in the group.
        deadline = time.monotonic() + timeout
        while _group_members(group):
            if time.monotonic() > deadline:
                raise ServerError(f"processes left in group {group}: {_group_members(group)}")
            _signal_group(group, signal.SIGKILL)
            time.sleep(0.05)
        self.process = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
