"""Small builders of rows for tests; each adds its row and flushes (ids are known, and the
test's requests, which share the session, see it). Nothing here commits: under the suite's
rolled-back transaction a commit would only release a savepoint, and tests marked `commits`
get these wrapped in a commit by the `make` fixture."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyotp
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from outreach.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    StaffUser,
)
from outreach.database import db, utcnow
from outreach.events.models import (
    Category,
    DayKind,
    Event,
    EventSession,
    EventStatus,
    OfficialDay,
)
from outreach.places.models import Community, Township, TownshipKind, Venue
from outreach.registrations import services as registration_services
from outreach.registrations.models import Slot

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def _save(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def township(name: str | None = None, slug: str | None = None, **fields) -> Township:
    """A street (街道) by default."""
    n = next(_numbers)
    return _save(
        Township(
            name=name or f"测试{n}街道",
            slug=slug or f"township-{n}",
            kind=fields.pop("kind", TownshipKind.STREET),
            **fields,
        )
    )


def community(township_: Township | None = None, name: str | None = None, slug=None, **fields):
    """A community in the given (or a new) township."""
    n = next(_numbers)
    township_ = township_ or township()
    return _save(
        Community(
            name=name or f"测试{n}社区", slug=slug or f"community-{n}", township=township_, **fields
        )
    )


def venue(community_: Community | None = None, name: str | None = None, **fields) -> Venue:
    """A venue in the given (or a new) community; pass township= for a township-only venue."""
    n = next(_numbers)
    if community_ is None and "township" not in fields:
        community_ = community()
    township_ = fields.pop("township", None) or community_.township
    return _save(
        Venue(
            name=name or f"社区服务站{n}",
            slug=fields.pop("slug", f"venue-{n}"),
            address=fields.pop("address", f"测试路{n}号"),
            community=community_,
            township=township_,
            **fields,
        )
    )


def organisation(name: str | None = None, slug: str | None = None, **fields) -> Organisation:
    """A community health centre by default."""
    n = next(_numbers)
    return _save(
        Organisation(
            name=name or f"测试{n}卫生服务中心",
            slug=slug or f"organisation-{n}",
            kind=fields.pop("kind", OrganisationKind.HEALTH_CENTRE),
            **fields,
        )
    )


def official_day(day: date, kind: str = "holiday", name: str = "国庆节") -> OfficialDay:
    """A public holiday (or a make-up workday) of the official calendar."""
    return _save(OfficialDay(day=day, kind=DayKind(kind), name=name))


def category(name: str | None = None, slug: str | None = None, **fields) -> Category:
    """A category with a Chinese and an English name."""
    n = next(_numbers)
    return _save(
        Category(
            name=name or f"类别{n}",
            name_en=fields.pop("name_en", f"Category {n}"),
            slug=slug or f"category-{n}",
            **fields,
        )
    )


def event(title: str | None = None, **fields) -> Event:
    """A published event, with a new organisation and category unless given."""
    n = next(_numbers)
    return _save(
        Event(
            title=title or f"测试活动{n}",
            summary=fields.pop("summary", "活动简介"),
            organisation=fields.pop("organisation", None) or organisation(),
            category=fields.pop("category", None) or category(),
            status=fields.pop("status", EventStatus.PUBLISHED),
            **fields,
        )
    )


def local(day: date, at: time) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def event_session(
    event_: Event | None = None,
    venue_: Venue | None = None,
    *,
    day: date | None = None,
    start: time = time(9, 0),
    hours: float = 2,
    **fields,
) -> EventSession:
    """A session tomorrow (Beijing time) at 09:00 for two hours, unless told otherwise."""
    day = day or (datetime.now(SHANGHAI).date() + timedelta(days=1))
    starts_at = local(day, start)
    return _save(
        EventSession(
            event=event_ or event(),
            venue=venue_ or venue(),
            starts_at=starts_at,
            ends_at=fields.pop("ends_at", starts_at + timedelta(hours=hours)),
            **fields,
        )
    )


PASSWORD = "correct horse battery"


def staff(
    username: str | None = None,
    *,
    organisation: Organisation | None = None,
    role: str | None = None,
    is_admin: bool = False,
    password: str = PASSWORD,
    display_name: str = "",
    two_factor: bool | None = None,
) -> StaffUser:
    """A staff account (password PASSWORD), with a role in an organisation when given.

    Administrators have two-factor sign-in set up (they must), others not, unless
    `two_factor` says otherwise; `totp_code(user)` gives the code their app would show.
    """
    n = next(_numbers)
    enrolled = is_admin if two_factor is None else two_factor
    user = StaffUser(
        username=username or f"staff{n}",
        display_name=display_name,
        # A cheap hash keeps tests fast; real accounts use scrypt (see accounts.services).
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"),
        is_admin=is_admin,
        totp_secret=pyotp.random_base32() if enrolled else None,
        totp_enrolled_at=utcnow() if enrolled else None,
    )
    if organisation is not None:
        user.memberships.append(
            Membership(organisation=organisation, role=Role(role or Role.ORGANISER))
        )
    return _save(user)


def totp_code(user: StaffUser) -> str:
    """The code the account's authenticator app shows now, or the next one when the present
    one has been used already (a code works once; the next step's code is accepted too)."""
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(datetime.now(UTC))
    used = db.session.scalar(select(StaffUser.totp_last_step).where(StaffUser.id == user.id))
    if used is not None and used >= step:
        step = used + 1
    return totp.generate_otp(step)


def invitation(organisation_: Organisation, username: str, role: str = "checker") -> Invitation:
    """A manager's invitation of a username to the organisation, not yet answered."""
    return _save(Invitation(organisation=organisation_, username=username, role=Role(role)))


def slot(event_session_: EventSession, label: str = "中医科", capacity: int = 10, **fields) -> Slot:
    """A slot of a session."""
    return _save(Slot(event_session=event_session_, label=label, capacity=capacity, **fields))


def half_hours(
    event_session_: EventSession, labels=("中医科", "全科"), windows: int = 2, capacity: int = 6
) -> dict[tuple[str, int], Slot]:
    """Departments seen in half-hour windows from the session's start, each window a slot:
    {(label, n): slot}, n counting the windows from 0."""
    slots: dict[tuple[str, int], Slot] = {}
    for label in labels:
        for n in range(windows):
            slots[label, n] = slot(
                event_session_,
                label,
                capacity=capacity,
                starts_at=event_session_.starts_at + timedelta(minutes=30 * n),
                ends_at=event_session_.starts_at + timedelta(minutes=30 * (n + 1)),
                position=len(slots),
            )
    return slots


_phones = itertools.count(13800000001)


def phone() -> str:
    """A fresh valid mainland mobile number, as a resident would type it."""
    return str(next(_phones))


def registration(event_session_: EventSession, party_size: int = 1, **fields):
    """A registration made through the service (so the rules apply), flushed."""
    request = registration_services.RegistrationRequest(
        name=fields.pop("name", "张阿姨"),
        phone=fields.pop("phone", None) or phone(),
        party_size=party_size,
        consent=True,
        slot_id=fields.pop("slot_id", None),
        # Made for a test as staff would: no code texted to the phone first.
        phone_verified=fields.pop("phone_verified", True),
        **fields,
    )
    made = registration_services.register(event_session_.id, request)
    db.session.flush()
    return made


# The functions that add rows (the `make` fixture commits after each under `commits`).
BUILDERS = frozenset(
    {
        "township",
        "community",
        "venue",
        "organisation",
        "category",
        "event",
        "event_session",
        "staff",
        "slot",
        "half_hours",
        "registration",
        "official_day",
    }
)
