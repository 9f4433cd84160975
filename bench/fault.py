"""Crashes during a registration burst: `kill -9` workers, then the master with its workers;
restart; check.

Killing the master alone would test gunicorn, not us: its orphaned sync workers keep taking
connections while any are waiting, so under a burst they served everything and nobody lost
an answer. The second crash therefore takes the whole server at once (master and workers, as
a power cut or systemd stopping the unit's control group would): whatever was in flight is
cut, and what was still queued finds nobody listening.

Residents whose request got no answer try again once the site is back (as they would);
one whose first try had in fact been saved is told it is a duplicate. After that, every
resident is registered exactly once, and the rules of `burst.check` hold.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import burst
from bench.server import bench_server, kill, kill_group


@dataclass
class FaultReport:
    """What happened and what the database holds afterwards."""

    attempts: int
    answered_first: int = 0
    retried: int = 0
    killed_workers: list[int] = field(default_factory=list)
    workers_killed_at: int = 0  # registrations saved when the workers were killed
    master_killed_at: int = 0  # ... when the master and every worker were killed
    registered: int = 0  # distinct phones of the burst in the database
    statuses: dict[str, int] = field(default_factory=dict)
    outcome: burst.Outcome = field(default_factory=burst.Outcome)

    @property
    def lost(self) -> int:
        """Residents with neither a registration nor a record of one."""
        return self.attempts - self.registered

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled or oversold, and the crashes hit mid-burst."""
        return (
            self.outcome.ok
            and self.lost == 0
            and 0 < self.workers_killed_at <= self.master_killed_at < self.attempts
        )


def _saved(database_url: str, session_id: int) -> int:
    with burst.connect(database_url) as connection:
        return connection.execute(
            "SELECT count(*) FROM registration WHERE session_id = %s", (session_id,)
        ).fetchone()[0]


def _wait_for(database_url: str, session_id: int, at_least: int, running: threading.Thread) -> int:
    """Poll until `at_least` registrations are saved (or the burst is over); the count."""
    while True:
        saved = _saved(database_url, session_id)
        if saved >= at_least or not running.is_alive():
            return saved
        time.sleep(0.01)


def run(
    database_url: str,
    instance: Path,
    session_id: int,
    capacity: int,
    attempts: int,
    *,
    workers: int = 4,
) -> FaultReport:
    """Burst `attempts` registrations, crash the server twice during it, restart, retry."""
    report = FaultReport(attempts=attempts)
    first: list[burst.Attempt] = []
    server = bench_server(database_url, instance / "before-crash", workers).start()
    try:
        sender = threading.Thread(
            target=lambda: first.extend(burst.burst(server.port, session_id, range(attempts), 30))
        )
        sender.start()
        report.workers_killed_at = _wait_for(database_url, session_id, attempts // 10, sender)
        report.killed_workers = server.worker_pids()[: max(1, workers // 2)]
        for pid in report.killed_workers:
            kill(pid)
        report.master_killed_at = _wait_for(database_url, session_id, attempts * 2 // 5, sender)
        kill_group(server.pid)
        sender.join()
    finally:
        server.stop()  # reaps whatever the crash left behind
    report.answered_first = sum(1 for a in first if a.status is not None)
    # Those without an answer (or with a server error) try again on the restarted server.
    again = [i for i, a in enumerate(first) if a.status is None or a.status >= 500]
    report.retried = len(again)
    second: list[burst.Attempt] = []
    if again:
        with bench_server(database_url, instance / "after-restart", workers) as restarted:
            second = burst.burst(restarted.port, session_id, again, 60)
    answers = first + second
    report.statuses = dict(burst.summary(answers))
    report.outcome = burst.check(database_url, session_id, capacity, answers)
    phones = [burst.phone_number(i) for i in range(attempts)]
    with burst.connect(database_url) as connection:
        report.registered = connection.execute(
            "SELECT count(DISTINCT phone) FROM registration"
            " WHERE session_id = %s AND phone = ANY(%s) AND status <> 'cancelled'",
            (session_id, ["+86" + p for p in phones]),
        ).fetchone()[0]
    unanswered = sum(1 for a in second if a.status is None or a.status >= 500)
    if unanswered:
        report.outcome.problems.append(f"{unanswered} retries got no answer after the restart")
    return report
