"""Headless Chromium for the page tests (Debian's /usr/bin/chromium, driven by Playwright; never
a downloaded browser). A page fails its test on any console error and on any request that
leaves 127.0.0.1: each is recorded in `problems`, and outside requests are aborted."""

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.db import connections
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
# GraphiQL's editors
QUERY_EDITOR = ".graphiql-query-editor"
TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
RESPONSE = ".graphiql-response"


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


def in_db_thread(function, *args, **kwargs):
    """Call `function` (ORM work) in a worker thread that closes its connection afterwards.

    While Playwright's sync API runs, this thread has an event loop: Django refuses the ORM here,
    and with DJANGO_ALLOW_ASYNC_UNSAFE it opens a second connection that is never closed (the
    test database then cannot be dropped).
    """

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


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


# --- GraphiQL ---


def open_graphiql(page, url: str):
    """Open GraphiQL and wait until it has loaded the schema (its introspection query)."""
    with page.expect_response(
        lambda r: r.url.endswith("/graphql/") and r.request.method == "POST"
    ) as introspection:
        page.goto(f"{url}/graphql/")
    assert introspection.value.status == 200
    page.wait_for_selector(f"{QUERY_EDITOR} .CodeMirror")


def editor_text(page, selector: str) -> str:
    return page.eval_on_selector(f"{selector} .CodeMirror", "e => e.CodeMirror.getValue()")


def type_into(page, selector: str, text: str) -> None:
    """Replace an editor's text with `text`, typed key by key (the editor closes brackets and
    quotes itself and steps over the closing ones typed next)."""
    page.click(f"{selector} .CodeMirror-lines")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    page.keyboard.press("Escape")  # closes the completion list, if any


def run_query(page) -> str:
    """Run with Ctrl-Enter in the query editor; returns the result pane's text before."""
    before = editor_text(page, RESPONSE)
    page.click(f"{QUERY_EDITOR} .CodeMirror-lines")
    page.keyboard.press("Control+Enter")
    return before


def read_answer(page, before: str) -> dict:
    """The JSON the result pane shows once it differs from `before`."""
    page.wait_for_function(
        "before => { const t = document.querySelector('.graphiql-response .CodeMirror')"
        ".CodeMirror.getValue(); return t !== '' && t !== before; }",
        arg=before,
    )
    return json.loads(editor_text(page, RESPONSE))


def run_and_read(page) -> dict:
    return read_answer(page, run_query(page))


def graphql_posts(page) -> list[dict]:
    """The headers of every POST the page sends to /graphql/, as they are recorded."""
    posts = []
    page.on(
        "request",
        lambda r: r.method == "POST" and r.url.endswith("/graphql/") and posts.append(r.headers),
    )
    return posts
