"""Case 1: the database restarts (fast shutdown, then a crash) under a bounded mixed load.

Figures: failed requests only inside the outage window, each a clear GraphQL error or a 503;
acknowledged writes lost = 0; first success within 2 s of the server accepting connections;
zero failures after recovery.
"""

from __future__ import annotations

import time
from collections import Counter

from reliability.client import Response
from reliability.load import Operation, Sample, run_load
from reliability.suite import Result, Suite
from reliability.workload import operations

LOAD_SECONDS = 30
RESTART_AT = 10
LOAD_THREADS = 6
# How long the server stays down on a planned restart (a maintenance window).
FAST_DOWNTIME = 2.0
FIRST_SUCCESS_LIMIT = 2.0


def clear_failure(response: Response) -> bool:
    """A GraphQL-shaped error (200 with errors, or a 503) with a message and no traceback."""
    if response.has_traceback() or response.status not in (200, 503):
        return False
    errors = response.errors()
    return bool(errors) and all(isinstance(e.get("message"), str) and e["message"] for e in errors)


def failure_label(response: Response) -> str:
    errors = response.errors()
    message = errors[0].get("message") if errors else repr(response.text[:80])
    return f"{response.status} {message}"


def run(
    suite: Suite, *, mode: str, name: str, database_url: str | None = None, **server_env: str
) -> Result:
    """mode: 'fast' (pg_ctl stop -m fast, down 2 s, start) or 'kill' (kill -9 the postmaster)."""
    marks: dict[str, float] = {}

    def restart() -> None:
        marks["down"] = time.monotonic()
        if mode == "fast":
            suite.pg.stop("fast")
            time.sleep(FAST_DOWNTIME)
        else:
            marks["orphans killed"] = suite.pg.kill9()
        suite.pg.start(wait=False)
        marks["accepting"] = suite.pg.wait_accepting()

    ops = operations(suite)
    with suite.server(database_url=database_url, **server_env) as (_server, client):
        samples = run_load(
            client,
            suite.actors["owner"].key,
            ops,
            seconds=LOAD_SECONDS,
            threads=LOAD_THREADS,
            events=[(RESTART_AT, restart)],
        )
    return evaluate(suite, name, samples, marks, ops)


def evaluate(
    suite: Suite,
    name: str,
    samples: list[Sample],
    marks: dict[str, float],
    ops: list[Operation],
) -> Result:
    down, accepting = marks["down"], marks["accepting"]
    after_accept = [s for s in samples if s.ok and s.response.finished >= accepting]
    recovered = min((s.response.finished for s in after_accept), default=None)
    failures = [s for s in samples if not s.ok]
    # A request may fail only if it was in flight between the outage start and recovery.
    window_end = recovered if recovered is not None else float("inf")
    outside = [s for s in failures if s.response.finished < down or s.response.started > window_end]
    after_recovery = [s for s in failures if s.response.started >= window_end]
    unclear = [s for s in failures if not clear_failure(s.response)]
    lost_by_op = acknowledged_writes_lost(suite, samples, ops)
    lost = sum(lost_by_op.values())
    acknowledged = sum(1 for s in samples if s.written)
    first_success = (recovered - accepting) if recovered is not None else None

    ok = (
        not outside
        and not after_recovery
        and not unclear
        and lost == 0
        and first_success is not None
        and first_success <= FIRST_SUCCESS_LIMIT
        and acknowledged > 0
    )
    figure = (
        f"{len(samples)} requests, {len(failures)} failed (outside the outage window: "
        f"{len(outside)}, after recovery: {len(after_recovery)}, unclear: {len(unclear)}); "
        f"outage {accepting - down:.2f} s; first success "
        + (f"{first_success:.2f} s" if first_success is not None else "never")
        + f" after accepting; acknowledged writes {acknowledged}, lost {lost}"
    )
    kinds = Counter(failure_label(s.response) for s in failures)
    if "orphans killed" in marks:
        figure += f"; backends still alive 5 s after the crash, killed: {marks['orphans killed']}"
    details = [f"failure: {count} x {label}" for label, count in kinds.most_common(5)]
    acked = Counter(s.operation for s in samples if s.written)
    details.append(
        "acknowledged writes: "
        + ", ".join(f"{op} {acked[op]} (lost {lost_by_op.get(op, 0)})" for op in sorted(acked))
    )
    details += [
        f"unclear failure: {s.response.status} {s.response.text[:200]!r}" for s in unclear[:3]
    ]
    return Result(name, ok, figure, details)


def acknowledged_writes_lost(
    suite: Suite, samples: list[Sample], ops: list[Operation]
) -> dict[str, int]:
    """Every write answered OK must be in the database with the content it was sent."""
    lost: dict[str, int] = {}
    for operation in ops:
        if operation.check_sql is None:
            continue
        written = [
            (s.written, s.marker) for s in samples if s.operation == operation.name and s.written
        ]
        if not written:
            continue
        ids, markers = zip(*written, strict=True)
        found = suite.pg.query(operation.check_sql, (list(map(str, ids)), list(markers)))[0][0]
        lost[operation.name] = len(written) - found
    return lost
