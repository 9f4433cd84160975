"""Two-factor sign-in: after the password, a six-digit code from an authenticator app (TOTP,
RFC 6238, by pyotp) or one of ten single-use recovery codes.

Required of administrators and of every member of an organisation that asks for it
(`Organisation.require_two_factor`); anyone else may turn it on. A code works once: the
account keeps the last time step accepted and a code of that step or an earlier one is
refused. Recovery codes are kept only as keyed hashes (HMAC-SHA256 under a key derived from
the application's SECRET_KEY), so the database alone does not give them away; changing the
secret key therefore voids them (an administrator resets the account's two-factor sign-in).
Flushes, never commits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from outreach.accounts import audit
from outreach.accounts.models import Organisation, RecoveryCode, StaffUser
from outreach.accounts.services import AccountError, end_sessions
from outreach.database import db, utcnow
from outreach.enums import LabelledEnum


class SecondStep(LabelledEnum):
    """What an account gave after its password to finish signing in (named in the trail)."""

    CODE = "code", _l("Code from the app")
    RECOVERY_CODE = "recovery_code", _l("Recovery code")


RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ACEFHJKMNPRTWXY3479"  # no look-alike characters (as confirmation codes)
RECOVERY_LENGTH = 10
# Codes of the step before and after the present one are accepted too: the phone's clock may
# be a little off, and a code typed just as it changes still works.
CLOCK_DRIFT_STEPS = 1
# RFC 4226 asks for shared secrets of at least 128 bits.
MIN_SECRET_BITS = 128


def required_for(user: StaffUser) -> bool:
    """Must this account sign in with a second step? Administrators must, and so must every
    member of an organisation that requires it."""
    return bool(user.is_admin) or any(
        membership.organisation.require_two_factor for membership in user.memberships
    )


def new_secret() -> str:
    """A fresh random secret for an authenticator app (160 bits, base32)."""
    return pyotp.random_base32()


def normalised_secret(secret: str) -> str | None:
    """A secret as given by hand (any case, spaces, padding) in canonical base32, or None
    when it is not base32 or shorter than MIN_SECRET_BITS."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        decoded = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        return None
    return cleaned if len(decoded) * 8 >= MIN_SECRET_BITS else None


def written_out(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    # The site's name, as the app lists the account under it.
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=_("Community Outreach")
    )


def _digits(code: str) -> str | None:
    """A typed six-digit code without its spaces, or None when it is not one."""
    cleaned = "".join(code.split())
    if len(cleaned) == 6 and cleaned.isascii() and cleaned.isdigit():
        return cleaned
    return None


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (around now) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    present = totp.timecode(time.time() if now is None else now)
    found = None
    for step in range(present - CLOCK_DRIFT_STEPS, present + CLOCK_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _use_step(user: StaffUser, step: int) -> bool:
    """Record that the step's code has been used; False when it (or a later one) already was.

    One conditional UPDATE, so two requests racing with the same code cannot both succeed.
    """
    result = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _check_app_code(user: StaffUser, code: str) -> bool:
    digits = _digits(code)
    if digits is None or not user.has_two_factor:
        return False
    step = _matching_step(user.totp_secret, digits)
    return step is not None and _use_step(user, step)


# Recovery codes


def _normalised_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    key = hashlib.sha256(b"outreach recovery codes\0" + _secret_key()).digest()
    return hmac.new(key, _normalised_recovery(code).encode(), hashlib.sha256).hexdigest()


def _secret_key() -> bytes:
    key = current_app.config["SECRET_KEY"]
    return key if isinstance(key, bytes) else str(key).encode()


def _new_recovery_codes(user: StaffUser) -> list[str]:
    """Replace the account's recovery codes with ten new ones; returns them as shown."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _c in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    db.session.expire(user, ["recovery_codes"])
    return codes


def recovery_codes_left(user: StaffUser) -> int:
    """How many of the account's recovery codes are still unused."""
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _use_recovery_code(user: StaffUser, code: str) -> bool:
    """Spend one unused recovery code; False when none matches."""
    if not user.has_two_factor or len(_normalised_recovery(code)) != RECOVERY_LENGTH:
        return False
    wanted = _recovery_hash(code)
    unused = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    match = None
    for row_id, code_hash in unused:
        if hmac.compare_digest(code_hash, wanted):
            match = row_id
    if match is None:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return False
    audit.record(
        user,
        "recovery_code_used",
        user,
        organisation_id=None,
        label=user.username,
        changed={"recovery_codes": {"before": len(unused), "after": len(unused) - 1}},
    )
    return True


def check(user: StaffUser, code: str) -> SecondStep | None:
    """Accept a code from the app or a recovery code once, or None. Both are spent by
    accepting them; a recovery code's use is audited."""
    if _check_app_code(user, code):
        return SecondStep.CODE
    if _digits(code) is None and _use_recovery_code(user, code):
        return SecondStep.RECOVERY_CODE
    return None


def _wrong_code() -> AccountError:
    return AccountError(_("That code is not right. Please try the newest one."), "code")


def second_step_failed(user: StaffUser) -> None:
    """Record a failed second step of signing in."""
    audit.record(None, "two_factor_failed", user, organisation_id=None, label=user.username)


# Turning it on and off


def enrol(user: StaffUser, secret: str, code: str, *, actor: StaffUser | None) -> list[str]:
    """Turn on two-factor sign-in with a secret the person's app holds, proven by a code
    from it; returns the ten new recovery codes (shown once)."""
    digits = _digits(code)
    step = _matching_step(secret, digits) if digits else None
    if step is None:
        raise _wrong_code()
    return _set_secret(user, secret, step, actor=actor)


def enrol_with_secret(user: StaffUser, secret: str, *, actor: StaffUser | None) -> list[str]:
    """Turn on two-factor sign-in with a secret given by an operator (`create-staff
    --totp-secret`); returns the ten new recovery codes."""
    cleaned = normalised_secret(secret)
    if cleaned is None:
        raise AccountError(
            _(
                "The secret must be base32 (letters A to Z and digits 2 to 7) "
                "of at least %(bits)d bits.",
                bits=MIN_SECRET_BITS,
            ),
            "totp_secret",
        )
    return _set_secret(user, cleaned, None, actor=actor)


def _set_secret(
    user: StaffUser, secret: str, step: int | None, *, actor: StaffUser | None
) -> list[str]:
    if user.id is None:
        db.session.flush()
    before = user.has_two_factor
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record(
        actor,
        "two_factor_enrol",
        user,
        organisation_id=None,
        label=user.username,
        changed={"two_factor": {"before": before, "after": True}},
    )
    return codes


def regenerate_recovery_codes(user: StaffUser, code: str, *, actor: StaffUser) -> list[str]:
    """Ten new recovery codes in place of the old ones, once a current code proves it is
    the person (a code from the app, or a recovery code)."""
    if not user.has_two_factor:
        raise AccountError(_("Two-factor sign-in is not on for this account."), "code")
    if check(user, code) is None:
        raise _wrong_code()
    codes = _new_recovery_codes(user)
    audit.record(actor, "recovery_codes", user, organisation_id=None, label=user.username)
    return codes


def _clear(user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.expire(user, ["recovery_codes"])


def disable(user: StaffUser, code: str, *, actor: StaffUser) -> None:
    """Turn off one's own two-factor sign-in, proven by a current code; refused when the
    account must have it."""
    if required_for(user):
        raise AccountError(
            _("Your account must use two-factor sign-in, so it cannot be turned off."), "code"
        )
    if not user.has_two_factor:
        return
    if check(user, code) is None:
        raise _wrong_code()
    _clear(user)
    audit.record(
        actor,
        "two_factor_disable",
        user,
        organisation_id=None,
        label=user.username,
        changed={"two_factor": {"before": True, "after": False}},
    )


def reset(user: StaffUser, *, actor: StaffUser) -> None:
    """An administrator takes an account's two-factor sign-in away (a lost phone): its
    secret and recovery codes are deleted and its sessions end; if it must have two-factor
    sign-in, it sets it up again at its next sign-in."""
    if user.id == actor.id:
        raise AccountError(
            _("You cannot reset your own two-factor sign-in; another administrator can."),
            "state",
        )
    if not user.has_two_factor:
        return
    _clear(user)
    audit.record(
        actor,
        "two_factor_reset",
        user,
        organisation_id=None,
        label=user.username,
        changed={"two_factor": {"before": True, "after": False}},
    )
    end_sessions(user, actor=actor)


def set_required(organisation: Organisation, required: bool, *, actor: StaffUser) -> None:
    """Require two-factor sign-in of every member of the organisation, or no longer."""
    before = organisation.require_two_factor
    if before == required:
        return
    organisation.require_two_factor = required
    audit.record(
        actor,
        "two_factor_rule",
        organisation,
        organisation_id=organisation.id,
        label=organisation.name,
        changed={"require_two_factor": {"before": before, "after": required}},
    )
