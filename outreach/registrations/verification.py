"""Phone verification by a one-time code, and the day's cap on texts to one number.

A resident registering online proves the number is theirs with a 6-digit code texted to it at
once (not queued for `flask deliver`): valid 10 minutes, 5 tries, one code a minute to a
number. Staff registering for a resident skip it. On by default when an SMS gateway is set
(OUTREACH_SMS_WEBHOOK_URL); OUTREACH_VERIFY_PHONES overrides.

Nothing here stores a phone number or a code: a `PhoneCheck` row is found by an HMAC of the
number and holds an HMAC of the code, both keyed with the secret key. The text itself goes
out through the sender the messages package lends (`set_sender`): registrations cannot
import it (imports flow one way).

Two steps need a commit between them. Asking: `issue_code` keeps the code and starts the wait
(committed), then `text_code` sends it, so no row or database lock is held while the gateway
answers. Registering: a wrong guess must count even though the registration it came with is
rolled back, so callers `spend_try` in a transaction of its own (committed) before the
registration checks the code with `redeem`. Functions here flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from outreach.database import db, utcnow
from outreach.errors import RuleError
from outreach.localtime import local_date, local_midnight
from outreach.registrations.models import PhoneCheck
from outreach.registrations.phones import mask_mobile, normalise_mobile
from outreach.smstext import Text, make

CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_TRIES = 5

# The sender: (E.164 phone, text, idempotency key) → None when sent, else why not.
Sender = Callable[[str, Text, str], "str | None"]
SENDER = "outreach.registrations.verification.sender"


class VerificationError(RuleError):
    """A code that is missing, wrong, expired or used up (field `phone_code`), or a code that
    cannot be sent now (field `phone`: a wait, a cap, the gateway down). `retry_after`:
    seconds until asking again can succeed, when known."""

    def __init__(
        self,
        message: object,
        field: str = "phone_code",
        kind: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, field, kind)
        self.retry_after = retry_after


def enabled() -> bool:
    """Whether residents' registrations need a code: OUTREACH_VERIFY_PHONES when set, else
    whether an SMS gateway is configured."""
    setting = current_app.config.get("VERIFY_PHONES")
    if setting is None:
        return bool(current_app.config.get("SMS_WEBHOOK_URL"))
    return bool(setting)


def set_sender(app: Flask, sender: Sender) -> None:
    """Lend the function that texts a code at once (the messages package does)."""
    app.extensions[SENDER] = sender


def _no_sender(phone: str, text: Text, key: str) -> str:
    return "no text channel is set up"


def _keyed(*parts: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def phone_key(phone: str) -> str:
    """The HMAC a number is known by (E.164 in, 64 hex digits out)."""
    return _keyed("phone", phone)


def _code_hash(phone: str, code: str) -> str:
    return _keyed("code", phone, code)


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert


def _locked_row(phone: str, now: datetime) -> PhoneCheck:
    """The number's row, created when missing, locked until the commit."""
    key = phone_key(phone)
    db.session.execute(
        _insert()(PhoneCheck)
        .values(phone_key=key, tries_used=0, texts_sent=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["phone_key"])
    )
    return db.session.scalars(
        select(PhoneCheck)
        .where(PhoneCheck.phone_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _texts_today(row: PhoneCheck | None, now: datetime) -> int:
    if row is None or row.texts_day != local_date(now):
        return 0
    return row.texts_sent


def _count_text(row: PhoneCheck, now: datetime) -> None:
    today = local_date(now)
    if row.texts_day != today:
        row.texts_day, row.texts_sent = today, 0
    row.texts_sent += 1
    row.updated_at = now


def _seconds_to_tomorrow(now: datetime) -> int:
    tomorrow = local_midnight(local_date(now) + timedelta(days=1))
    return max(1, math.ceil((tomorrow - now).total_seconds()))


def _texts_per_day() -> int:
    return current_app.config["TEXTS_PER_NUMBER_PER_DAY"]


def may_text(phone: str, now: datetime | None = None) -> bool:
    """Whether one more text may go to this number today (the day's cap counts every text:
    codes, confirmations, reminders, notices)."""
    row = db.session.scalar(select(PhoneCheck).where(PhoneCheck.phone_key == phone_key(phone)))
    return _texts_today(row, now or utcnow()) < _texts_per_day()


def count_text(phone: str, now: datetime | None = None) -> None:
    """Count a text just sent to this number."""
    now = now or utcnow()
    _count_text(_locked_row(phone, now), now)
    db.session.flush()


@dataclass(frozen=True)
class CodeSent:
    """A code on its way: to whom, its text, valid for how long, and when another may be asked."""

    phone: str = field(repr=False)
    text: Text = field(repr=False)
    key: str
    expires_in: int
    retry_after: int

    @property
    def masked_phone(self) -> str:
        """The number as the page may show it: 138****8000."""
        return mask_mobile(self.phone)


def issue_code(raw_phone: str | None, *, now: datetime | None = None) -> CodeSent:
    """Keep a new code for the number (the one before it stops working) and start its wait;
    commit, then `text_code` it. Refused while the number's wait runs and once its texts for
    the day are used up."""
    phone = normalise_mobile(raw_phone or "")
    if phone is None:
        raise VerificationError(_("Please enter a valid mainland China mobile number."), "phone")
    now = now or utcnow()
    row = _locked_row(phone, now)
    cooldown = int(current_app.config["PHONE_CODE_COOLDOWN"])
    ready = row.code_sent_at + timedelta(seconds=cooldown) if row.code_sent_at else now
    if now < ready:
        wait = max(1, math.ceil((ready - now).total_seconds()))
        raise VerificationError(
            ngettext(
                "A code was sent just now. Please wait %(num)d second before asking for another.",
                "A code was sent just now. Please wait %(num)d seconds before asking for another.",
                wait,
            ),
            "phone",
            "limited",
            retry_after=wait,
        )
    if _texts_today(row, now) >= _texts_per_day():
        raise VerificationError(
            _("This number has had all the text messages we send in a day. Please try tomorrow."),
            "phone",
            "limited",
            retry_after=_seconds_to_tomorrow(now),
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row.code_hash = _code_hash(phone, code)
    row.code_sent_at = now
    row.code_expires_at = now + timedelta(minutes=CODE_MINUTES)
    row.tries_used = 0
    _count_text(row, now)
    db.session.flush()
    text = make("verification_code", code=code, minutes=CODE_MINUTES)
    key = f"outreach-code-{row.id}-{int(now.timestamp())}"
    return CodeSent(phone, text, key, CODE_MINUTES * 60, cooldown)


def text_code(issued: CodeSent) -> CodeSent:
    """Text an issued code at once, after its row is committed: no lock is held while the
    gateway answers. When the gateway does not take it, the resident asks again after the
    wait (the code kept meanwhile was never seen by anyone)."""
    sender = current_app.extensions.get(SENDER, _no_sender)
    problem = sender(issued.phone, issued.text, issued.key)
    if problem is not None:
        current_app.logger.warning("verification code not sent: %s", problem)
        raise VerificationError(
            ngettext(
                "The code could not be sent just now. Please try again in %(num)d second.",
                "The code could not be sent just now. Please try again in %(num)d seconds.",
                issued.retry_after,
            ),
            "phone",
            "unavailable",
            retry_after=issued.retry_after,
        )
    return issued


def spend_try(raw_phone: str | None, code: str | None) -> None:
    """Count a wrong guess at the number's code. Call it, and commit, before the registration
    that carries the code: that one may be rolled back, the count must not be. Counting in
    the database's own UPDATE keeps guesses sent side by side from sharing one try."""
    phone = normalise_mobile(raw_phone or "")
    if phone is None or not code:
        return
    db.session.execute(
        update(PhoneCheck)
        .where(
            PhoneCheck.phone_key == phone_key(phone),
            PhoneCheck.code_hash.is_not(None),
            PhoneCheck.code_hash != _code_hash(phone, code.strip()),
        )
        .values(tries_used=PhoneCheck.tries_used + 1)
        .execution_options(synchronize_session=False)
    )


def redeem(phone: str, code: str | None, now: datetime) -> None:
    """Accept the code texted to `phone` (E.164) and use it up, or say what is wrong with it.
    In the registration's transaction: a registration refused for another reason keeps it."""
    code = (code or "").strip()
    if not code:
        raise VerificationError(
            _("Please enter the verification code texted to this number (ask for one first).")
        )
    row = db.session.scalars(
        select(PhoneCheck)
        .where(PhoneCheck.phone_key == phone_key(phone))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or row.code_hash is None:
        raise VerificationError(
            _("No code is waiting for this number, or it was used. Please ask for a new one.")
        )
    if row.tries_used >= CODE_TRIES:
        raise VerificationError(_("Too many wrong codes. Please ask for a new code."))
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, code)):
        left = CODE_TRIES - row.tries_used
        raise VerificationError(
            ngettext(
                "The verification code is not right. %(num)d try left.",
                "The verification code is not right. %(num)d tries left.",
                left,
            )
        )
    if row.code_expires_at is None or now >= row.code_expires_at:
        raise VerificationError(_("This code has expired. Please ask for a new one."))
    row.code_hash = None
    row.updated_at = now
    db.session.flush()
