"""Case 15: two app servers (gunicorn on two ports) behind one nginx, as N stateless servers
behind a load balancer are deployed.

a) The same answers whichever server a request reaches: an admin session opened on one is
   signed in on the other, its CSRF token accepted there (and a request without it refused),
   an API key revoked through one is refused by the other at once, a daily cap spent on both
   is enforced as one, and a client id sent to both creates one thread.
b) A rolling restart (one server, then the other, each taken out of nginx's rotation, stopped
   gracefully, started again and put back) under the mixed load through nginx: no failed
   request, no acknowledged write lost.
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack

from reliability.balancer import Nginx
from reliability.cases.deploy import CSRF_INPUT, Browser
from reliability.cases.restart import acknowledged_writes_lost
from reliability.client import Client, Response
from reliability.load import run_load
from reliability.suite import Result, Suite
from reliability.workload import operations

CAP_TOKENS = 1000
TOKENS_PER_CALL = 300
VIEWER = "{ viewer { username } }"
INTERACTION = """
mutation ($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    __typename
    ... on OperationInfo { messages { code } }
  }
}"""
CREATE_THREAD = """
mutation ($id: ID!) {
  threadCreate(input: {id: $id, title: "once"}) { __typename ... on Thread { id } }
}
"""
CREATE_KEY = """
mutation { apiKeyCreate(name: "scaleout") { ... on ApiKeyCreateResult { key apiKey { id } } } }
"""
REVOKE_KEY = "mutation ($id: ID!) { apiKeyRevoke(id: $id) { __typename } }"


def run(suite: Suite) -> list[Result]:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(suite.server(DAILY_TOKEN_CAP=str(CAP_TOKENS))) for _ in range(2)
        ]
        balancer = Nginx(suite.new_port(), [gunicorn.port for gunicorn, _ in servers])
        balancer.start()
        stack.callback(balancer.stop)
        clients = [client for _, client in servers]
        results = [same_on_any_server(suite, clients)]
        results.append(
            rolling_restart(
                suite,
                [gunicorn for gunicorn, _ in servers],
                balancer,
                Client(balancer.url, suite.responses_log),
            )
        )
        return results


def _viewer(response: Response) -> str | None:
    body = response.json
    if response.status != 200 or not isinstance(body, dict) or body.get("errors"):
        return None
    return body["data"]["viewer"]["username"]


def same_on_any_server(suite: Suite, clients: list[Client]) -> Result:
    one, two = clients
    checks: dict[str, bool] = {}

    # Sessions: sign in to the admin on one server, use the session on the other.
    root = suite.actors["root"]
    first = Browser(one)
    login = first.get("/admin/login/")
    token = CSRF_INPUT.search(login.text)
    signed_in = token is not None and (
        first.post(
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": root.username,
                "password": root.password or "",
                "next": "/admin/",
            },
        ).status
        == 302
    )
    second = Browser(two)
    second.cookies = dict(first.cookies)
    checks["admin session opened on one server is signed in on the other"] = (
        signed_in and second.get("/admin/").status == 200
    )

    # CSRF: the token from one server's cookie is accepted by the other; none is refused.
    cookies = "; ".join(f"{k}={v}" for k, v in second.cookies.items())
    body = b'{"query": "{ viewer { username } }"}'
    headers = {"Content-Type": "application/json", "Cookie": cookies}
    with_token = two.request(
        "POST", "/graphql/", body, {**headers, "X-CSRFToken": second.cookies.get("csrftoken", "")}
    )
    without = two.request("POST", "/graphql/", body, headers)
    refused = without.errors()[0].get("extensions", {}).get("code") if without.errors() else None
    checks["session + CSRF token from the other server accepted"] = (
        _viewer(with_token) == root.username
    )
    checks["session without a CSRF token refused (403 CSRF_FAILED)"] = (
        without.status == 403 and refused == "CSRF_FAILED"
    )

    # API keys: created on one, used on both, revoked on one, refused by the other at once.
    actor = suite.new_actor("scaleout")
    created = one.graphql(CREATE_KEY, key=actor.key).json["data"]["apiKeyCreate"]
    new_key = created["key"]
    usable = [_viewer(client.graphql(VIEWER, key=new_key)) for client in (two, one)]
    revoked = one.graphql(REVOKE_KEY, {"id": created["apiKey"]["id"]}, key=actor.key)
    after = two.graphql(VIEWER, key=new_key)
    checks["API key created on one server works on both"] = usable == [actor.username] * 2
    checks["API key revoked on one server refused by the other (401)"] = (
        revoked.status == 200 and after.status == 401
    )

    # Caps: 4 calls of 300 tokens against a 1,000-token day, alternating servers.
    thread_id = f"thread_scaleout_{secrets.token_hex(4)}"
    one.graphql(CREATE_THREAD, {"id": thread_id}, key=actor.key)
    kinds = []
    for i, client in enumerate((one, two, one, two)):
        answer = client.graphql(
            INTERACTION,
            {
                "input": {
                    "threadId": thread_id,
                    "prompt": f"prompt {i}",
                    "userMessage": {"content": f"question {i}"},
                    "assistantMessage": {"content": f"answer {i}"},
                    "calls": [{"provider": "p", "model": "m", "tokensIn": TOKENS_PER_CALL}],
                }
            },
            key=actor.key,
        )
        result = answer.json["data"]["interactionRecord"]
        kinds.append(
            result["messages"][0]["code"]
            if result["__typename"] == "OperationInfo"
            else result["__typename"]
        )
    checks["daily cap spent on both servers enforced as one"] = kinds == [
        "InteractionRecordResult",
        "InteractionRecordResult",
        "InteractionRecordResult",
        "DAILY_CAP_REACHED",
    ]

    # Idempotency: the same client id on both servers is one thread.
    once = f"thread_once_{secrets.token_hex(4)}"
    answers = [
        client.graphql(CREATE_THREAD, {"id": once}, key=actor.key).json["data"]["threadCreate"]
        for client in (one, two)
    ]
    rows = suite.pg.query("SELECT count(*) FROM chat_thread WHERE id = %s", (once,))[0][0]
    checks["one client id sent to both servers creates one thread"] = (
        answers == [{"__typename": "Thread", "id": once}] * 2 and rows == 1
    )

    failed = [name for name, ok in checks.items() if not ok]
    figure = f"{len(checks) - len(failed)}/{len(checks)} checks the same on either server"
    details = [f"failed: {name}" for name in failed] + [f"cap answers: {kinds}"]
    return Result("15a two app servers: same behaviour on either", not failed, figure, details)


def rolling_restart(suite: Suite, servers: list, balancer: Nginx, client: Client) -> Result:
    # Long enough for both restarts (each waits for its new workers to answer /healthz,
    # seconds on a busy machine) to happen under load.
    seconds, threads, begin = 50, 6, 5
    marks: dict[str, float] = {}

    def roll() -> None:
        for index, server in enumerate(servers, start=1):
            started = time.monotonic()
            # Out of the rotation first: gunicorn's SIGTERM closes its listening socket, and a
            # request nginx has already sent into its accept queue would get a 502.
            balancer.drain(server.port)
            server.stop()
            server.start()
            balancer.drain(server.port, down=False)
            marks[f"server {index}"] = time.monotonic() - started
            time.sleep(2)
        marks["done at"] = time.monotonic() - load_started

    ops = operations(suite)
    load_started = time.monotonic()
    samples = run_load(
        client,
        suite.actors["owner"].key,
        ops,
        seconds=seconds,
        threads=threads,
        events=[(begin, roll)],
    )
    failures = [s for s in samples if not s.ok]
    lost_by_op = acknowledged_writes_lost(suite, samples, ops)
    lost = sum(lost_by_op.values())
    acknowledged = sum(1 for s in samples if s.written)
    under_load = marks.get("done at", seconds) < seconds
    ok = not failures and lost == 0 and acknowledged > 0 and under_load
    restarts = ", ".join(
        f"{name} restarted in {marks[name]:.1f} s" for name in marks if name != "done at"
    )
    figure = (
        f"{len(samples)} requests through nginx in {seconds} s, {len(failures)} failed; "
        f"acknowledged writes {acknowledged}, lost {lost}; {restarts}, both within the load"
        + ("" if under_load else " (NOT: the restarts outlasted the load)")
    )
    details = [f"failure: {s.response.status} {s.response.text[:200]}" for s in failures[:5]]
    return Result("15b two app servers: rolling restart under load", ok, figure, details)
