"""Case 2: Neon closes idle connections. After some requests every backend of the app is
terminated with pg_terminate_backend; the requests that follow must all succeed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reliability.load import fill_marker, is_ok
from reliability.suite import Result, Suite
from reliability.workload import operations

ROUNDS = 3


def run(suite: Suite, *, name: str, database_url: str | None = None, **server_env: str) -> Result:
    key = suite.actors["owner"].key
    details: list[str] = []
    terminated = 0
    ops = operations(suite)
    sent = failed = 0
    with suite.server(database_url=database_url, **server_env) as (server, client):
        # Enough parallel requests to reach every worker thread's persistent connection.
        parallel = server.workers * server.threads * 2

        def burst() -> list[bool]:
            def one(i: int) -> bool:
                operation = ops[i % len(ops)]
                query, variables, marker = operation.make(i)
                if marker is not None:
                    variables = fill_marker(variables, f"idle-{i}")
                response = client.graphql(query, variables, key=key)
                if not is_ok(response):
                    details.append(f"{operation.name}: {response.status} {response.text[:200]!r}")
                return is_ok(response)

            with ThreadPoolExecutor(parallel) as pool:
                return list(pool.map(one, range(parallel * 2)))

        warmup = burst()
        if not all(warmup):
            return Result(name, False, "warm-up requests failed", details)
        for _ in range(ROUNDS):
            before = suite.pg.app_backends()
            terminated += suite.pg.terminate_app_backends()
            if before == 0:
                details.append("no app backend was open before termination")
            outcome = burst()
            sent += len(outcome)
            failed += outcome.count(False)
    ok = failed == 0 and terminated > 0
    figure = (
        f"{terminated} app backends terminated in {ROUNDS} rounds; "
        f"next requests: {sent} sent, {failed} failed"
    )
    return Result(name, ok, figure, details[:5])
