"""The audit trail: one row per change, written in the same transaction as the change."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import Flask, current_app

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.enums import LabelledEnum

EXTENSION = "outreach.accounts.audit"


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of an object, in plain values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose values differ, as {field: {"before": …, "after": …}}."""
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    actor: Any,
    action: str,
    target: Any,
    *,
    organisation_id: int | None,
    label: str = "",
    changed: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for `actor` doing `action` to `target`; flushed with the change."""
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()  # a new row gets its id, so the entry can point at it
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "label", "") or "",
        action=action,
        target_type=type(target).__tablename__ if target is not None else "",
        target_id=getattr(target, "id", None),
        target_label=label[:300],
        organisation_id=organisation_id,
        changes=changed or {},
    )
    db.session.add(entry)
    return entry


def record_saved(
    actor: Any,
    target: object,
    before: dict | None,
    after: dict,
    *,
    organisation_id: int | None,
    label: str,
) -> None:
    """Audit a creation (no `before`) or an update; an update that changed nothing is not one."""
    changed = changes(before or {}, after)
    if before is not None and not changed:
        return
    action = "create" if before is None else "update"
    record(actor, action, target, organisation_id=organisation_id, label=label, changed=changed)


def name_values(app: Flask, field: str, *enums: type[LabelledEnum]) -> None:
    """Let the trail show the coded values of `field` by the labels of `enums`.

    Each package lends the enums of the fields it records (accounts cannot import those of the
    packages above it); a value means the same wherever it occurs ("cancelled").
    """
    names = app.extensions.setdefault(EXTENSION, {}).setdefault(field, {})
    for members in enums:
        names.update({member.value: member.label for member in members})


def value_names() -> dict[str, dict[str, Any]]:
    """{field: {coded value: label}} for the trail's page; other values are shown as recorded."""
    return current_app.extensions.get(EXTENSION, {})
