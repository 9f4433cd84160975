"""A new registration's first text message, written once per session as a worker keeps it.

Every resident who registers for a session gets the same text but for their confirmation
code and the key of their link (each of a fixed length) and their waitlist place (a stand-in
number already, `services.Prepared`). Writing it (Babel, the translations, the link, fitting
it to one segment) cost more Python than anything else a registration does before its lock.
So the text is written once with stand-ins of the same lengths for the code and the key, and
each later registration gets a copy with its own put in.

Only what the text depends on besides those is remembered with it: the session object (a
worker's kept copy, `registrations.snapshot`, which is loaded anew whenever the session,
its event, places or organiser change), the slot, the kind, the resident's language, and the
settings and address the text is written with. A stand-in's copy is used only after writing
the text with a second set of stand-ins gave the same text, once swapped, so a title that
happens to hold a stand-in is written each time as before. A session object seen once (one
loaded for a single request) costs nothing more than a look-up: the stand-ins are written
for the second registration of the same object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from flask import current_app, has_request_context, request

from outreach.links import base_url
from outreach.messages.models import MessageChannel, MessageKind, MessageStatus
from outreach.registrations.models import Registration

# The columns of a row that hold the text (the rest are the registration's own or fixed).
TEXT_COLUMNS = ("subject", "body", "body_html", "sms_template", "sms_params")
# Two sets of stand-ins (code, link key): lower-case letters, which neither uses, each
# set of different letters; cut to the real values' lengths.
_STAND_INS = (("j" * 32, "q" * 32), ("v" * 32, "z" * 32))
_SEEN = object()
_remembered: WeakKeyDictionary[Any, dict[tuple, Any]] = WeakKeyDictionary()


def _settings() -> tuple:
    """What the text depends on besides the session and the registration."""
    config = current_app.config
    return (
        current_app._get_current_object(),  # noqa: SLF001  (the application, not its proxy)
        config.get("SMS_LINK_BASE"),
        config.get("SMS_SIGNATURE"),
        config.get("SMS_MAX_LENGTH"),
        config.get("TIMEZONE"),
        base_url() or (request.host_url if has_request_context() else None),
    )


def _swapped(row: dict[str, Any], swaps: dict[str, str]) -> dict[str, Any]:
    pattern = re.compile("|".join(re.escape(found) for found in swaps))

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda match: swaps[match.group(0)], value)
        if isinstance(value, dict):
            return {name: swap(item) for name, item in value.items()}
        return value

    return {name: swap(row[name]) for name in TEXT_COLUMNS}


def _written_with(
    registration: Registration, code: str, key: str, render: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    real = registration.code, registration.link_key
    registration.code, registration.link_key = code, key
    try:
        return render()
    finally:
        registration.code, registration.link_key = real


def _stand_ins(registration: Registration, render: Callable[[], dict[str, Any]]) -> Any:
    """The text columns written with the first stand-ins, and those stand-ins; None when the
    second set does not give the same text."""
    code_length, key_length = len(registration.code), len(registration.link_key)
    (code_a, key_a), (code_b, key_b) = (
        (code[:code_length], key[:key_length]) for code, key in _STAND_INS
    )
    first = _written_with(registration, code_a, key_a, render)
    second = _written_with(registration, code_b, key_b, render)
    if first["status"] != MessageStatus.PENDING or second["status"] != MessageStatus.PENDING:
        return None  # not written (the fault was logged): written, and logged, each time
    if _swapped(first, {code_a: code_b, key_a: key_b}) != {n: second[n] for n in TEXT_COLUMNS}:
        return None
    return {name: first[name] for name in TEXT_COLUMNS}, code_a, key_a


def remembered(
    kind: MessageKind,
    channel: MessageChannel,
    registration: Registration,
    render: Callable[[], dict[str, Any]],
) -> dict[str, Any] | None:
    """The text columns of the row `render` would write for the registration (not saved
    yet), from the session's remembered text; None when it is to be written as usual."""
    code, key = registration.code, registration.link_key
    if channel != MessageChannel.SMS or not code or not key or len(code) > 32 or len(key) > 32:
        return None
    event_session = registration.__dict__.get("event_session")
    if event_session is None:
        return None
    texts = _remembered.setdefault(event_session, {})
    found_key = (
        kind,
        registration.status,
        registration.slot_id,
        registration.language,
        len(code),
        len(key),
        _settings(),
    )
    found = texts.get(found_key)
    if found is None:
        texts[found_key] = _SEEN
        return None
    if found is _SEEN:
        found = texts[found_key] = _stand_ins(registration, render) or False
    if found is False:
        return None
    columns, code_stand_in, key_stand_in = found
    return _swapped(columns, {code_stand_in: code, key_stand_in: key})
