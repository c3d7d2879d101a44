"""Case 12: a 40 s database outage behind PgBouncer (transaction mode), with a bound on every
response time (statement cancellation is case 13, `statements`).

PgBouncer accepts connections and holds queries while its server is down, so only the app's
own bound (DB_REQUEST_TIMEOUT, config.deadline) ends a request: each must answer within
BOUND_S with 200 or the documented 503 DATABASE_UNAVAILABLE, and /healthz within HEALTH_S.
"""

from __future__ import annotations

import threading
import time

from reliability.bouncer import PgBouncer
from reliability.suite import Result, Suite

OUTAGE_S = 40
REQUEST_TIMEOUT_S = 4
BOUND_S = REQUEST_TIMEOUT_S + 3  # the deadline, one watcher tick and a loaded machine
HEALTH_S = 3.5
RECOVERY_S = 30


def _loop(client, key: str, stop: threading.Event, out: list, kind: str) -> None:
    while not stop.is_set():
        if kind == "healthz":
            response = client.request("GET", "/healthz", timeout=60)
        else:
            response = client.graphql("{ viewer { username } }", key=key, timeout=60)
        codes = {(e.get("extensions") or {}).get("code") for e in response.errors()}
        out.append((kind, response.status, response.elapsed_ms / 1000, codes))
        if kind == "healthz":
            time.sleep(0.5)


def run(suite: Suite) -> list[Result]:
    bouncer = PgBouncer(suite.pg, suite.new_port())
    bouncer.start()
    key = suite.actors["owner"].key
    samples: list = []
    try:
        env = {"DB_PGBOUNCER": "1", "DB_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_S)}
        with suite.server(database_url=bouncer.url, **env) as (_server, client):
            before = client.graphql("{ viewer { username } }", key=key)
            suite.pg.stop("fast")
            stop = threading.Event()
            threads = [
                threading.Thread(target=_loop, args=(client, key, stop, samples, kind))
                for kind in ("graphql", "graphql", "healthz")
            ]
            for thread in threads:
                thread.start()
            time.sleep(OUTAGE_S)
            stop.set()
            for thread in threads:
                thread.join(timeout=90)
            suite.pg.start()
            started = time.monotonic()
            recovered = None
            while time.monotonic() - started < RECOVERY_S:
                after = client.graphql("{ viewer { username } }", key=key, timeout=30)
                if after.status == 200 and not after.errors():
                    recovered = time.monotonic() - started
                    break
                time.sleep(0.5)
    finally:
        if not suite.pg.accepting():
            suite.pg.start()
        bouncer.stop()
    graphql = [s for s in samples if s[0] == "graphql"]
    health = [s for s in samples if s[0] == "healthz"]
    slowest = max((s[2] for s in graphql), default=0.0)
    slowest_health = max((s[2] for s in health), default=0.0)
    wrong = [
        s
        for s in graphql
        if s[2] > BOUND_S
        or not ((s[1] == 200 and not s[3]) or (s[1] == 503 and s[3] == {"DATABASE_UNAVAILABLE"}))
    ]
    wrong_health = [s for s in health if s[2] > HEALTH_S or s[1] != 503]
    ok = (
        before.status == 200
        and graphql
        and health
        and not wrong
        and not wrong_health
        and recovered is not None
    )
    figure = (
        f"{OUTAGE_S} s outage behind PgBouncer: {len(graphql)} requests, slowest "
        f"{slowest:.1f} s (bound {BOUND_S} s), {len(wrong)} wrong; /healthz {len(health)} "
        f"answers, slowest {slowest_health:.1f} s (bound {HEALTH_S} s); recovered "
        + (f"{recovered:.1f} s after the restart" if recovered is not None else "NEVER")
    )
    details = [
        f"{k} {status} {seconds:.2f} s {sorted(c for c in codes if c)}"
        for k, status, seconds, codes in wrong + wrong_health
    ][:20]
    return [Result("12 outage behind PgBouncer", bool(ok), figure, details)]
