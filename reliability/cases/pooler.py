"""Case 3: the suite again, with the app behind PgBouncer in transaction mode (DB_PGBOUNCER=1)."""

from __future__ import annotations

from reliability.bouncer import PgBouncer
from reliability.cases import authz, concurrency, hostile, idle, restart
from reliability.suite import Result, Suite


def run(suite: Suite) -> list[Result]:
    bouncer = PgBouncer(suite.pg, suite.new_port())
    suite.bouncer = bouncer
    bouncer.start()
    url = bouncer.url
    results = []
    try:
        with suite.server(database_url=url, DB_PGBOUNCER="1") as (_server, client):
            first = client.graphql("{ viewer { username } }", key=suite.actors["owner"].key)
        if first.status != 200 or first.errors():
            return [
                Result(
                    "3 pooler (PgBouncer, transaction mode)",
                    False,
                    f"first request: {first.status} {first.text[:200]}",
                )
            ]
        extra = {"DB_PGBOUNCER": "1"}
        results += [
            restart.run(
                suite, mode="fast", name="3/1a pooler: db restart (fast)", database_url=url, **extra
            ),
            restart.run(
                suite,
                mode="kill",
                name="3/1b pooler: db restart (kill -9)",
                database_url=url,
                **extra,
            ),
            idle.run(
                suite, name="3/2 pooler: idle connections terminated", database_url=url, **extra
            ),
            hostile.run(suite, name="3/4 pooler: hostile queries", database_url=url, **extra),
            authz.run(suite, name="3/7 pooler: authorization matrix", database_url=url, **extra),
        ]
        results += concurrency.run(suite, prefix="3/6", database_url=url, **extra)
    finally:
        bouncer.stop()
        suite.bouncer = None
    return results
