"""Shared pieces of the state-machine tests that change registrations every way the app can
(tests/test_registration_counters.py, tests/stats/test_stats_tally.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from sqlalchemy import text

from outreach.database import db
from outreach.errors import RuleError
from outreach.registrations.services import RegistrationRequest


def attempt(change, *args, **kwargs):
    """Make a change as a request would: refused by a rule, it leaves nothing behind."""
    nested = db.session.begin_nested()
    try:
        made = change(*args, **kwargs)
    except RuleError:
        nested.rollback()
        return None
    nested.commit()
    return made


def delete_outright(registration) -> None:
    """Delete a registration row outright (with its messages), as an operator's SQL might."""
    db.session.execute(
        text("DELETE FROM message WHERE registration_id = :id"), {"id": registration.id}
    )
    db.session.delete(registration)
    db.session.flush()


def resident(make, party: int, slot_id: int | None = None) -> RegistrationRequest:
    """A verified resident's request with a phone number of its own."""
    return RegistrationRequest(
        name="王奶奶",
        phone=make.phone(),
        party_size=party,
        consent=True,
        slot_id=slot_id,
        phone_verified=True,
    )


def run_machine(machine: type[RuleBasedStateMachine], steps: int, examples: int = 25) -> None:
    """Run a state machine inside the test's transaction (function-scoped fixtures are meant)."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
