"""The cache of built feeds: a body is looked up by its feed and data version, not rebuilt.

A feed's data version (see `feeds.services`) moves whenever anything it shows changes, so an
entry never needs invalidating: a changed feed simply asks for a key that is not there yet,
and old entries age out. In-process by default (bounded, least recently used first);
Redis when `CACHE_URL` names one, so that several app servers share the built bodies.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

import cachetools
import redis
from flask import Flask, current_app

from outreach.feeds.signals import cache_lookup

EXTENSION = "outreach.feed_cache"
VERSIONS_EXTENSION = "outreach.feed_versions"
T = TypeVar("T")


@dataclass(frozen=True)
class BuiltFeed:
    """A feed as served: the body, its gzip form, its entity tag and its last change."""

    body: bytes
    gzipped: bytes
    etag: str  # unquoted; the hash of the uncompressed body
    last_modified: datetime

    @classmethod
    def of(cls, body: bytes, last_modified: datetime, compresslevel: int = 6) -> BuiltFeed:
        """Compress once and hash once, when the feed is built."""
        return cls(
            body=body,
            # mtime=0: the same body compresses to the same bytes on every server.
            gzipped=gzip.compress(body, compresslevel=compresslevel, mtime=0),
            etag=hashlib.sha256(body).hexdigest()[:32],
            last_modified=last_modified,
        )

    @property
    def size(self) -> int:
        """Bytes held in memory by the two bodies."""
        return len(self.body) + len(self.gzipped)

    def encode(self) -> bytes:
        """One byte string for an external store: a JSON header line, then the two bodies."""
        header = {
            "etag": self.etag,
            "last_modified": self.last_modified.isoformat(),
            "length": len(self.body),
        }
        return json.dumps(header).encode() + b"\n" + self.body + self.gzipped

    @classmethod
    def decode(cls, data: bytes) -> BuiltFeed:
        """The inverse of `encode`."""
        line, _, rest = data.partition(b"\n")
        header = json.loads(line)
        length = header["length"]
        return cls(
            body=rest[:length],
            gzipped=rest[length:],
            etag=header["etag"],
            last_modified=datetime.fromisoformat(header["last_modified"]),
        )


class FeedCache(Protocol):
    """Where built feeds are kept."""

    def get(self, key: str) -> BuiltFeed | None:
        """The feed stored under `key`, if any."""

    def set(self, key: str, feed: BuiltFeed) -> None:
        """Store a feed under `key`."""


def cache_key(parts: Iterable[str], version: str) -> str:
    """A fixed-length key; hashed so that secret tokens in `parts` are never stored."""
    text = "\x1f".join(parts) + "\x1e" + version
    return hashlib.sha256(text.encode()).hexdigest()


class MemoryCache:
    """An in-process store bounded by bytes, evicting the least recently used entries."""

    def __init__(self, max_bytes: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, BuiltFeed]] = OrderedDict()
        self._bytes = 0
        # Threaded servers share one process: the dictionary and the byte count move together.
        self._lock = threading.Lock()

    def get(self, key: str) -> BuiltFeed | None:
        """The entry, unless missing or older than the time to live."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, feed = entry
            if self.clock() - stored_at > self.ttl:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return feed

    def set(self, key: str, feed: BuiltFeed) -> None:
        """Store the entry and evict the oldest ones beyond the size bound."""
        if feed.size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (self.clock(), feed)
            self._bytes += feed.size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _stored_at, feed = self._entries.pop(key)
        self._bytes -= feed.size

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache:
    """A store shared by all app servers; entries expire after the time to live.

    Redis being unreachable costs a rebuild, never an error page: a feed is still served.
    """

    def __init__(self, url: str, ttl: int, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.ttl = ttl
        self.prefix = prefix

    def get(self, key: str) -> BuiltFeed | None:
        """The entry, or None when missing, unreadable or Redis is down."""
        try:
            data = self.client.get(self.prefix + key)
        except redis.RedisError as error:
            current_app.logger.warning("feed cache unavailable: %s", error)
            return None
        if data is None:
            return None
        try:
            return BuiltFeed.decode(data)
        except (ValueError, KeyError):
            return None  # written by another version of the code: rebuild and overwrite

    def set(self, key: str, feed: BuiltFeed) -> None:
        """Store the entry with its expiry; a failure only costs a rebuild next time."""
        try:
            self.client.set(self.prefix + key, feed.encode(), ex=self.ttl)
        except redis.RedisError as error:
            current_app.logger.warning("feed cache unavailable: %s", error)


def _create(app: Flask) -> FeedCache:
    ttl = app.config["FEED_CACHE_TTL"]
    if app.config.get("CACHE_URL"):
        return RedisCache(app.config["CACHE_URL"], ttl, app.config["FEED_CACHE_PREFIX"])
    return MemoryCache(app.config["FEED_CACHE_MAX_BYTES"], ttl)


def feed_cache() -> FeedCache:
    """The application's feed cache, created on first use from its configuration."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = _create(app)
    return app.extensions[EXTENSION]


def cached(
    parts: Iterable[str], version: str, build: Callable[[], BuiltFeed], kind: str = "feed"
) -> BuiltFeed:
    """The body for `parts` at `version`: from the cache, or built once and stored; `kind`
    (a feed or a page) is what the lookup is counted as."""
    store = feed_cache()
    key = cache_key(parts, version)
    feed = store.get(key)
    cache_lookup.send(kind=kind, hit=feed is not None)
    if feed is None:
        feed = build()
        store.set(key, feed)
    return feed


class VersionMemo:
    """Data versions of public feeds, remembered in this process for FEED_VERSION_TTL seconds.

    Calendar apps poll unchanged feeds over and over; without this each poll costs a
    query even when it is answered 304. Clients are told to keep a feed for FEED_MAX_AGE
    (minutes) anyway, so a change showing a few seconds later costs nobody anything.
    """

    def __init__(
        self, ttl: float, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._versions: cachetools.TTLCache = cachetools.TTLCache(max_entries, ttl, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: tuple, read: Callable[[], T]) -> T:
        """The version remembered under `key`, or `read()` (remembered unless ttl is 0)."""
        if self.ttl <= 0:
            return read()
        with self._lock:
            found = self._versions.get(key)
        if found is None:
            found = read()  # outside the lock: other threads need not wait for the query
            with self._lock:
                self._versions[key] = found
        return found


def remembered_version(key: tuple, read: Callable[[], T]) -> T:
    """A feed's data version through the application's memo."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    memo = app.extensions.get(VERSIONS_EXTENSION)
    if memo is None:
        memo = app.extensions.setdefault(
            VERSIONS_EXTENSION, VersionMemo(app.config["FEED_VERSION_TTL"])
        )
    return memo.get(key, read)
