"""Headless Chromium for the page tests (Debian's /usr/bin/chromium, driven by Playwright; never
a downloaded browser). A page fails its test on any console error and on any request that
leaves 127.0.0.1: each is recorded in `problems`, and outside requests are aborted."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = ("127.0.0.1", "localhost")
PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_session(transactional_db, settings):
    """Plain HTTP to the live server: the session and CSRF cookies cannot be Secure-only."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


def guarded_page(browser, **options):
    """(page, problems): a new page whose console errors and outside requests are recorded."""
    page = browser.new_page(**options)
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if host not in LOCAL_HOSTS:
            problems.append(f"outside request: {route.request.url}")
            return route.abort()
        return route.continue_()

    page.route("**/*", guard)
    return page, problems


def admin_login(page, live_server, username: str) -> None:
    """Sign in through the admin's login form, as a person would."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
