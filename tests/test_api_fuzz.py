"""The API's contract, fuzzed: schemathesis sends every operation of /api/v1/openapi.json,
with valid and invalid input, to the application served on 127.0.0.1; no answer may be a
server error, and every answer must be one the document gives (its status, its content type
and its body's schema).

OUTREACH_FUZZ_EXAMPLES sets how many cases each operation gets (.ci/run asks for a few
hundred; a developer's run takes fewer). Commits for real: the server's threads read the rows.
Phone codes are asked for with phone verification on, and texted to a stand-in gateway.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from outreach.extensions import limiter
from tests.liveserver import serving
from tests.public_pages import build_world

EXAMPLES = int(os.environ.get("OUTREACH_FUZZ_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _cases(operation, known: dict):
    """Valid and invalid cases of one operation (an operation without input has only valid);
    half of them address the rows that exist, which random ids and tokens seldom do, and
    with a real mobile number and slot in a JSON body, so the registration rules run."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.path_parameters or operation.query or operation.body:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))

    def aimed(case, at_known_rows: bool, phone: int, slot):
        if at_known_rows and case.path_parameters:
            case.path_parameters = {name: known[name] for name in case.path_parameters}
        if at_known_rows and isinstance(case.body, dict):
            case.body = {**case.body, "phone": f"139{phone:08d}", "slot": slot}
        return case

    return st.builds(
        aimed,
        st.one_of(strategies),
        st.booleans(),
        st.integers(0, 10**8 - 1),
        st.sampled_from(known["slots"]),
    )


@pytest.mark.commits
def test_every_operation_answers_as_its_document_says(app, make, gateway):
    world = build_world(make)
    limiter.enabled = False  # (put back after the test) 429s would hide the rules behind them
    with serving(app) as url:
        schema = schemathesis.openapi.from_url(url + "/api/v1/openapi.json")
        base_url = url + "/api/v1"
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 7, " ".join(o.label for o in operations)
        known = {
            "event_id": world.event.id,
            "session_id": world.event_session.id,
            "token": world.registration.manage_token,
            "slots": [slot.id for slot in world.event_session.slots],
        }
        for operation in operations:
            # Codes are texted (to the stand-in gateway) only while phones are verified; the
            # other operations run without, so registrations get past the code to the rules.
            app.config["VERIFY_PHONES"] = operation.path == "/phone-codes"
            # The rows that exist first, so each answer's success shape is checked too.
            names = {p.name for p in operation.path_parameters}
            case = operation.Case(path_parameters={n: known[n] for n in names})
            if operation.method != "delete":
                case.call_and_validate(base_url=base_url, checks=CHECKS)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=_cases(operation, known))
            def fuzz(case):
                case.call_and_validate(base_url=base_url, checks=CHECKS)

            fuzz()
