"""Case 13: statement cancellation on the live server, directly and through PgBouncer.

The limits are lowered for the case the documented way (`manage.py dbtimeouts` with
DB_STATEMENT_TIMEOUT set; the role's defaults, read by every new server connection) and
restored afterwards. Two kinds of request run past the statement timeout:

- slow reads: a `logs` search for text no log has, over logs seeded until the same scan
  takes at least SLOW_FACTOR times the limit (measured by the suite's own session);
- blocked writes: `messageAppend` to a thread whose row the suite holds locked (the lock
  limit is longer than the statement limit, so the statement limit ends the wait).

Each must answer STATEMENT_TIMEOUT within the limit plus ANSWER_MARGIN_S, and the blocked
write must have stored nothing. Meanwhile and afterwards other requests (reads and writes)
must succeed; afterwards no backend of the app may still run a cancelled statement or sit in
a transaction, and requests on every connection of the single worker (more requests than it
has threads) must succeed.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from reliability.bouncer import PgBouncer
from reliability.pg import APP_USER
from reliability.server import manage
from reliability.suite import Result, Suite
from reliability.workload import MESSAGE_APPEND, VIEWER

STATEMENT_MS = 250
LOCK_MS = 2000  # longer: a lock wait ends by the statement limit
SLOW_FACTOR = 4
SEED_BATCH = 250_000
SEED_MAX = 2_000_000
ANSWER_MARGIN_S = 2.0  # the answer itself, a worker thread freeing up, a busy machine
THREADS = 4
ABSENT = "zz-not-in-any-log"
SLOW_LOGS = f'{{ logs(first: 1, filters: {{search: "{ABSENT}"}}) {{ nodes {{ id }} }} }}'
THREAD_READ = "query ($id: ID!) { thread(id: $id) { id messages(last: 1) { nodes { id } } } }"
THREAD_CREATE = """
mutation ($input: ThreadCreateInput!) {
  threadCreate(input: $input) { __typename ... on Thread { id } }
}"""
SEED_SQL = """
INSERT INTO monitoring_monitoringlog (client_id, timestamp, received_at, level, source, message,
                                      context)
SELECT %(prefix)s || g, now() - g * interval '1 second', now(), 20, 'statements',
       'request ' || md5(g::text) || ' served in ' || (g %% 997) || ' ms', '{}'
FROM generate_series(%(start)s, %(stop)s) AS g
"""
SCAN_SQL = "SELECT count(*) FROM monitoring_monitoringlog WHERE message ILIKE %s"


def codes(response) -> set[str]:
    return {(e.get("extensions") or {}).get("code") for e in response.errors()}


def succeeded(response) -> bool:
    return response.status == 200 and not response.errors()


def _seed_slow_logs(suite: Suite) -> tuple[int, float]:
    """Logs until scanning them takes SLOW_FACTOR times the statement limit: (rows, ms)."""
    prefix = f"statements-{secrets.token_hex(4)}-"
    rows, scan_ms = 0, 0.0
    with suite.pg.connect() as conn:
        conn.execute("SET statement_timeout = 0")
        batch = SEED_BATCH
        while rows < SEED_MAX:
            conn.execute(SEED_SQL, {"prefix": prefix, "start": rows + 1, "stop": rows + batch})
            rows, batch = rows + batch, batch * 2
            started = time.monotonic()
            conn.execute(SCAN_SQL, (f"%{ABSENT}%",))
            scan_ms = (time.monotonic() - started) * 1000
            if scan_ms >= SLOW_FACTOR * STATEMENT_MS:
                break
    return rows, scan_ms


def _set_limits(suite: Suite, statement_ms: int | None) -> None:
    env = dict(suite.env)
    if statement_ms is not None:
        env.update(DB_STATEMENT_TIMEOUT=str(statement_ms), DB_LOCK_TIMEOUT=str(LOCK_MS))
    done = manage("dbtimeouts", env=env)
    if done.returncode != 0:
        raise RuntimeError(f"dbtimeouts failed: {done.stderr.strip()[-300:]}")


def _app_sessions(suite: Suite) -> list[tuple[str, str]]:
    """(state, query) of the app's backends that are not idle."""
    return suite.pg.query(
        "SELECT state, left(query, 80) FROM pg_stat_activity "
        "WHERE usename = %s AND state IS DISTINCT FROM 'idle'",
        (APP_USER,),
    )


def _run(suite: Suite, label: str, database_url: str | None, **env: str) -> Result:
    key = suite.actors["owner"].key
    details: list[str] = []
    problems: list[str] = []
    bound_s = STATEMENT_MS / 1000 + ANSWER_MARGIN_S
    with suite.server(database_url=database_url, workers=1, threads=THREADS, **env) as (
        _server,
        client,
    ):
        thread_id = f"thread_statements_{secrets.token_hex(4)}"
        created = client.graphql(THREAD_CREATE, {"input": {"id": thread_id, "title": "s"}}, key=key)
        locked_id = f"thread_statements_locked_{secrets.token_hex(4)}"
        client.graphql(THREAD_CREATE, {"input": {"id": locked_id, "title": "l"}}, key=key)
        if not succeeded(created):
            return Result(label, False, "setup failed", [created.text[:300]])
        sequence = iter(range(1_000_000))

        def other_request(n: int):
            if n % 3 == 0:
                return client.graphql(VIEWER, key=key)
            if n % 3 == 1:
                return client.graphql(THREAD_READ, {"id": thread_id}, key=key)
            content = f"statements-{label}-{next(sequence)}"
            return client.graphql(
                MESSAGE_APPEND,
                {"threadId": thread_id, "input": {"role": "USER", "content": content}},
                key=key,
            )

        # Slow reads, THREADS at a time (every worker thread busy), twice; other requests
        # are sent meanwhile and wait for a free thread.
        slow: list = []
        others: list = []
        stop = threading.Event()

        def keep_sending() -> None:
            n = 0
            while not stop.is_set():
                others.append(other_request(n))
                n += 1

        sender = threading.Thread(target=keep_sending)
        sender.start()
        try:
            with ThreadPoolExecutor(THREADS) as pool:
                for _ in range(2):
                    slow += list(
                        pool.map(lambda _: client.graphql(SLOW_LOGS, key=key), range(THREADS))
                    )
        finally:
            stop.set()
            sender.join(timeout=60)

        # Blocked writes: the suite holds the thread's row; each append waits on it.
        blocked: list = []
        marker = f"statements-blocked-{secrets.token_hex(4)}"
        with suite.pg.connect() as conn, conn.transaction():
            conn.execute("SELECT 1 FROM chat_thread WHERE id = %s FOR UPDATE", (locked_id,))
            for n in range(THREADS):
                blocked.append(
                    client.graphql(
                        MESSAGE_APPEND,
                        {
                            "threadId": locked_id,
                            "input": {"role": "USER", "content": f"{marker}-{n}"},
                        },
                        key=key,
                    )
                )
        stored_blocked = suite.pg.query(
            "SELECT count(*) FROM chat_message WHERE content LIKE %s", (f"{marker}%",)
        )[0][0]
        unlocked = client.graphql(
            MESSAGE_APPEND,
            {"threadId": locked_id, "input": {"role": "USER", "content": f"{marker}-after"}},
            key=key,
        )

        # Afterwards: nothing of the cancelled work left on the server, every connection usable.
        time.sleep(0.3)
        lingering = _app_sessions(suite)
        after = [other_request(n) for n in range(THREADS * 6)]

    def check(kind: str, responses: list, expect_code: str | None) -> None:
        for response in responses:
            seconds = response.elapsed_ms / 1000
            if expect_code is None:
                ok = succeeded(response) and seconds <= bound_s
            else:
                ok = response.status == 200 and codes(response) == {expect_code}
                ok = ok and seconds <= bound_s
            if not ok:
                text = response.text[:160]
                problems.append(f"{kind}: {response.status} {seconds:.2f} s {text!r}")

    check("slow read", slow, "STATEMENT_TIMEOUT")
    check("blocked write", blocked, "STATEMENT_TIMEOUT")
    check("other request", others, None)
    check("after", [*after, unlocked], None)
    if stored_blocked:
        problems.append(f"blocked writes stored {stored_blocked} messages")
    if lingering:
        problems.append(f"app backends not idle afterwards: {lingering}")
    slowest = max((r.elapsed_ms for r in slow + blocked), default=0) / 1000
    slowest_other = max((r.elapsed_ms for r in others + after), default=0) / 1000
    figure = (
        f"{len(slow)} slow reads and {len(blocked)} blocked writes cancelled "
        f"(STATEMENT_TIMEOUT {sum(codes(r) == {'STATEMENT_TIMEOUT'} for r in slow + blocked)}/"
        f"{len(slow + blocked)}), slowest answer {slowest:.2f} s (bound {bound_s:.2f} s); "
        f"blocked writes stored {stored_blocked}; {len(others)} requests meanwhile and "
        f"{len(after) + 1} after, failed {sum(not succeeded(r) for r in others + after)}, slowest "
        f"{slowest_other:.2f} s; app backends busy afterwards {len(lingering)}"
    )
    details += problems[:15]
    return Result(label, not problems, figure, details)


def run(suite: Suite) -> list[Result]:
    rows, scan_ms = _seed_slow_logs(suite)
    results: list[Result] = []
    _set_limits(suite, STATEMENT_MS)
    try:
        seeded = f"{rows:,} logs seeded, the scan takes {scan_ms:.0f} ms"
        direct = _run(suite, f"13a statement cancellation ({STATEMENT_MS} ms limit)", None)
        direct.details.insert(0, seeded)
        results.append(direct)
        bouncer = PgBouncer(suite.pg, suite.new_port())
        bouncer.start()  # after the limits changed: its server connections read them
        try:
            results.append(
                _run(
                    suite,
                    "13b statement cancellation through PgBouncer",
                    bouncer.url,
                    DB_PGBOUNCER="1",
                )
            )
        finally:
            bouncer.stop()
    finally:
        _set_limits(suite, None)
        with suite.pg.connect() as conn:
            conn.execute("SET statement_timeout = 0")
            conn.execute("DELETE FROM monitoring_monitoringlog WHERE source = 'statements'")
    return results
