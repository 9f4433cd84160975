"""Signals the feeds package sends, for higher layers (the metrics) to count."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent on every lookup of the cache of built bodies, with `kind` (what was looked up: "feed",
# "page") and `hit`: whether the body was found (False: it was built and stored).
cache_lookup = _signals.signal("feed-cache-lookup")
