"""Configuration: defaults, then `instance/config.py`, then `OUTREACH_*` environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "TIMEZONE": "Asia/Shanghai",
    "UID_DOMAIN": None,
    "LANGUAGES": ("zh", "en"),
    "BABEL_DEFAULT_LOCALE": "zh",
    "PER_PAGE": 30,
    # Rows on a page of a staff list (places, accounts, the audit trail, the outbox…).
    "STAFF_PER_PAGE": 50,
    # Sessions the statistics overview adds up at once; a wider choice is refused with a
    # message asking for a shorter period (or one organisation or category).
    "STATS_MAX_SESSIONS": 20000,
    "API_PER_PAGE": 20,
    "API_MAX_PER_PAGE": 100,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # A pooled connection is checked (SELECT 1) before use when it sat unused this many
    # seconds, or when the server wrote to it meanwhile (a restart or a killed backend says
    # so), instead of before every request (see outreach.database.watch_pool).
    "DATABASE_PING_AFTER_IDLE": 10.0,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "outreach_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Remember-me ("keep me signed in") lasts two weeks at most; it is also ended by signing
    # out, a new password, a role taken away and deactivation (see accounts.services).
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # A staff session unused for this long is signed out (see accounts.guard).
    "STAFF_IDLE_MINUTES": 120,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    "LOGIN_ATTEMPTS": "10 per 15 minutes",
    "REGISTRATION_ATTEMPTS": "30 per minute",
    # Searches of session rosters per staff account (each is also audited).
    "ROSTER_SEARCHES": "60 per minute",
    # A manager's refused attempts to make an account ("already taken" tells a name exists).
    "NEW_ACCOUNT_ATTEMPTS": "10 per hour",
    "RETENTION_DAYS": 90,
    # How many reverse proxies stand in front of the app (their X-Forwarded-* headers are
    # trusted, so rate limits see each client's own address). 0: none.
    "PROXY_FIX": 0,
    # Who may read /metrics (Prometheus): networks in CIDR notation, as the client's address
    # is seen (behind a proxy, PROXY_FIX must count it); everyone else is answered 404.
    "METRICS_ALLOW": ("127.0.0.1/32", "::1/128"),
    "JSON_SORT_KEYS": False,
    # Uploads (calendar files) and forms stay small; a larger body is answered with 413.
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # Calendar feeds: how far back they reach, how long clients and proxies may keep them,
    # the reminder of personal feeds, and the cache of built feeds (in-process unless
    # CACHE_URL names a Redis server, so that several app servers share it).
    "FEED_LOOKBACK_DAYS": 30,
    "FEED_MAX_AGE": 900,
    "FEED_REMINDER_MINUTES": 120,
    "CACHE_URL": None,
    "FEED_CACHE_TTL": 3600,
    "FEED_CACHE_MAX_BYTES": 64 * 1024 * 1024,
    "FEED_CACHE_PREFIX": "outreach:feed:",
    # Seconds a worker trusts a public feed's data version before asking the database again.
    "FEED_VERSION_TTL": 5,
    # Seconds a shared cache (nginx proxy_cache) may keep a public page that is the same for
    # everyone (s-maxage); browsers revalidate every time. See outreach/pages/serving.py.
    "PAGE_SHARED_MAX_AGE": 10,
    # The most sessions a public feed holds (the earliest in its window); see feeds.services.
    "FEED_MAX_SESSIONS": 2000,
    # The most bytes a public feed holds (the earliest sessions that fit): Google Calendar
    # stops reading feeds of about 1 MB.
    "FEED_MAX_BYTES": 1_000_000,
    # The public address of the site, for every absolute link (messages, feeds, posters, the
    # API; see outreach/links.py); None: SERVER_NAME, else the request's (development).
    "BASE_URL": None,
    # The font files share images are drawn with (Noto Sans CJK, Debian's fonts-noto-cjk);
    # without them event pages offer the share text alone.
    "FONT_REGULAR": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "FONT_BOLD": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    # More host names the site answers to besides BASE_URL's (e.g. an internal address for
    # staff). Once BASE_URL is set, a request naming any other Host is refused with 400.
    "EXTRA_TRUSTED_HOSTS": (),
    # Development: no warning at start-up without BASE_URL, and `deliver` runs without it
    # (links then point at http://localhost). DEBUG and TESTING count as development too.
    "DEVELOPMENT": False,
    # E-mail over SMTP: off while MAIL_SERVER is None. MAIL_USE_TLS means STARTTLS.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_SENDER": None,
    "MAIL_TIMEOUT": 30,
    # Text messages: a JSON POST {"phone", "text"} to an SMS gateway; off while None.
    "SMS_WEBHOOK_URL": None,
    "SMS_WEBHOOK_TIMEOUT": 10,
    # The sign-off gateways put on each text, e.g. 【朝阳社区】: counted in its 70 characters.
    "SMS_SIGNATURE": "",
    # Template mode: POST {"phone", "template", "params"} (the README lists the templates to
    # file with the provider) instead of {"phone", "text"}.
    "SMS_TEMPLATE_MODE": False,
    # The most characters in a text: 70, one segment as mainland carriers count it (any
    # alphabet); up to 160 for gateways that bill GSM-7 texts by the 160-character segment.
    "SMS_MAX_LENGTH": 70,
    # A shorter public address of the site for the links in text messages (each of its
    # characters is one less for the event's title), e.g. https://cy.example.cn; None:
    # BASE_URL. Its host is trusted like BASE_URL's.
    "SMS_LINK_BASE": None,
    # Phone verification: a resident's registration needs a one-time code texted to the
    # number (registrations/verification.py). None: on exactly when SMS_WEBHOOK_URL is set.
    "VERIFY_PHONES": None,
    # Seconds before another code may be texted to the same number.
    "PHONE_CODE_COOLDOWN": 60,
    # Minutes a browser that proved a number may register it again without a new code.
    "VERIFIED_MINUTES": 30,
    # Caps per number and local calendar day: texts of every kind (codes included), and
    # registrations residents make (cancelled ones count; staff's do not).
    "TEXTS_PER_NUMBER_PER_DAY": 10,
    "REGISTRATIONS_PER_NUMBER_PER_DAY": 10,
    # Rate limits (Flask-Limiter): code requests per client address and per number, and
    # cancellations by residents (the API's DELETE and the manage page) per client address.
    "PHONE_CODE_ATTEMPTS": "10 per 10 minutes",
    "PHONE_CODE_ATTEMPTS_PER_NUMBER": "3 per 10 minutes",
    "CANCEL_ATTEMPTS": "10 per hour",
    # Follows (outreach/follows): the local hour from which `flask follows digest` queues
    # the day's digest (at most one a day per follower), and the most digests a week to one
    # number or address (what waits goes in the next allowed one).
    "FOLLOW_DIGEST_HOUR": 18,
    "FOLLOW_DIGESTS_PER_WEEK": 3,
    # `flask deliver`: attempts before a message is given up as failed, the first retry's
    # delay (doubled each time, at most an hour), and the pause between rounds.
    "DELIVERY_MAX_ATTEMPTS": 8,
    "DELIVERY_RETRY_SECONDS": 60,
    "DELIVERY_INTERVAL": 30,
    # Calendar imports: the most sessions one import may read (repeat rules expanded) and
    # the seconds it may take, reading and writing; past either it stops and changes nothing.
    # Keep the seconds well under the server's worker timeout (gunicorn: 30).
    "IMPORT_MAX_SESSIONS": 5000,
    "IMPORT_SECONDS": 20,
    # Benchmark-only routes (`scripts/bench`): never on in production.
    "BENCH_ROUTES": False,
}


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _words(value: str) -> tuple[str, ...]:
    return tuple(word for word in value.replace(",", " ").split() if word)


# Environment variable suffix → config key, with a converter for typed values.
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "DATABASE_PING_AFTER_IDLE": ("DATABASE_PING_AFTER_IDLE", float),
    "SECRET_KEY": ("SECRET_KEY", str),
    "TIMEZONE": ("TIMEZONE", str),
    "UID_DOMAIN": ("UID_DOMAIN", str),
    "SERVER_NAME": ("SERVER_NAME", str),
    "PER_PAGE": ("PER_PAGE", int),
    "STAFF_PER_PAGE": ("STAFF_PER_PAGE", int),
    "STATS_MAX_SESSIONS": ("STATS_MAX_SESSIONS", int),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", str),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
    "ROSTER_SEARCHES": ("ROSTER_SEARCHES", str),
    "NEW_ACCOUNT_ATTEMPTS": ("NEW_ACCOUNT_ATTEMPTS", str),
    "RETENTION_DAYS": ("RETENTION_DAYS", int),
    "STAFF_IDLE_MINUTES": ("STAFF_IDLE_MINUTES", int),
    "PROXY_FIX": ("PROXY_FIX", int),
    "METRICS_ALLOW": ("METRICS_ALLOW", _words),
    "FEED_LOOKBACK_DAYS": ("FEED_LOOKBACK_DAYS", int),
    "FEED_MAX_AGE": ("FEED_MAX_AGE", int),
    "FEED_REMINDER_MINUTES": ("FEED_REMINDER_MINUTES", int),
    "CACHE_URL": ("CACHE_URL", str),
    "FEED_VERSION_TTL": ("FEED_VERSION_TTL", float),
    "FEED_MAX_SESSIONS": ("FEED_MAX_SESSIONS", int),
    "PAGE_SHARED_MAX_AGE": ("PAGE_SHARED_MAX_AGE", int),
    "FEED_MAX_BYTES": ("FEED_MAX_BYTES", int),
    "BASE_URL": ("BASE_URL", str),
    "FONT_REGULAR": ("FONT_REGULAR", str),
    "FONT_BOLD": ("FONT_BOLD", str),
    "TRUSTED_HOSTS": ("EXTRA_TRUSTED_HOSTS", _words),
    "DEVELOPMENT": ("DEVELOPMENT", _flag),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _flag),
    "MAIL_SENDER": ("MAIL_SENDER", str),
    "SMS_WEBHOOK_URL": ("SMS_WEBHOOK_URL", str),
    "SMS_SIGNATURE": ("SMS_SIGNATURE", str),
    "SMS_TEMPLATE_MODE": ("SMS_TEMPLATE_MODE", _flag),
    "SMS_MAX_LENGTH": ("SMS_MAX_LENGTH", int),
    "SMS_LINK_BASE": ("SMS_LINK_BASE", str),
    "VERIFY_PHONES": ("VERIFY_PHONES", _flag),
    "TEXTS_PER_NUMBER_PER_DAY": ("TEXTS_PER_NUMBER_PER_DAY", int),
    "REGISTRATIONS_PER_NUMBER_PER_DAY": ("REGISTRATIONS_PER_NUMBER_PER_DAY", int),
    "DELIVERY_MAX_ATTEMPTS": ("DELIVERY_MAX_ATTEMPTS", int),
    "FOLLOW_DIGEST_HOUR": ("FOLLOW_DIGEST_HOUR", int),
    "FOLLOW_DIGESTS_PER_WEEK": ("FOLLOW_DIGESTS_PER_WEEK", int),
    "BENCH_ROUTES": ("BENCH_ROUTES", _flag),
    "IMPORT_MAX_SESSIONS": ("IMPORT_MAX_SESSIONS", int),
    "IMPORT_SECONDS": ("IMPORT_SECONDS", float),
}


def instance_path() -> str:
    """The folder of instance/config.py, the generated secret key and the default SQLite file:
    `instance/` beside the package, unless OUTREACH_INSTANCE_PATH moves it (tests point it at
    a temporary directory)."""
    default = Path(__file__).resolve().parent.parent / "instance"
    return os.environ.get("OUTREACH_INSTANCE_PATH") or str(default)


def normalise_database_url(url: str) -> str:
    """Let a plain `postgresql://` URL select psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance_path: Path) -> str:
    """Read the generated secret key kept in the instance folder, creating it on first use."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    # Created with mode 0600 so other local users cannot read it; another process may have
    # won the race to create it, in which case its key is the one to use.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill `app.config` from the layers, in order of increasing priority."""
    instance_path = Path(app.instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'outreach.sqlite3'}"
    # An absolute path: a relative one would be read from the package (outreach/config.py).
    app.config.from_pyfile(str(instance_path / "config.py"), silent=True)
    for suffix, (key, convert) in ENVIRONMENT.items():
        value = os.environ.get(f"OUTREACH_{suffix}")
        if value:
            app.config[key] = convert(value)
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance_path)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    # A secure session cookie implies a secure remember-me cookie.
    if app.config.get("REMEMBER_COOKIE_SECURE") is None:
        app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    _check_text_links(app.config)


def _check_text_links(config: Any) -> None:
    """A text's short link holds a secret: a phone must not open it over plain HTTP."""
    short = config.get("SMS_LINK_BASE")
    if short and urlsplit(short).scheme != "https" and not is_development(config):
        raise ValueError("OUTREACH_SMS_LINK_BASE must be an https:// address")


def is_development(config: Any) -> bool:
    """Is this a development or test setup (DEBUG, TESTING or OUTREACH_DEVELOPMENT)? Anything
    else is treated as production."""
    return bool(config.get("DEBUG") or config.get("TESTING") or config.get("DEVELOPMENT"))


def trusted_hosts(config: Any) -> list[str] | None:
    """The Host names Flask accepts: BASE_URL's host and the extra ones; None (any) until
    BASE_URL is set, so development and the test suite's own hosts keep working."""
    base_url = config.get("BASE_URL")
    if not base_url:
        return config.get("TRUSTED_HOSTS")
    host = urlsplit(base_url).hostname
    # A short address for text messages' links may lead to this site too.
    short = urlsplit(config.get("SMS_LINK_BASE") or "").hostname
    extra = [*config.get("EXTRA_TRUSTED_HOSTS", ()), *([short] if short else [])]
    return [host, *extra] if host else None
