"""A bounded, self-stopping HTTP load client (threads + http.client, standard library only).

Each batch sends at most `total` requests and stops at `time_cap` seconds, whichever comes
first. Every request opens its own connection (gunicorn's sync workers close it anyway),
unless `keep_alive`: then each of the batch's clients keeps one connection for all its
requests, as a browser or a proxy in front of the server does, and opens another only when
the server closed it (http.client reconnects on the next request).
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

QUERIES_HEADER = "X-Bench-Queries"
SQL_MS_HEADER = "X-Bench-Sql-Ms"


@dataclass(frozen=True)
class Call:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    queries: int | None
    sql_ms: float | None


def send(
    host: str,
    port: int,
    call: Call,
    timeout: float = 120.0,
    *,
    conn: http.client.HTTPConnection | None = None,
) -> Response:
    """`call` on a connection of its own, or on `conn`, left open for the next (closed on a
    failure: the next request opens another)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", call.path, body=call.body, headers=call.headers)
        response = conn.getresponse()
        body = response.read()
    except BaseException:
        conn.close()
        raise
    finally:
        if own:
            conn.close()
    queries = response.getheader(QUERIES_HEADER)
    sql_ms = response.getheader(SQL_MS_HEADER)
    return Response(
        status=response.status,
        body=body,
        queries=int(queries) if queries is not None else None,
        sql_ms=float(sql_ms) if sql_ms is not None else None,
    )


def failure(response: Response) -> str | None:
    """Why a response does not count as a success, or None."""
    if response.status != 200:
        return f"HTTP {response.status}: {response.body[:300].decode(errors='replace')}"
    if b'"errors"' in response.body or b'"OperationInfo"' in response.body:
        answer = json.loads(response.body)
        if answer.get("errors") or b'"OperationInfo"' in response.body:
            return f"errors in answer: {response.body[:300].decode(errors='replace')}"
    return None


@dataclass
class Batch:
    """What one batch measured."""

    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0

    def merge(self, other: Batch) -> None:
        self.latencies += other.latencies
        self.queries += other.queries
        self.sql_ms += other.sql_ms
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.elapsed += other.elapsed


def run_batch(
    host: str,
    port: int,
    make_call: Callable[[int], Call],
    *,
    total: int,
    concurrency: int,
    time_cap: float,
    first_number: int = 0,
    keep_alive: bool = False,
) -> Batch:
    """Send up to `total` calls from `concurrency` threads; stop at `time_cap` seconds."""
    lock = threading.Lock()
    issued = 0
    parts = [Batch() for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + time_cap

    def worker(part: Batch) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=120.0) if keep_alive else None
        try:
            requests(part, conn)
        finally:
            if conn is not None:
                conn.close()

    def requests(part: Batch, conn: http.client.HTTPConnection | None) -> None:
        nonlocal issued
        while True:
            with lock:
                if issued >= total or time.perf_counter() >= deadline:
                    return
                number = first_number + issued
                issued += 1
            call = make_call(number)
            t0 = time.perf_counter()
            try:
                response = send(host, port, call, conn=conn)
            except (OSError, http.client.HTTPException) as exc:
                part.errors += 1
                part.first_error = part.first_error or f"{type(exc).__name__}: {exc}"
                continue
            elapsed = time.perf_counter() - t0
            problem = failure(response)
            if problem:
                part.errors += 1
                part.first_error = part.first_error or problem
                continue
            part.latencies.append(elapsed)
            if response.queries is not None:
                part.queries.append(response.queries)
            if response.sql_ms is not None:
                part.sql_ms.append(response.sql_ms)

    threads = [threading.Thread(target=worker, args=(part,), daemon=True) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = Batch(elapsed=time.perf_counter() - started)
    for part in parts:
        result.merge(part)
    result.elapsed = time.perf_counter() - started
    return result


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (0 < fraction <= 1) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
