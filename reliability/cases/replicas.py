"""Case 14: a real streaming replica (Debian PostgreSQL 15 primary and hot standby) behind the
app's replica router (DATABASE_REPLICA_URL).

a) Reads are served by the replica: the standby's own transaction count grows with them.
b) Lag injected (replay paused on the standby while writes go on): no writer ever reads
   its own write stale, and once the lag passes DATABASE_REPLICA_MAX_LAG the replica is
   skipped (another user's reads see every acknowledged write).
c) The standby is stopped under a mixed load and started again: no failed request, no
   acknowledged write lost, and reads return to it.
"""

from __future__ import annotations

import secrets
import threading
import time

from reliability.load import Operation, Sample, is_ok, run_load
from reliability.replica import ReplicatedDatabase
from reliability.suite import Result, Suite

MAX_LAG = 1.0
CHECK_SECONDS = 0.5
SERVER_ENV = {
    "DATABASE_REPLICA_MAX_LAG": str(MAX_LAG),
    "DATABASE_REPLICA_CHECK_SECONDS": str(CHECK_SECONDS),
    "DATABASE_REPLICA_RETRY_SECONDS": "1",
}

RECENT = 20  # of the writes before a read, the newest this many must be seen (ITEMS: 100)
THREADS = "{ threads(first: 20) { edges { node { id } } } }"
ITEMS = "{ learnItems(first: 100) { edges { node { notes } } } }"
THREAD = "query ($id: ID!) { thread(id: $id) { id title } }"
CREATE_THREAD = """
mutation ($id: ID!) {
  threadCreate(input: {id: $id, title: "replicated"}) { __typename ... on Thread { id } }
}
"""
CREATE_ITEM = """
mutation ($notes: String!) {
  learnItemCreate(input: {kind: GOOD, notes: $notes}) { __typename ... on LearnItem { id } }
}
"""


def run(suite: Suite) -> list[Result]:
    db = ReplicatedDatabase((suite.new_port(), suite.new_port()), ("writer", "reader"))
    try:
        db.setup()
        return [
            served_by_replica(suite, db),
            lag_injected(suite, db),
            replica_stopped(suite, db),
        ]
    finally:
        db.destroy()


def _server(suite: Suite, db: ReplicatedDatabase):
    return suite.server(database_url=db.primary.url(), **db.server_env, **SERVER_ENV)


def _primary_transactions(db: ReplicatedDatabase) -> int:
    return db.primary.query(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    )[0][0]


# --- a) ---------------------------------------------------------------------------------------


def served_by_replica(suite: Suite, db: ReplicatedDatabase) -> Result:
    name = "14a replica: reads served by the standby"
    reads = 200
    standby_before, primary_before = db.standby.transactions(), _primary_transactions(db)
    with _server(suite, db) as (_, client):
        answers = [client.graphql(THREADS, key=db.keys["reader"]) for _ in range(reads)]
    # The server's sessions have ended, so their statistics are flushed.
    time.sleep(0.5)
    on_standby = db.standby.transactions() - standby_before - 1
    on_primary = _primary_transactions(db) - primary_before - 1
    failed = sum(not is_ok(answer) for answer in answers)
    ok = failed == 0 and on_standby >= reads
    figure = (
        f"{reads} reads, {failed} failed; transactions on the standby {on_standby}, "
        f"on the primary {on_primary} (the API-key lookup, which carries the pin, and "
        "connection checks)"
    )
    return Result(name, ok, figure)


# --- b) ---------------------------------------------------------------------------------------


def lag_injected(suite: Suite, db: ReplicatedDatabase) -> Result:
    name = "14b replica: lag injected (replay paused)"
    seconds = 8.0
    writer, reader = db.keys["writer"], db.keys["reader"]
    run_id = secrets.token_hex(3)
    acknowledged: list[tuple[float, str]] = []  # (when answered, notes)
    own_reads = own_stale = 0
    late_reads = late_stale = early_stale = 0
    lock = threading.Lock()
    with _server(suite, db) as (_, client):
        client.graphql(THREADS, key=reader)  # the lag is measured, the replica in use
        # A fresh commit replayed just before the pause: the lag then starts from about 0.
        client.graphql(CREATE_ITEM, {"notes": f"lag-{run_id}-0"}, key=writer)
        time.sleep(0.3)
        db.standby.pause_replay()
        paused = time.monotonic()
        # The replica's lag counts from the last replayed commit, about the pause; it is
        # skipped once a measure (every CHECK_SECONDS) finds it above MAX_LAG.
        skipped_by = paused + MAX_LAG + CHECK_SECONDS + 0.5
        stop_at = paused + seconds

        def write_and_read_back() -> None:
            nonlocal own_reads, own_stale
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                thread_id = f"lag-{run_id}-{n}"
                created = client.graphql(CREATE_THREAD, {"id": thread_id}, key=writer)
                notes = f"lag-{run_id}-{n}"
                item = client.graphql(CREATE_ITEM, {"notes": notes}, key=writer)
                if is_ok(item):
                    with lock:
                        acknowledged.append((item.finished, notes))
                if not is_ok(created):
                    continue
                back = client.graphql(THREAD, {"id": thread_id}, key=writer)
                with lock:
                    own_reads += 1
                    if not is_ok(back) or back.json["data"]["thread"] is None:
                        own_stale += 1

        def read_others() -> None:
            nonlocal late_reads, late_stale, early_stale
            while time.monotonic() < stop_at:
                started = time.monotonic()
                with lock:
                    # The newest acknowledged before the read (the page is the newest 100
                    # items: a fast writer soon has more than 100).
                    done = [notes for when, notes in acknowledged if when < started]
                    expected = set(done[-RECENT:])
                answer = client.graphql(ITEMS, key=reader)
                seen = (
                    {edge["node"]["notes"] for edge in answer.json["data"]["learnItems"]["edges"]}
                    if is_ok(answer)
                    else set()
                )
                stale = not expected <= seen
                with lock:
                    if started >= skipped_by:
                        late_reads += 1
                        late_stale += stale
                    else:
                        early_stale += stale
                time.sleep(0.05)

        workers = [threading.Thread(target=write_and_read_back)] + [
            threading.Thread(target=read_others) for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        lag = db.standby.lag_seconds()
        db.standby.resume_replay()
    ok = own_reads > 0 and own_stale == 0 and late_reads > 0 and late_stale == 0
    figure = (
        f"replay paused {seconds:.0f} s (standby lag at the end {lag or 0:.1f} s, bound "
        f"{MAX_LAG:.0f} s): the writer read its own write back {own_reads} times, stale "
        f"{own_stale}; another user's reads once past the bound {late_reads}, stale "
        f"{late_stale} (before it, within the tolerated lag: {early_stale} stale)"
    )
    return Result(name, ok, figure)


# --- c) ---------------------------------------------------------------------------------------


def _operations() -> tuple[list[Operation], list[Operation]]:
    reads = [
        Operation("threads", lambda n: (THREADS, {}, None)),
        Operation("learnItems", lambda n: (ITEMS, {}, None)),
    ]
    writes = [
        Operation(
            "threadCreate",
            lambda n: (CREATE_THREAD, {"id": "{marker}"}, "stop"),
            written_id=lambda data: data["threadCreate"]["id"],
        ),
    ]
    return reads, writes


def replica_stopped(suite: Suite, db: ReplicatedDatabase) -> Result:
    name = "14c replica: standby stopped and restarted under load"
    seconds, stop_at, start_at = 20, 6, 13
    reads, writes = _operations()
    marks: dict[str, float | int] = {}

    def stop() -> None:
        marks["stopped"] = time.monotonic()
        db.standby.stop("fast")

    def start() -> None:
        db.standby.start()
        marks["started"] = time.monotonic()
        marks["standby transactions"] = db.standby.transactions()

    write_samples: list[Sample] = []
    with _server(suite, db) as (_, client):

        def write_load() -> None:
            write_samples.extend(
                run_load(client, db.keys["writer"], writes, seconds=seconds, threads=2)
            )

        writer = threading.Thread(target=write_load)
        writer.start()
        read_samples = run_load(
            client,
            db.keys["reader"],
            reads,
            seconds=seconds,
            threads=6,
            events=[(stop_at, stop), (start_at, start)],
        )
        writer.join()
    time.sleep(0.5)
    served_after = db.standby.transactions() - int(marks["standby transactions"]) - 1
    samples = read_samples + write_samples
    failed = [s for s in samples if not s.ok]
    written = [s.written for s in write_samples if s.written]
    found = db.primary.query(
        "SELECT count(*) FROM chat_thread WHERE id = ANY(%s::text[])", (written,)
    )[0][0]
    while_down = sum(
        1 for s in read_samples if marks["stopped"] <= s.response.started < marks["started"]
    )
    ok = not failed and found == len(written) and len(written) > 0 and served_after > 100
    figure = (
        f"{len(samples)} requests ({while_down} reads while the standby was down), "
        f"{len(failed)} failed; acknowledged writes {len(written)}, lost {len(written) - found}; "
        f"transactions on the standby after its restart {served_after}"
    )
    details = [f"failure: {s.response.status} {s.response.text[:200]}" for s in failed[:5]]
    return Result(name, ok, figure, details)
