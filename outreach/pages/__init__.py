"""Public pages near static speed: the pages everyone sees alike, served from the cache of
built bodies under a data version, with each visitor's own parts added when served."""

from __future__ import annotations

from flask import Flask

from outreach.pages import bench_floor, serving


def init_app(app: Flask) -> None:
    """Serve the public pages through the cache; the benchmark's floor route when asked."""
    serving.init_app(app)
    bench_floor.init_app(app)
