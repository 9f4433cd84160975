"""Crashes in the middle of a registration burst lose nothing and double nothing.

The short version of the bench's fault test: 200 residents register at once for 50 seats
through gunicorn on PostgreSQL; half the workers are killed with SIGKILL, then the master
with every worker; the server is started again and whoever got no answer tries again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench import fault
from outreach.database import db
from outreach.registrations.models import Registration, RegistrationStatus
from tests import factories
from tests.conftest import POSTGRES_ONLY

__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits

CAPACITY = 50
ATTEMPTS = 200


def test_killing_workers_and_master_mid_burst_loses_and_doubles_nothing(
    migrated_postgres_url, postgres_app, tmp_path
):
    event = factories.event(allow_waitlist=True, max_party_size=4)
    session_id = factories.event_session(event, capacity=CAPACITY).id
    db.session.commit()

    report = fault.run(migrated_postgres_url, tmp_path, session_id, CAPACITY, ATTEMPTS)
    print(
        f"workers {report.killed_workers} killed at {report.workers_killed_at} saved, master at "
        f"{report.master_killed_at}; {report.retried} retried; answers {report.statuses}"
    )

    # The crashes really hit the middle of the burst, and some residents lost their answer.
    assert 0 < report.workers_killed_at <= report.master_killed_at < ATTEMPTS
    assert report.retried > 0
    assert report.outcome.problems == []
    assert report.lost == 0
    db.session.expire_all()
    rows = db.session.scalars(
        select(Registration).where(Registration.session_id == session_id)
    ).all()
    assert len(rows) == ATTEMPTS == len({r.phone for r in rows})
    confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
    assert sum(r.party_size for r in confirmed) == CAPACITY
    assert report.ok
