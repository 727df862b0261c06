"""The one way the tests drive a real browser: Debian's chromium, headless, through Playwright
(nothing downloaded; `make browser` installs it). Every browser test — the Prefect UI, the unit
portal, the council's, leadership's and the operator's pages — uses these fixtures (registered
in ``tests/conftest.py``) and helpers instead of launching its own.

- ``needs_chromium``: the mark that skips a module when chromium is missing (put it in the
  module's ``pytestmark`` so that no expensive fixture starts before the skip);
- ``chromium``: the browser, one per test module (launching costs about a second);
- ``page``: a fresh context per test (its own cookies and downloads), desktop-sized, Vietnamese;
- ``screenshots``: test-output/screenshots/, where every browser test leaves its pictures;
- ``on_a_phone``: the page at a phone's width, checked for sideways scrolling and photographed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = Path(os.environ.get("TONVINH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
DESKTOP: ViewportSize = {"width": 1400, "height": 1000}
PHONE: ViewportSize = {"width": 390, "height": 844}  # a common phone, in CSS pixels
TIMEOUT_MS = 30_000

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not found: `make browser` installs Debian's chromium (needs root)",
)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: `make browser` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(chromium: Browser, viewport: Any = None) -> Page:
    """A page in a fresh context of its own (its own cookies: another person), Vietnamese
    locale, downloads on; closed with the browser."""
    context = chromium.new_context(
        viewport=viewport or DESKTOP, locale="vi-VN", accept_downloads=True
    )
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    return opened


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    opened = new_page(chromium)
    try:
        yield opened
    finally:
        opened.context.close()


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def on_a_phone(page: Page, screenshot: Path) -> None:
    """The current page at a phone's width: it must not scroll sideways (wide tables scroll in
    their own box); photographed whole, then the window is set back to the desktop size."""
    page.set_viewport_size(PHONE)
    try:
        overflow = sideways_overflow(page)
        # The title, not the URL: a unit's URL carries its token.
        assert overflow <= 0, f"{page.title()!r} is {overflow}px too wide for a phone"
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.set_viewport_size(DESKTOP)
