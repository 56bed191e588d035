"""Headless Chromium for the page tests, the README's screenshot and the report benchmark.

The browser is Debian's ``chromium`` (``make system-deps`` installs it), driven by Playwright's
Python package through ``executable_path``: ``playwright install``, which downloads a browser
build of its own, is never needed. The flags keep it off the network and quiet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("PSP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@contextmanager
def chromium() -> Iterator[Any]:
    """A running headless Chromium (a Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """What a page said while it was open: console errors, uncaught exceptions, and requests
    that left the page's own folder."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))


def open_page(browser: Any, path: Path, *, width: int = 1280, height: int = 900) -> tuple[Any, PageWatch]:
    """Open a local page as a file:// URL and wait until its script has drawn it."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = PageWatch(page)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-ready]", state="attached", timeout=30_000)
    return page, watch
