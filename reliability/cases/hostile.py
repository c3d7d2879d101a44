"""Case 4: one request past each limit is refused with a clear message, runs no SQL, and is fast.

SQL is counted on the server side: PostgreSQL logs every statement (log_statement = 'all')
while this case runs, and the app's statements in the log are counted per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from reliability import gql
from reliability.suite import Result, Suite

# Generous (the machine is shared): a refusal is validation only, typically a few ms.
FAST_MS = 1000
WARM_UP_REQUESTS = 8


@dataclass
class Probe:
    limit: str
    payload: object  # the JSON body
    status: int
    message: str  # expected in one of the error messages
    absent: str | None = None  # must appear in no message


def probes(settings: dict[str, int]) -> list[Probe]:
    schema = gql.load_schema()
    depth = settings["GRAPHQL_MAX_DEPTH"] + 1
    deep = gql.deep_query(schema, depth)
    if deep is None:
        # The schema has no chain that deep; the depth rule counts nesting before fields are
        # resolved, so unknown fields still exercise it.
        deep = "{ viewer { " + "a { " * (depth - 1) + "b" + " }" * depth + " }"
    aliases = settings["GRAPHQL_MAX_ALIASES"] + 1
    tokens = settings["GRAPHQL_MAX_TOKENS"]
    page = settings["GRAPHQL_PAGE_SIZE"] + 1
    return [
        Probe("depth", {"query": deep}, 200, f"exceeds maximum operation depth of {depth - 1}"),
        Probe(
            "aliases",
            {
                "query": "{ "
                + " ".join(f"a{i}: viewer {{ username }}" for i in range(aliases))
                + " }"
            },
            200,
            f"{aliases} aliases found. Allowed: {aliases - 1}",
        ),
        Probe(
            "tokens",
            {"query": "{ " + "__typename " * tokens + "}"},
            200,
            f"Document contains more than {tokens} tokens",
        ),
        Probe(
            "page size",
            {"query": f"{{ learnItems(first: {page}) {{ totalCount }} }}"},
            200,
            f"Page size too large: 'first' is {page}, the maximum is {page - 1}.",
        ),
        Probe(
            "batch",
            [{"query": "{ viewer { username } }"}, {"query": "{ viewer { username } }"}],
            400,
            "must be one JSON object with a 'query' (no batches)",
        ),
        Probe(
            "introspection",
            {"query": "{ __schema { types { name } } }"},
            200,
            "GraphQL introspection has been disabled",
        ),
        Probe(
            "field suggestions",
            {"query": "{ viewr { username } }"},
            200,
            "Cannot query field 'viewr' on type 'Query'.",
            absent="Did you mean",
        ),
    ]


def run(suite: Suite, *, name: str, database_url: str | None = None, **server_env: str) -> Result:
    settings = {
        "GRAPHQL_MAX_DEPTH": 10,
        "GRAPHQL_MAX_ALIASES": 15,
        "GRAPHQL_MAX_TOKENS": 2000,
        "GRAPHQL_PAGE_SIZE": 100,
    }
    from django.conf import settings as django_settings

    settings.update(
        GRAPHQL_MAX_DEPTH=django_settings.GRAPHQL_MAX_DEPTH,
        GRAPHQL_MAX_ALIASES=django_settings.GRAPHQL_MAX_ALIASES,
        GRAPHQL_MAX_TOKENS=django_settings.GRAPHQL_MAX_TOKENS,
        GRAPHQL_PAGE_SIZE=django_settings.GRAPHQL_PAGE_SIZE,
    )
    details: list[str] = []
    refused = 0
    total_sql = 0
    slowest = 0.0
    suite.pg.set_statement_log(True)
    try:
        with suite.server(database_url=database_url, **server_env) as (_server, client):
            for _ in range(WARM_UP_REQUESTS):  # every worker has loaded the schema
                client.graphql("{ viewer { username } }")
            # Control: an authenticated request does show up in the count (the key lookup).
            offset = suite.pg.log_size()
            client.graphql("{ viewer { username } }", key=suite.actors["noperm"].key)
            control, offset = suite.pg.app_statements_since(offset)
            for probe in probes(settings):
                response = client.graphql("", payload=probe.payload)
                statements, offset = suite.pg.app_statements_since(offset)
                messages = [e.get("message", "") for e in response.errors()]
                good = (
                    response.status == probe.status
                    and any(probe.message in m for m in messages)
                    and not (probe.absent and any(probe.absent in m for m in messages))
                    and not response.has_traceback()
                    and not statements
                    and response.elapsed_ms < FAST_MS
                )
                refused += good
                total_sql += len(statements)
                slowest = max(slowest, response.elapsed_ms)
                line = (
                    f"{probe.limit}: {response.status} {messages[:1]} "
                    f"sql={len(statements)} {response.elapsed_ms:.0f} ms"
                )
                details.append(("" if good else "NOT REFUSED AS EXPECTED: ") + line)
    finally:
        suite.pg.set_statement_log(False)
    count = len(probes(settings))
    ok = refused == count and total_sql == 0 and len(control) > 0
    figure = (
        f"{refused}/{count} refused with a clear message; SQL statements run: {total_sql} "
        f"(control request with a key: {len(control)}); slowest {slowest:.0f} ms"
    )
    return Result(name, ok, figure, details)
