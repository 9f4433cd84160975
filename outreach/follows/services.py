"""The rules of following a place, an organisation or a category: proving the address,
storing the follow with its consent, stopping, the daily digest, retention and the counts
staff see. Flushes, never commits.

A mobile number proves itself with the registration's one-time code (registrations/
verification.py: same codes, waits and day's cap); an e-mail address with a signed link that
carries the follow (nothing is stored until it is opened and confirmed). A digest lists the
sessions published in what a follower follows since their last one: at most one a day (the
outbox's unique key per follower and local day), none before the operator's hour
(FOLLOW_DIGEST_HOUR), at most FOLLOW_DIGESTS_PER_WEEK a week (what waits goes in the next).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from outreach.accounts.models import Organisation
from outreach.database import Named, db, utcnow
from outreach.errors import NotFoundError, RuleError
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.follows import compose
from outreach.follows.models import Follow, Follower, FollowScope
from outreach.localtime import local_date, local_zone
from outreach.messages import services as outbox
from outreach.messages.models import Message, MessageChannel, MessageKind, MessageStatus
from outreach.places.models import Community, Township, Venue
from outreach.registrations import verification
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.services import LINK_KEY_ALPHABET, LINK_KEY_LENGTH, new_link_key

# Followers with no follow confirmed, digest queued or visit for this long are purged.
KEPT_DAYS = 365
# An e-mail confirmation link works this long.
CONFIRM_HOURS = 48
EMAIL_LENGTH = 254
# The most sessions one digest names (the rest are counted; the follower's page lists them).
MOST_PER_DIGEST = 20
STOPPED = "not sent: the follower stopped these messages"
MODELS: dict[FollowScope, type[Named]] = {
    FollowScope.TOWNSHIP: Township,
    FollowScope.COMMUNITY: Community,
    FollowScope.ORGANISATION: Organisation,
    FollowScope.CATEGORY: Category,
}


class FollowError(RuleError):
    """An address that is neither a mobile number nor an e-mail address (field `contact`),
    or a confirmation link that is broken or too old."""


@dataclass(frozen=True)
class Target:
    """What is followed: its scope and its row (a place, organisation or category)."""

    scope: FollowScope
    row: Named

    @property
    def id(self) -> int:
        """The row's id."""
        return self.row.id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Contact:
    """A follower's address: an E.164 mobile number or an e-mail address."""

    channel: MessageChannel
    address: str


def target_of(scope: str, slug: str) -> Target:
    """The place, organisation or category of a follow box; NotFoundError when unknown."""
    try:
        kind = FollowScope(scope)
    except ValueError:
        raise NotFoundError("page", scope) from None
    model = MODELS[kind]
    row = db.session.scalar(select(model).where(model.slug == slug[:80]))
    if row is None:
        raise NotFoundError(model.__tablename__, slug[:80])
    return Target(kind, row)


def _target_by_id(scope: FollowScope, target_id: int) -> Target | None:
    row = db.session.get(MODELS[scope], target_id)
    return Target(scope, row) if row is not None else None


def parse_contact(raw: str | None) -> Contact:
    """A mainland mobile number or an e-mail address, normalised; else a FollowError."""
    raw = (raw or "").strip()
    phone = normalise_mobile(raw) if "@" not in raw else None
    if phone is not None:
        return Contact(MessageChannel.SMS, phone)
    if "@" in raw and len(raw) <= EMAIL_LENGTH:
        try:
            valid = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            pass
        else:
            return Contact(MessageChannel.EMAIL, valid.normalized)
    raise FollowError(
        _("Please enter a mainland China mobile number or an e-mail address."), "contact"
    )


def _address_key(contact: Contact) -> str:
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    text = f"follower\x1f{contact.channel.value}\x1f{contact.address.lower()}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Following


def ask(
    target: Target, raw_contact: str | None, language: str, now: datetime | None = None
) -> verification.CodeSent | None:
    """The first step: for a number, keep a code (commit, then `verification.text_code` it);
    for an e-mail address, queue the confirmation link (None)."""
    now = now or utcnow()
    contact = parse_contact(raw_contact)
    if contact.channel == MessageChannel.SMS:
        return verification.issue_code(contact.address, now=now)
    token = _serializer().dumps(
        {"a": contact.address, "s": target.scope.value, "t": target.id, "l": language}
    )
    row = compose.confirmation_row(contact.address, target, token, language, now)
    outbox.add_to_outbox([row])
    return None


def confirm_phone(
    target: Target, raw_contact: str | None, code: str | None, language: str, now: datetime
) -> Follower:
    """The second step for a number: the texted code, then the follow is stored."""
    contact = parse_contact(raw_contact)
    if contact.channel != MessageChannel.SMS:
        raise FollowError(_("Please enter a mainland China mobile number."), "contact")
    verification.redeem(contact.address, code, now)
    return _follow(contact, target, language, now)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="outreach-follow-email")


@dataclass(frozen=True)
class EmailFollow:
    """What a confirmation link asks to follow."""

    contact: Contact
    target: Target
    language: str


def read_email_link(token: str) -> EmailFollow:
    """The follow an e-mail confirmation link carries; FollowError when broken or too old."""
    try:
        data = _serializer().loads(token[:1000], max_age=CONFIRM_HOURS * 3600)
        target = _target_by_id(FollowScope(data["s"]), int(data["t"]))
        contact = Contact(MessageChannel.EMAIL, str(data["a"]))
    except SignatureExpired:
        raise FollowError(
            _("This link is too old. Please enter your e-mail address on the page again."),
            kind="closed",
        ) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FollowError(_("This link is not complete or not valid.")) from None
    if target is None:
        raise FollowError(_("This link is not complete or not valid."))
    return EmailFollow(contact, target, str(data.get("l") or "zh"))


def confirm_email(token: str, now: datetime) -> tuple[Follower, Target]:
    """The e-mail confirmation link's button: the follow is stored."""
    asked = read_email_link(token)
    return _follow(asked.contact, asked.target, asked.language, now), asked.target


def _new_token() -> str:
    while True:
        token = new_link_key()
        if db.session.scalar(select(Follower.id).where(Follower.token == token)) is None:
            return token


def _follow(contact: Contact, target: Target, language: str, now: datetime) -> Follower:
    """Store the follow (again: kept as it is), its consent's time, the follower's language."""
    key = _address_key(contact)
    follower = db.session.scalar(
        select(Follower)
        .where(Follower.address_key == key)
        .options(selectinload(Follower.follows))
        .with_for_update()
    )
    if follower is None:
        follower = Follower(
            channel=contact.channel,
            address=contact.address,
            address_key=key,
            token=_new_token(),
            created_at=now,
            told_through=now,
            follows=[],
        )
        db.session.add(follower)
    follower.language = language
    follower.active_at = now
    follower.stopped_at = None
    found = next(
        (f for f in follower.follows if f.scope == target.scope and f.target_id == target.id),
        None,
    )
    if found is None:
        follower.follows.append(Follow(scope=target.scope, target_id=target.id, consented_at=now))
    elif found.ended_at is not None:
        found.ended_at, found.consented_at = None, now
    db.session.flush()
    return follower


# ---------------------------------------------------------------------------------------------
# Stopping


def by_token(token: str) -> Follower:
    """The follower an unsubscribe link names; NotFoundError when none (or purged)."""
    if len(token) != LINK_KEY_LENGTH or not all(char in LINK_KEY_ALPHABET for char in token):
        raise NotFoundError("follower", "token")
    follower = db.session.scalar(
        select(Follower).where(Follower.token == token).options(selectinload(Follower.follows))
    )
    # The index finds the row; the final check does not tell how much of the token matched.
    if (
        follower is None
        or follower.purged_at is not None
        or not secrets.compare_digest(follower.token, token)
    ):
        raise NotFoundError("follower", "token")
    return follower


def _skip_waiting(follower: Follower) -> None:
    outbox.skip_pending(Message.follower_id == follower.id, STOPPED)


def stop_follow(follower: Follower, follow_id: int, now: datetime) -> Follow:
    """End one follow (no digest about it any more); one ended already stays as it is, so
    a button pressed twice is no error."""
    follow = next((f for f in follower.follows if f.id == follow_id), None)
    if follow is None:
        raise NotFoundError("follow", follow_id)
    if follow.ended_at is not None:
        return follow
    follow.ended_at = now
    follower.active_at = now
    if not follower.active_follows:
        _skip_waiting(follower)
    db.session.flush()
    return follow


def stop_all(follower: Follower, now: datetime) -> None:
    """Stop every message to this number or address: all follows end, waiting ones skipped."""
    for follow in follower.active_follows:
        follow.ended_at = now
    follower.stopped_at = now
    follower.active_at = now
    _skip_waiting(follower)
    db.session.flush()


# ---------------------------------------------------------------------------------------------
# Digests


def digest_due(now: datetime) -> bool:
    """Whether today's digests may go: the local hour the operator set has come."""
    return now.astimezone(local_zone()).hour >= current_app.config["FOLLOW_DIGEST_HOUR"]


def _in_scope(follow: Follow):
    column = {
        FollowScope.TOWNSHIP: Venue.township_id,
        FollowScope.COMMUNITY: Venue.community_id,
        FollowScope.ORGANISATION: Event.organisation_id,
        FollowScope.CATEGORY: Event.category_id,
    }[follow.scope]
    return column == follow.target_id


def _upcoming_conditions(conditions: list[Any], now: datetime) -> list[Any]:
    """Published sessions to come matching any of `conditions` (their event and venue joined)."""
    return [
        or_(*conditions),
        Event.status == EventStatus.PUBLISHED,
        EventSession.status == SessionStatus.SCHEDULED,
        EventSession.starts_at > now,
    ]


def _upcoming(conditions: list[Any], now: datetime, limit: int) -> list[EventSession]:
    """Published sessions to come matching any of `conditions`, soonest first, with what
    messages and pages show of them: one query."""
    if not conditions:
        return []
    return list(
        db.session.scalars(
            select(EventSession)
            .join(EventSession.event)
            .join(EventSession.venue)
            .where(*_upcoming_conditions(conditions, now))
            .options(
                joinedload(EventSession.event),
                joinedload(EventSession.venue).joinedload(Venue.community),
                joinedload(EventSession.venue).joinedload(Venue.township),
            )
            .order_by(EventSession.starts_at, EventSession.id)
            .limit(limit)
        ).unique()
    )


def new_sessions(follower: Follower, now: datetime) -> tuple[list[EventSession], int]:
    """Sessions to come, published in what the follower follows since they were last told
    (or since each follow began): the soonest MOST_PER_DIGEST, and how many there are in
    all (a digest names the first and counts the rest, which the follower's page lists)."""
    published = func.coalesce(Event.published_at, Event.created_at)
    conditions = []
    for follow in follower.active_follows:
        since = max(follow.consented_at, follower.told_through)
        conditions.append(
            and_(_in_scope(follow), or_(EventSession.created_at > since, published > since))
        )
    sessions = _upcoming(conditions, now, MOST_PER_DIGEST)
    if len(sessions) < MOST_PER_DIGEST:
        return sessions, len(sessions)
    return sessions, db.session.scalar(
        select(func.count(EventSession.id))
        .join(EventSession.event)
        .join(EventSession.venue)
        .where(*_upcoming_conditions(conditions, now))
    )


def digest_key(follower: Follower, now: datetime) -> str:
    """One digest per follower and local day."""
    return f"digest:{follower.id}:{local_date(now).isoformat()}"


def digests_this_week(follower: Follower, now: datetime) -> int:
    """The follower's digests queued in the last seven days (not those skipped)."""
    return db.session.scalar(
        select(func.count(Message.id)).where(
            Message.follower_id == follower.id,
            Message.kind == MessageKind.DIGEST,
            Message.created_at > now - timedelta(days=7),
            Message.status != MessageStatus.SKIPPED,
        )
    )


def due_followers(now: datetime) -> list[int]:
    """Ids of the followers a digest round looks at: not stopped, not purged, following."""
    return list(
        db.session.scalars(
            select(Follower.id)
            .where(
                Follower.stopped_at.is_(None),
                Follower.purged_at.is_(None),
                Follower.follows.any(Follow.ended_at.is_(None)),
            )
            .order_by(Follower.id)
        )
    )


def queue_digest(follower_id: int, now: datetime) -> bool:
    """Queue today's digest to one follower when something is new and the week's cap
    allows; True when queued. The follower's row is locked until the commit, and the key
    is unique: two rounds at once queue it once."""
    follower = db.session.scalar(
        select(Follower)
        .where(Follower.id == follower_id, Follower.stopped_at.is_(None))
        .options(selectinload(Follower.follows))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if follower is None or follower.purged_at is not None:
        return False
    key = digest_key(follower, now)
    if db.session.scalar(select(Message.id).where(Message.dedupe_key == key)) is not None:
        return False
    if digests_this_week(follower, now) >= current_app.config["FOLLOW_DIGESTS_PER_WEEK"]:
        return False
    sessions, total = new_sessions(follower, now)
    if not sessions:
        return False
    outbox.add_to_outbox([compose.digest_row(follower, sessions, total, key, now)])
    follower.told_through = now
    follower.active_at = now
    db.session.flush()
    return True


# ---------------------------------------------------------------------------------------------
# Retention and counts


def purge(now: datetime | None = None) -> int:
    """Erase the address of followers without activity for KEPT_DAYS (their follows end;
    the rows stay, counted), and the addresses in old confirmation e-mails. Returns how
    many followers were erased."""
    now = now or utcnow()
    cutoff = now - timedelta(days=KEPT_DAYS)
    ids = list(
        db.session.scalars(
            select(Follower.id).where(Follower.active_at < cutoff, Follower.purged_at.is_(None))
        )
    )
    if ids:
        db.session.execute(
            update(Follow)
            .where(Follow.follower_id.in_(ids), Follow.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        for follower_id in ids:
            db.session.execute(
                update(Follower)
                .where(Follower.id == follower_id)
                .values(address="", address_key=f"purged:{follower_id}", purged_at=now)
                .execution_options(synchronize_session=False)
            )
        outbox.skip_pending(Message.follower_id.in_(ids), outbox.ERASED)
        _erase_messages(Message.follower_id.in_(ids))
    old_confirmations = and_(
        Message.kind == MessageKind.FOLLOW_CONFIRM,
        Message.created_at < now - timedelta(hours=CONFIRM_HOURS),
        Message.recipient != "",
    )
    _erase_messages(old_confirmations)
    return len(ids)


def _erase_messages(condition: Any) -> None:
    db.session.execute(
        update(Message)
        .where(condition)
        .values(recipient="", body="", body_html="", sms_params={})
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class CountRow:
    """How many follow one place, organisation or category (never who)."""

    scope: FollowScope
    name: str
    followers: int


def follower_counts(language: str) -> list[CountRow]:
    """Active followers per township, community, organisation and category, most first:
    one query for the counts and one per kind for the names."""
    rows = db.session.execute(
        select(Follow.scope, Follow.target_id, func.count(Follow.id))
        .join(Follow.follower)
        .where(Follow.ended_at.is_(None), Follower.purged_at.is_(None))
        .group_by(Follow.scope, Follow.target_id)
    ).all()
    wanted: dict[FollowScope, list[int]] = {}
    for scope, target_id, _number in rows:
        wanted.setdefault(scope, []).append(target_id)
    names: dict[tuple[FollowScope, int], str] = {}
    for scope, ids in wanted.items():
        model = MODELS[scope]
        for row in db.session.scalars(select(model).where(model.id.in_(ids))):
            names[(scope, row.id)] = row.display_name(language)
    counted = [
        CountRow(scope, names[(scope, target_id)], number)
        for scope, target_id, number in rows
        if (scope, target_id) in names
    ]
    return sorted(counted, key=lambda row: (list(FollowScope).index(row.scope), -row.followers))


def upcoming_of(follower: Follower, now: datetime) -> list[EventSession]:
    """The next sessions in what the follower follows (their page lists them)."""
    return _upcoming([_in_scope(f) for f in follower.active_follows], now, MOST_PER_DIGEST)


def targets_of(follower: Follower) -> list[tuple[Follow, Target]]:
    """The follower's active follows with what each is of."""
    found = []
    for follow in follower.active_follows:
        target = _target_by_id(follow.scope, follow.target_id)
        if target is not None:
            found.append((follow, target))
    return found
