"""Calendar endpoints: public feeds by place, organiser and kind; personal feeds; one session.

Feeds are read by calendar servers that send no cookies and no Accept-Language, so their
language is part of the URL (`?lang=en`, Chinese by default) and nothing here needs a login.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach import errors, formatting, i18n
from outreach.database import db
from outreach.errors import InvalidInput, NotFoundError
from outreach.events import services as event_services
from outreach.events.models import Event, EventSession
from outreach.feeds import content, own, responses, services, subscribe, syndication
from outreach.feeds.cache import BuiltFeed, cached, remembered_version
from outreach.feeds.calendar import SessionFacts, build_bounded_calendar, build_calendar
from outreach.feeds.content import session_facts
from outreach.feeds.syndication import Channel, Entry
from outreach.i18n import current_language
from outreach.links import base_url, public_url
from outreach.localtime import local_date, local_zone
from outreach.registrations import services as registration_services
from outreach.registrations.models import Registration

__all__ = ["bp", "feed_url", "session_facts"]

bp = Blueprint("feeds", __name__)

REFRESH = timedelta(hours=1)
# Part of every cache key: raise it when the way feeds are written changes, so that bodies
# built by the old code (kept in Redis across a deployment) are not served by the new.
FORMAT = "3"
# The sessions an Atom or RSS feed holds: the nearest, from today on. News readers keep
# entries they have seen, so a feed needs only what is coming soon.
SYNDICATED_ENTRIES = 200


def _feed_language() -> str:
    """`?lang=` when it names a language of the site, else the default (Chinese)."""
    value = (request.args.get("lang") or "").lower()
    return value if value in i18n.supported() else current_app.config["BABEL_DEFAULT_LOCALE"]


def _site() -> str:
    """Part of every cache key, since bodies hold absolute links: the configured public
    address, else (development) the request's. A forged Host then adds no cache entries."""
    return base_url() or request.host_url


def _slugs(dimension: str | None = None, slug: str | None = None) -> dict[str, str]:
    """The feed's filters, from its path and its query, in the order names list them."""
    asked = {name: (request.args.get(name) or "").strip() for name in services.DIMENSIONS}
    if dimension is not None:
        if asked[dimension] and asked[dimension] != slug:
            raise InvalidInput(_("The calendar address and its filters ask for different things."))
        asked[dimension] = slug or ""
    return {name: value for name, value in asked.items() if value}


def _built(name: str, facts: list[SessionFacts], start: datetime) -> BuiltFeed:
    """The calendar, and its last change: the newest entry's, or the window's start."""
    body = build_calendar(name, facts, local_zone(), refresh=REFRESH)
    return BuiltFeed.of(body, max((f.last_modified for f in facts), default=start))


def _cut_description(start: datetime) -> Callable[[int], str]:
    """What a feed cut short says of itself, given how many sessions it shows."""
    home = public_url("events.index")
    day = formatting.day(local_date(start), with_year=True)

    def describe(shown: int) -> str:
        return _(
            "This calendar shows the first %(num)d sessions from %(day)s on: calendar apps "
            "stop reading larger ones. Later sessions are on %(site)s, and in the smaller "
            "calendars of each community, street or township, organiser and kind of event.",
            num=shown,
            day=day,
            site=home,
        )

    return describe


def _bounded(name: str, facts: list[SessionFacts], start: datetime, more: bool) -> BuiltFeed:
    """A public calendar under FEED_MAX_BYTES, keeping the earliest sessions that fit; its
    last change is the newest shown entry's, or the window's start."""
    bounded = build_bounded_calendar(
        name,
        facts,
        local_zone(),
        refresh=REFRESH,
        max_bytes=services.max_bytes(),
        more=more,
        cut_description=_cut_description(start),
    )
    shown = facts[: bounded.shown]
    return BuiltFeed.of(bounded.body, max((f.last_modified for f in shown), default=start))


def _build_public(ids: dict[str, int], language: str, start: datetime) -> BuiltFeed:
    with force_locale(language):
        rows = services.public_sessions(ids, start)
        facts = [session_facts(s, language, taken=taken) for s, taken in rows]
        name = content.calendar_name(services.named(ids), language)
        return _bounded(name, facts, start, more=len(rows) >= services.max_sessions())


def _public_feed(dimension: str | None = None, slug: str | None = None, kind: str = "ics"):
    """A public feed (a calendar, or Atom or RSS): one version query, then the cached body
    or a fresh build."""
    slugs = _slugs(dimension, slug)
    language = _feed_language()
    calendar = kind == "ics"
    start = services.window_start() if calendar else services.upcoming_start()
    version = remembered_version(
        ("public", start, *slugs.items()), lambda: services.public_version(slugs, start)
    )
    parts = (kind, FORMAT, _site(), language, *(f"{k}={v}" for k, v in slugs.items()))
    ids = dict(version.ids)

    def build() -> BuiltFeed:
        if calendar:
            return _build_public(ids, language, start)
        return _build_syndicated(kind, ids, slugs, language, start)

    feed = cached(parts, version.stamp, build)
    content_type = responses.CONTENT_TYPE if calendar else syndication.KINDS[kind]
    return responses.respond(feed, public=True, content_type=content_type)


def _syndicated_entry(event_session: EventSession, language: str, taken: int) -> Entry:
    """A session as a news entry: the calendar entry's facts, its day and time in the title."""
    facts = session_facts(event_session, language, taken=taken)
    day = formatting.day(local_date(event_session.starts_at))
    time = formatting.session_time(event_session)
    when = formatting.day(local_date(event_session.starts_at), with_year=True)
    return Entry(
        facts=facts,
        title=f"{facts.summary} · {day} {time}",
        when=formatting.with_zone(f"{when} {time}"),
    )


def _build_syndicated(
    kind: str, ids: dict[str, int], slugs: dict[str, str], language: str, start: datetime
) -> BuiltFeed:
    with force_locale(language):
        rows = services.public_sessions(ids, start, limit=SYNDICATED_ENTRIES)
        entries = [_syndicated_entry(s, language, taken) for s, taken in rows]
        lang = {"lang": language} if language != current_app.config["BABEL_DEFAULT_LOCALE"] else {}
        dimension = next(iter(slugs), None)
        if dimension is None:
            url = public_url("feeds.all_syndicated", kind=kind, **slugs, **lang)
            page = public_url("events.index", **lang)
        else:
            scope = services.PLURALS[dimension]
            others = {k: v for k, v in slugs.items() if k != dimension}
            url = public_url(
                "feeds.syndicated", scope=scope, slug=slugs[dimension], kind=kind, **others, **lang
            )
            page = public_url(f"events.{dimension}", slug=slugs[dimension], **lang)
        last = max((e.facts.last_modified for e in entries), default=start)
        channel = Channel(
            title=content.calendar_name(services.named(ids), language),
            subtitle=_("Coming sessions, each with its time, place and event page."),
            page=page,
            url=url,
            language=language,
            updated=last,
        )
        return BuiltFeed.of(syndication.build(kind, channel, entries), last)


@bp.get("/feeds/all.ics")
def all_sessions():
    """Every public session, filtered by ?township=, ?community=, ?organisation=, ?category=."""
    return _public_feed()


@bp.get("/feeds/all.<any(atom, rss):kind>")
def all_syndicated(kind: str):
    """Every public session from today on as Atom or RSS, filtered as /feeds/all.ics is."""
    return _public_feed(kind=kind)


@bp.get(f"/feeds/<any({', '.join(services.SINGULARS)}):scope>/<slug>.<any(atom, rss):kind>")
def syndicated(scope: str, slug: str, kind: str):
    """A township's, community's, organisation's or kind's sessions from today on, as Atom
    or RSS, for news readers and the editors of WeChat accounts and websites."""
    return _public_feed(services.SINGULARS[scope], slug, kind)


@bp.get("/feeds/townships/<slug>.ics")
def township(slug: str):
    """Sessions at every venue of a township: in its communities and its own."""
    return _public_feed("township", slug)


@bp.get("/feeds/communities/<slug>.ics")
def community(slug: str):
    """Sessions at the venues of one community."""
    return _public_feed("community", slug)


@bp.get("/feeds/organisations/<slug>.ics")
def organisation(slug: str):
    """Sessions of one organisation's events."""
    return _public_feed("organisation", slug)


@bp.get("/feeds/categories/<slug>.ics")
def category(slug: str):
    """Sessions of one kind of event."""
    return _public_feed("category", slug)


def _build_event(event_id: int, language: str, start: datetime) -> BuiltFeed:
    with force_locale(language):
        rows = services.public_sessions({"event": event_id}, start)
        facts = [session_facts(s, language, taken=taken) for s, taken in rows]
        # Usually in the identity map already, loaded with the sessions.
        event = db.session.get(Event, event_id)
        more = len(rows) >= services.max_sessions()
        return _bounded(event.text("title", language) if event else "", facts, start, more)


@bp.get("/feeds/events/<id:event_id>.ics")
def event_feed(event_id: int):
    """The sessions of one event: a campaign across communities, or a series."""
    language = _feed_language()
    start = services.window_start()
    version = remembered_version(
        ("event", start, event_id), lambda: services.event_version(event_id, start)
    )
    parts = ("event", FORMAT, _site(), language, str(event_id))
    feed = cached(parts, version.stamp, lambda: _build_event(event_id, language, start))
    return responses.respond(feed, public=True)


@bp.get("/events/<id:event_id>/calendar")
def event_calendar(event_id: int):
    """A page to subscribe to one event's feed: what a poster's calendar QR code opens, since
    phone cameras and WeChat open https pages but not webcal:// links."""
    event = event_services.public_event(event_id)
    feed = subscribe.subscription(subscribe.event_url(event.id))
    return render_template("feeds/event_calendar.html", event=event, feed=feed)


@bp.get("/subscribe/<kind>/<slug>")
def subscribe_page(kind: str, slug: str):
    """The page a subscribe QR code opens: every way to add a township's, community's,
    organiser's or kind's calendar (?category= / ?organisation= narrow it), in the reader's
    language. WeChat's scanner opens https pages, not webcal:// links."""
    if kind not in subscribe.SCOPES:
        raise NotFoundError("calendar", kind)
    slugs = _slugs(kind, slug)
    version = services.public_version(slugs, services.window_start())
    filters = {name: value for name, value in slugs.items() if name != kind}
    feed = subscribe.subscribe_to(kind, slug, **filters)
    name = content.calendar_name(services.named(version.ids), current_language())
    return render_template("feeds/subscribe.html", name=name, feed=feed, personal=False)


@bp.get("/subscribe/me/<token>")
def subscribe_personal(token: str):
    """The page the manage page's calendar QR code opens: how to add the resident's own feed.
    Private like the feed: not stored, not indexed, not sent on as a referrer."""
    owner = services.feed_owner(token)
    feed = subscribe.subscription(feed_url(owner))
    page = render_template(
        "feeds/subscribe.html", name=_("My registrations"), feed=feed, personal=True
    )
    return page  # private, unindexed, no Referer: outreach/headers.py, for /subscribe/me/


def _build_personal(token: str, language: str, start: datetime) -> BuiltFeed:
    with force_locale(language):
        registrations = services.personal_registrations(token, start)
        reminder = own.reminder()
        facts = [content.registration_facts(r, language, reminder) for r in registrations]
        return _built(_("My registrations"), facts, start)


@bp.get("/feeds/me/<token>.ics")
def personal(token: str):
    """The active registrations carrying this feed token, with reminders."""
    language = _feed_language()
    start = services.window_start()
    version = services.personal_version(token, start)
    parts = ("me", FORMAT, _site(), language, token, str(own.reminder()))
    feed = cached(parts, version.stamp, lambda: _build_personal(version.token, language, start))
    return responses.respond(feed, public=False)


@bp.post("/r/<token>/feed/reset")
def reset_personal(token: str):
    """From the manage page: new calendar links for the resident; the old ones answer 404."""
    registration = registration_services.by_token(token)
    services.reset_feed_tokens(registration)
    db.session.commit()
    flash(_("Your calendar link has changed. Subscribe again with the new link."), "info")
    return redirect(url_for("registrations.manage", token=token))


def feed_url(registration: Registration) -> str:
    """The https address of a resident's personal feed, in the language they registered in."""
    language = {"lang": registration.language} if registration.language != "zh" else {}
    return public_url("feeds.personal", token=registration.feed_token, **language)


@bp.get("/r/<token>.ics")
def registration_ics(token: str):
    """A resident's own registration as a calendar file: the slot's time window, the code and
    the manage link, the UID of its entry in the personal feed, reminders from the slot's
    start. A cancelled registration gives a cancelled entry (same UID, next SEQUENCE), so
    that opening the file again strikes or removes the entry already in the calendar."""
    registration = registration_services.by_token(token)
    if registration.purged_at is not None:
        raise NotFoundError("registration", "token")
    body = own.own_file(registration, current_language())
    response = current_app.make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    filename = f"registration-{registration.code}.ics"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # private, unindexed, no Referer: outreach/headers.py, for /r/


def forget_session_reads(response: Response) -> Response:
    """Feeds do not depend on the session: keep `Vary: Cookie` off them, so shared caches
    store one copy. (Flask-Login's after-request hook reads the session on every request.)"""
    if request.path.startswith("/feeds/"):
        session.accessed = False
    return response


@bp.errorhandler(NotFoundError)
@bp.errorhandler(InvalidInput)
def _feed_error(error: NotFoundError | InvalidInput):
    """Feeds answer errors in a line of plain text: calendar apps show no HTML."""
    http_error = error.to_http()
    if not request.path.startswith("/feeds/"):
        return errors.handle_http_error(http_error)
    response = Response(
        f"{http_error.description}\n",
        status=http_error.code,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sessions/<id:session_id>.ics")
def session_ics(session_id: int):
    """One session as a calendar file to open or import."""
    event_session = event_services.public_session(session_id)
    language = current_language()
    taken = registration_services.seats_taken([session_id]).get(session_id, 0)
    body = build_calendar(
        event_session.event.text("title", language),
        [session_facts(event_session, language, taken=taken)],
        local_zone(),
        refresh=None,
    )
    response = current_app.make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    response.headers["Cache-Control"] = "public, max-age=300"
    # The text follows the reader's language (cookie or Accept-Language).
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
