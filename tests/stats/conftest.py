"""Fixtures of the statistics tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(client):
    """Pages in English: the figures are matched against the English headings."""
    client.set_cookie("lang", "en")
    return client
