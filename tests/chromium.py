"""Debian's Chromium for the browser tests, driven by Playwright (its own browser download
does not work on our machines). Skipped, with the reason, where it is not installed."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium")
NOT_INSTALLED = "chromium is not installed (apt-get install chromium)"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Playwright's sync API keeps an event loop in this thread; the ORM calls made between page
# loads are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip(NOT_INSTALLED)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()
