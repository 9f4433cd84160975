"""The bench's part `cache`: unchanged public pages served from the page cache, beside the
same bytes answered from memory (outreach/pages/bench_floor.py, the "page floor").

For each page (home, community, event) three kinds of request take turns over the rounds:
the floor, the page answered 200, and the page answered 304 to the validator it gave. Pages
with a form (the event page) carry each visitor's token: their 200 is a first visit (a new
session each time, as wrk keeps no cookies) and their 304 is a returning visitor sending
their session cookie and validator. Each rate is the median of its runs.
"""

from __future__ import annotations

import statistics
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from bench import wrk

# An unchanged page answered 200 or 304 at least this share of the floor's rate.
TARGET = 0.3


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[dict[str, str], bytes]:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=120) as response:  # noqa: S310
            return dict(response.headers), response.read()
    except HTTPError as answer:
        if answer.code != 304:
            raise
        return dict(answer.headers), b""


def _session_cookie(headers: dict[str, str]) -> str | None:
    """The name=value of the session cookie a page set, if it set one."""
    for name, value in headers.items():
        if name.lower() == "set-cookie":
            return value.split(";", 1)[0]
    return None


def _kinds(server: Any, path: str, workers: int) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, url, headers) of the floor, the 200 and the 304 of one page, warmed up."""
    page = server.url + path
    floor = f"{server.url}/_bench/floor/pages{path}"
    headers, _body = _get(page)
    revalidate = {"If-None-Match": headers["ETag"]}
    cookie = _session_cookie(headers)
    if cookie:
        revalidate["Cookie"] = cookie
    for _ in range(workers * 3):  # every worker has the page cached and its floor filled
        _get(page)
        _get(page, revalidate)
        _get(floor)
    return [("floor", floor, {}), ("200", page, {}), ("304", page, revalidate)]


def measure_cache(
    server: Any, urls: dict[str, str], plan: Any, workers: int, results: Any
) -> dict[str, dict[str, float]]:
    """Rates of the floor, 200 and 304 of each page; rows added to `results`."""
    rates: dict[str, dict[str, float]] = {}
    for name, path in urls.items():
        kinds = _kinds(server, path, workers)
        runs: dict[str, list[wrk.Result]] = {}
        for _round in range(plan.rounds):
            for kind, url, headers in kinds:
                run = wrk.run(url, seconds=plan.seconds, connections=workers * 2, headers=headers)
                runs.setdefault(kind, []).append(run)
        rate = {kind: statistics.median(r.rate for r in found) for kind, found in runs.items()}
        p95 = {kind: statistics.median(r.p95_ms for r in found) for kind, found in runs.items()}
        rates[name] = rate
        label = f"{workers} workers"
        floor = rate["floor"]
        results.add(
            f"{name} page floor: its bytes from memory, {label}",
            f"{floor:,.0f} req/s (median of {plan.rounds}); p95 {p95['floor']:.1f} ms",
        )
        for kind in ("200", "304"):
            ratio = rate[kind] / floor if floor else 0.0
            errors = sum(r.errors + r.non_2xx_3xx for r in runs[kind])
            results.add(
                f"{name} page unchanged, answered {kind} from the cache, {label}",
                f"{rate[kind]:,.0f} req/s = {ratio:.2f}× floor; p95 {p95[kind]:.1f} ms; "
                f"{errors} errors",
                f"≥ {TARGET}× floor, 0 errors",
                ratio >= TARGET and errors == 0,
            )
    return rates
