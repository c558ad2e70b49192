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
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# The browser's language (Accept-Language): the people of these tests read Chinese, the
# site's language; tests/test_reading_browser.py reads in English too.
LOCALE = "zh-CN"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip(NOT_INSTALLED)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser, live_server):
    pages = []

    def open_(path, viewport=DESKTOP, color_scheme="light"):
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme, locale=LOCALE)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        response = page.goto(live_server.url + path)
        page.status = response.status
        pages.append(context)
        return page

    yield open_
    for context in pages:
        context.close()


def signed_in(open_page, django_user_model, username):
    """A page of the admin, signed in through its login form as a new superuser."""
    django_user_model.objects.create_superuser(username, f"{username}@example.org", "s3cret-pass-1")
    return logged_in(open_page, username)


def logged_in(open_page, username):
    """A new page of the admin, signed in through its login form as `username` (made by
    signed_in)."""
    page = open_page("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "s3cret-pass-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page
