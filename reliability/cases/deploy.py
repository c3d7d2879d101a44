"""Case 8: `check --deploy` is clean with production settings, and no secret (secret key,
password, password hash, API key plaintext, database password) appears in any GraphQL answer,
log line or admin page of the whole run."""

from __future__ import annotations

import re
from collections import deque
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

from reliability.client import Client, Response
from reliability.server import manage
from reliability.suite import Result, Suite

MAX_ADMIN_PAGES = 250
HREF = re.compile(r'href="([^"#]+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def run(suite: Suite) -> list[Result]:
    return [check_deploy(suite), secrets_scan(suite)]


def check_deploy(suite: Suite) -> Result:
    env = dict(suite.env)
    # As deployed: HTTPS redirect on (the suite's own server turns it off for plain HTTP).
    env.pop("DJANGO_SECURE_SSL_REDIRECT", None)
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = (done.stdout + done.stderr).strip()
    issues = re.findall(r"^\?: \(([\w.]+)\)|^\S+: \(([\w.]+)\)", output, re.MULTILINE)
    ok = done.returncode == 0 and "no issues" in output
    figure = f"exit {done.returncode}, {len(issues)} issues" + (
        "" if ok else f": {output.splitlines()[-1] if output else ''}"
    )
    return Result("8a check --deploy (production settings)", ok, figure, output.splitlines()[-10:])


class Browser:
    """Just enough of a browser for the admin: cookies kept by hand (they are Secure-flagged,
    which a real browser would not send over the suite's plain-HTTP loopback)."""

    def __init__(self, client: Client):
        self.client = client
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, response: Response) -> None:
        raw = response.headers.get("set-cookie")
        if raw:
            for morsel in SimpleCookie(raw).values():
                self.cookies[morsel.key] = morsel.value

    def get(self, path: str) -> Response:
        response = self.client.get(path, self._headers())
        self._keep(response)
        return response

    def post(self, path: str, form: dict[str, str]) -> Response:
        headers = {**self._headers(), "Content-Type": "application/x-www-form-urlencoded"}
        response = self.client.request("POST", path, urlencode(form).encode(), headers)
        self._keep(response)
        return response


def crawl_admin(
    client: Client, username: str, password: str, first: list[str]
) -> tuple[list[Response], list[str]]:
    """Sign in, then read `first` and every admin page reachable by links (breadth first)."""
    browser = Browser(client)
    login = browser.get("/admin/login/")
    token = CSRF_INPUT.search(login.text)
    problems: list[str] = []
    if not token:
        return [login], ["admin login page has no CSRF token"]
    done = browser.post(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
    )
    if done.status != 302 or "sessionid" not in browser.cookies:
        return [login, done], [f"admin login failed: {done.status}"]
    pages: list[Response] = []
    queue = deque(dict.fromkeys(["/admin/", *first]))
    seen = set(queue)
    while queue and len(pages) < MAX_ADMIN_PAGES:
        path = queue.popleft()
        response = browser.get(path)
        pages.append(response)
        if response.status >= 500:
            problems.append(f"{path}: {response.status}")
        for href in HREF.findall(response.text):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            # Pages only: no query-string variants, no logout, nothing that deletes.
            if (
                target.netloc
                or target.query
                or not target.path.startswith("/admin/")
                or any(word in target.path for word in ("logout", "delete", "/static/"))
                or target.path in seen
            ):
                continue
            seen.add(target.path)
            queue.append(target.path)
    return pages, problems


def secrets_scan(suite: Suite) -> Result:
    secrets = suite.secrets()
    details: list[str] = []
    with suite.server() as (_server, client):
        # Every caller asks who it is and reads data, so their own answers are scanned too.
        for actor in suite.actors.values():
            client.graphql(
                "{ viewer { username isStaff permissions apiKeyPrefix } }", key=actor.key
            )
            client.graphql(
                "{ learnItems { totalCount nodes { id notes createdBy { username } } } }",
                key=actor.key,
            )
        # Wrong keys of every shape: the answer must not echo them.
        for wrong in ("dk_aaaaaaaaaa_wrong", suite.actors["owner"].key + "x", "not-a-key"):
            client.graphql("{ viewer { username } }", key=wrong)
        root = suite.actors["root"]
        # The pages most likely to show a secret first: every user and every API key.
        first = [
            f"/admin/auth/user/{pk}/change/" for (pk,) in suite.pg.query("SELECT id FROM auth_user")
        ]
        first += [
            f"/admin/chat/apikey/{pk}/change/"
            for (pk,) in suite.pg.query("SELECT id FROM chat_apikey")
        ]
        pages, problems = crawl_admin(client, root.username, root.password, first[:100])
    details.extend(problems)
    # Control: public key prefixes are shown in the admin, so the scan reads real pages.
    prefixes = [row[0] for row in suite.pg.query("SELECT prefix FROM chat_apikey")]
    admin_text = "\n".join(page.text for page in pages)
    shown = sum(1 for prefix in prefixes if prefix in admin_text)

    sources: dict[str, str] = {}
    if suite.responses_log.exists():
        sources["GraphQL/HTTP answers"] = suite.responses_log.read_text(errors="replace")
    sources["admin pages"] = admin_text
    for log in suite.server_logs:
        if log.exists():
            sources[f"log {log.name}"] = log.read_text(errors="replace")
    leaks = 0
    for source, text in sources.items():
        for label, value in secrets.items():
            if value and value in text:
                leaks += 1
                details.append(f"{label} found in {source}")
    answers = sum(
        1
        for line in sources.get("GraphQL/HTTP answers", "").splitlines()
        if line.startswith("--- ")
    )
    log_lines = sum(
        text.count("\n") for source, text in sources.items() if source.startswith("log ")
    )
    ok = leaks == 0 and not problems and len(pages) > 10 and shown > 0
    figure = (
        f"{len(secrets)} secrets searched in {answers} HTTP answers, {log_lines} log lines "
        f"and {len(pages)} admin pages: {leaks} found (control: {shown}/{len(prefixes)} "
        "public key prefixes seen in the admin)"
    )
    return Result("8b secrets in answers, logs, admin", ok, figure, details[:10])
