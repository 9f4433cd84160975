"""The one way a view or a command carries out a change: commit once when the rules allow
it; when they refuse (a RuleError), roll back and show the reason where it belongs.

A form view: `outcome = submit(form, lambda: services.x(...))` (or `attempt` when the view
validates the form itself); the message then stands beside the field the error names, or
above the form. A button that redirects: `attempt_flash(...)`. A command:
`attempt_command(...)`. The JSON API: its blueprint answers with `json_answer`. This is the
only module that catches rule errors (tests/test_rule_errors.py keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import click
from flask import flash, jsonify
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from outreach.database import db
from outreach.errors import RuleError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What came of an attempt: done (with the action's value), refused by a rule (`error`,
    the change rolled back), or not tried (a form not posted or not valid). True when done."""

    value: T | None = None
    error: RuleError | None = None
    done: bool = False

    def __bool__(self) -> bool:
        return self.done


def _carry_out(action: Callable[[], T], *, commit: bool, conflict: RuleError | None) -> Outcome[T]:
    """Run `action` and commit; a rule error (or, given `conflict`, a unique constraint that a
    concurrent request won) rolls the change back and is returned."""
    try:
        value = action()
        if commit:
            db.session.commit()
    except RuleError as error:
        if commit:
            db.session.rollback()
        return Outcome(error=error)
    except IntegrityError:
        if conflict is None:
            raise
        db.session.rollback()
        return Outcome(error=conflict)
    return Outcome(value=value, done=True)


def show_error(form: FlaskForm, error: RuleError) -> None:
    """Put a rule's message beside the field it names, or above the form when none matches.

    A form may define `field_for_error(name)` to choose the field itself (a message about
    a group of inputs shown beside the one that is visible).
    """
    chooser = getattr(form, "field_for_error", None)
    if chooser is not None:
        target = chooser(error.field)
    else:
        target = form._fields.get(error.field) if error.field else None
    if target is None:
        form.form_errors.append(str(error))
    else:
        target.errors = [*target.errors, str(error)]


def attempt(
    form: FlaskForm | None,
    action: Callable[[], T],
    *,
    commit: bool = True,
    conflict: RuleError | None = None,
) -> Outcome[T]:
    """Carry out `action` and commit it; a refusal is rolled back and shown on `form`.

    `commit=False` for an action that changes nothing (a preview, reading filters): then
    nothing is committed or rolled back. `conflict`: the error to show when the commit
    breaks a unique constraint (the same form or file sent twice at the same moment).
    """
    outcome = _carry_out(action, commit=commit, conflict=conflict)
    if outcome.error is not None and form is not None:
        show_error(form, outcome.error)
    return outcome


def submit(form: FlaskForm, action: Callable[[], T], **options: Any) -> Outcome[T]:
    """Validate a posted form, then `attempt` the action (not tried when the form is not
    posted or not valid: its errors are on the form already)."""
    if not form.validate_on_submit():
        return Outcome()
    return attempt(form, action, **options)


def attempt_flash(action: Callable[[], T], *, category: str = "error") -> Outcome[T]:
    """Carry out a change that has no form to show (a button, then a redirect): a refusal
    is rolled back and flashed."""
    outcome = _carry_out(action, commit=True, conflict=None)
    if outcome.error is not None:
        flash(str(outcome.error), category)
    return outcome


def attempt_command(action: Callable[[], T]) -> T:
    """Carry out a command's change and commit it; a refusal ends the command with its message."""
    outcome = _carry_out(action, commit=True, conflict=None)
    if outcome.error is not None:
        raise click.ClickException(str(outcome.error))
    return outcome.value  # type: ignore[return-value]


def json_answer(error: RuleError):
    """The JSON API's answer to a rule error: the request's change rolled back, then
    `{"error": kind, "message", "field", "fields"}` with the kind's status (invalid 422;
    full, duplicate, closed 409; limited 429). `fields` (each field's message) only when a
    field is named; `retry_after` (seconds, also as the Retry-After header, which a rate limit
    on the route may lengthen) when the error says when to try again."""
    db.session.rollback()
    body: dict[str, Any] = {"error": error.kind, "message": str(error), "field": error.field}
    if error.fields:
        body["fields"] = error.fields
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        body["retry_after"] = retry_after
    response = jsonify(body)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response, error.status
