"""A bounded mixed read/write load on the GraphQL endpoint, every request timed and kept."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reliability.client import Client, Response


@dataclass
class Operation:
    """One request template; `make(n)` returns (query, variables, marker of the row it writes)."""

    name: str
    make: Callable[[int], tuple[str, dict, str | None]]
    # Given the JSON data of an OK answer: the written row's id, or None for reads.
    written_id: Callable[[dict], str | None] = lambda data: None
    # For writes: SQL counting the rows among (ids, markers) arrays that exist, e.g.
    # "SELECT count(*) FROM t JOIN unnest(%s::text[], %s::text[]) AS w(id, m) ON …".
    check_sql: str | None = None


@dataclass
class Sample:
    operation: str
    response: Response
    ok: bool
    marker: str | None
    written: str | None  # id of the row an OK write answered with


def is_ok(response: Response) -> bool:
    """200, no errors, and no mutation answered with OperationInfo (a refused write)."""
    body = response.json
    if response.status != 200 or not isinstance(body, dict) or body.get("errors"):
        return False
    data = body.get("data") or {}
    return all(
        not (isinstance(value, dict) and value.get("__typename") == "OperationInfo")
        for value in data.values()
    )


def run_load(
    client: Client,
    key: str,
    operations: list[Operation],
    *,
    seconds: float,
    threads: int,
    pause: float = 0.01,
    events: list[tuple[float, Callable[[], None]]] = (),
) -> list[Sample]:
    """Send the operations round-robin from `threads` threads for `seconds` seconds.

    `events` are (offset in seconds, action) pairs run from the calling thread meanwhile,
    e.g. restarting the database at 10 s.
    """
    start = time.monotonic()
    stop_at = start + seconds
    samples: list[Sample] = []
    lock = threading.Lock()
    run_id = secrets.token_hex(4)

    def worker(index: int) -> None:
        cycle = itertools.cycle(
            operations[index % len(operations) :] + operations[: index % len(operations)]
        )
        n = 0
        while time.monotonic() < stop_at:
            operation = next(cycle)
            n += 1
            query, variables, marker = operation.make(n)
            if marker is not None:
                marker = f"{marker}-{run_id}-{index}-{n}"
                variables = fill_marker(variables, marker)
            response = client.graphql(query, variables, key=key, timeout=15)
            ok = is_ok(response)
            written = operation.written_id(response.json["data"]) if ok and marker else None
            with lock:
                samples.append(Sample(operation.name, response, ok, marker, written))
            time.sleep(pause)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in workers:
        thread.start()
    for offset, action in sorted(events, key=lambda e: e[0]):
        delay = start + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        action()
    for thread in workers:
        thread.join(timeout=seconds + 60)
    return sorted(samples, key=lambda s: s.response.started)


def fill_marker(value, marker: str):
    """Replace every "{marker}" placeholder in the variables."""
    if isinstance(value, str):
        return value.replace("{marker}", marker)
    if isinstance(value, dict):
        return {k: fill_marker(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_marker(v, marker) for v in value]
    return value
