"""Places: townships (streets and townships), communities and venues."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register yet: the place pages are part of the staff side."""
