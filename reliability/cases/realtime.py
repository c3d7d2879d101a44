"""Case realtime: subscriptions through PgBouncer in transaction mode, under concurrent writers.

The production ASGI server (gunicorn with a uvicorn worker) reads its events through the
bouncer only; four writer threads append to one thread at once (interleaved transactions), a
gql websockets subscriber drops its connection half-way and resumes from its last cursor: every
message must arrive exactly once, in (transaction) order, none lost across the reconnect.
The transaction ids are first moved to just below a power of ten, so that the writes cross
one (…999 → …1000): an order that compared them as text would show.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
import urllib.request

from reliability.bouncer import PgBouncer
from reliability.server import BASE_DIR, SERVERS, VENV_BIN
from reliability.suite import Result, Suite

NAME = "realtime: subscriptions through PgBouncer (transaction mode)"
WRITERS, PER_WRITER = 4, 25
SUBSCRIPTION = """
subscription ($t: ID!, $c: String) {
  messageAdded(threadId: $t, cursor: $c) { cursor kind message { content } }
}
"""


def _near_a_power_of_ten(margin: int) -> int:
    """Use up transaction ids until the next one is `margin` below a power of ten; return it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        current = cursor.fetchone()[0]
        target = 10 ** len(str(current + margin)) - margin
        for _ in range(max(0, target - current - 1)):
            cursor.execute("SELECT pg_current_xact_id()")
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def _serve(env: dict, port: int, log_path) -> subprocess.Popen:
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            *SERVERS["asgi"],  # subscriptions need the ASGI worker, whatever the suite serves
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the ASGI server did not start; see {log_path}")


async def _receive(port, key, thread_id, count, cursor=None, on_ready=None):
    from gql import Client, gql
    from gql.transport.websockets import WebsocketsTransport

    transport = WebsocketsTransport(
        url=f"ws://127.0.0.1:{port}/graphql/", init_payload={"Authorization": f"Bearer {key}"}
    )
    events = []
    async with Client(transport=transport) as session:
        stream = session.subscribe(gql(SUBSCRIPTION), variable_values={"t": thread_id, "c": cursor})
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)
        if on_ready:
            on_ready()
        events.append(await asyncio.wait_for(first, 30))
        while len(events) < count:
            events.append(await asyncio.wait_for(stream.__anext__(), 30))
        await stream.aclose()
    return [e["messageAdded"] for e in events]


def run(suite: Suite) -> list[Result]:
    from django.contrib.auth import get_user_model

    from chat import services

    bouncer = PgBouncer(suite.pg, suite.new_port())
    bouncer.start()
    port = suite.new_port()
    env = {**suite.env, "DATABASE_URL": bouncer.url, "DB_PGBOUNCER": "1"}
    log_path = suite.run_dir / "realtime-server.log"
    process = None
    try:
        process = _serve(env, port, log_path)
        owner = suite.actors["owner"]
        with suite.orm():
            user = get_user_model().objects.get(username=owner.username)
            thread_id = services.thread_create(owner=user, title="realtime case").pk
            # An append takes about two transaction ids: the crossing falls in the resumed half.
            _near_a_power_of_ten(3 * WRITERS * PER_WRITER // 2)

        def write(writer: int) -> None:
            from django.db import connections

            for i in range(PER_WRITER):
                services.message_append(
                    user=user, thread_id=thread_id, role="user", content=f"{writer}-{i}"
                )
            connections.close_all()

        writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
        total = WRITERS * PER_WRITER
        half = total // 2
        first = asyncio.run(
            _receive(
                port, owner.key, thread_id, half, on_ready=lambda: [t.start() for t in writers]
            )
        )
        for t in writers:
            t.join()
        rest = asyncio.run(
            _receive(port, owner.key, thread_id, total - half, cursor=first[-1]["cursor"])
        )
    except Exception as exc:
        return [Result(NAME, False, f"{type(exc).__name__}: {exc}"[:300])]
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        bouncer.stop()
    contents = [e["message"]["content"] for e in first + rest]
    details = []
    if sorted(contents) != sorted(f"{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER)):
        details.append(f"delivered {len(contents)} messages, {len(set(contents))} distinct")
    for w in range(WRITERS):
        own = [c for c in contents if c.startswith(f"{w}-")]
        if own != [f"{w}-{i}" for i in range(PER_WRITER)]:
            details.append(f"writer {w}'s messages out of order: {own}")
    resumed = [int(e["cursor"].split("-")[0]) for e in rest]
    figure = (
        f"{len(contents)}/{total} messages exactly once and in order across a reconnect, "
        f"via PgBouncer (resumed at transaction ids {min(resumed)}-{max(resumed)})"
    )
    return [Result(NAME, not details, figure, details)]
