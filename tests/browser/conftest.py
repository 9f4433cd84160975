"""A live server on 127.0.0.1 and a headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.liveserver import serving

CHROMIUM = os.environ.get("OUTREACH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test's application served on a free loopback port for the test's duration."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; required under CI, skipped elsewhere when absent."""
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page with large text, as many residents use."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _chinese_fonts() -> bool:
    """Whether fontconfig knows a font with Chinese characters (fonts-noto-cjk)."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


@pytest.fixture
def sheet(browser):
    """A desktop page that lays pages out as they print (posters, sign-in sheets), in Chinese
    type."""
    if not _chinese_fonts():
        if os.environ.get("CI") == "true":
            pytest.fail(
                "printed pages need Chinese fonts under CI: .ci/run installs fonts-noto-cjk"
            )
        pytest.skip("printed pages need Chinese fonts (Debian's fonts-noto-cjk)")
    context = browser.new_context(viewport={"width": 1000, "height": 1200}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.emulate_media(media="print")
    yield page
    context.close()
