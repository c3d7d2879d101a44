"""Case 7: every query and mutation of the schema, called by callers who may not use it.

Callers: anonymous, a key of a user without permissions, a revoked key, and another user's
key (with every permission) on objects the owner owns. Nothing may leak (the owner's canary
appears in no answer) and nothing may be written (every table's rows are unchanged).
The owner's own key is the control: the same requests must reach the canary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from reliability import gql
from reliability.client import Client, Response
from reliability.suite import Result, Suite

# Columns that legitimately change on a read: when a key or a user was last seen.
VOLATILE_COLUMNS = ("last_used_at", "last_login")


def snapshot(query: Callable[[str], list[tuple]]) -> dict[str, tuple[int, str]]:
    """(row count, content hash) of every table of the app's database."""
    tables = [
        row[0]
        for row in query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    drop = " ".join(f"- '{column}'" for column in VOLATILE_COLUMNS)
    parts = [
        f"SELECT '{table}', count(*), coalesce(md5(string_agg(md5((to_jsonb(t) {drop})::text), '' "
        f"ORDER BY md5((to_jsonb(t) {drop})::text))), '') FROM \"{table}\" t"
        for table in tables
    ]
    rows = query(" UNION ALL ".join(parts))
    return {table: (count, digest) for table, count, digest in rows}


def changed(before: dict, after: dict) -> list[str]:
    return [
        f"{table}: rows {before.get(table, (0, ''))[0]} -> {after.get(table, (0, ''))[0]}"
        + ("" if before.get(table, (0,))[0] != after.get(table, (0,))[0] else " (content changed)")
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]


def problems(response: Response, secrets: list[str]) -> list[str]:
    found = []
    if response.status >= 500 or response.status == 0:
        found.append(f"status {response.status}")
    if response.has_traceback():
        found.append("traceback")
    for secret in secrets:
        if secret in response.text:
            found.append(f"leaked {secret!r}")
    for error in response.errors():
        if error.get("message") == "Unexpected error.":
            found.append("unexpected (masked) error")
        elif "path" not in error and response.status == 200:
            # The request never ran: a bug in the probe, so the field was not exercised.
            found.append(f"not exercised: {error.get('message')}")
    return found


def refused(response: Response) -> bool:
    """An error, an OperationInfo, or a null/empty answer."""
    if response.status != 200 or response.errors():
        return True
    data = (response.json or {}).get("data") or {}
    for value in data.values():
        if value is None or value == []:
            return True
        if isinstance(value, dict):
            if value.get("__typename") == "OperationInfo":
                return True
            if value.get("results") == [] or value.get("totalCount") == 0:
                return True
    return False


def run(suite: Suite, *, name: str, database_url: str | None = None, **server_env: str) -> Result:
    probed = suite.probed
    schema = gql.load_schema()
    operations = gql.operations(schema, probed.ids)
    secret_values = [probed.canary, *probed.markers]
    details: list[str] = []
    calls = leaks = writes = 0
    outcome: Counter[str] = Counter()

    def owned_only(operation: gql.Operation) -> bool:
        """For the other user: queries, and mutations aimed at an owned object by id."""
        if operation.kind == "query":
            return True
        text = gql.dumps(operation.variables)
        return any(f'"{probed.ids[t]}"' in text for t in probed.owned if t in probed.ids)

    callers = [
        ("anonymous", None, lambda op: True),
        ("no permissions", suite.actors["noperm"].key, lambda op: True),
        ("revoked key", suite.actors["revoked"].key, lambda op: True),
    ]
    if probed.owned:
        callers.append(("other user", suite.actors["other"].key, owned_only))

    with suite.server(database_url=database_url, **server_env) as (_server, client):
        control = _control(client, suite.actors["owner"].key, operations, probed.canary)
        for caller, key, applies in callers:
            before = snapshot(suite.pg.query)
            for operation in operations:
                if not applies(operation):
                    continue
                response = client.graphql(operation.query, operation.variables, key=key)
                calls += 1
                found = problems(response, secret_values)
                if caller == "revoked key" and response.status != 401:
                    found.append(f"revoked key answered {response.status}, not 401")
                leaks += sum(1 for f in found if f.startswith("leaked"))
                outcome["refused" if refused(response) else "answered"] += 1
                details.extend(f"{caller} / {operation.label}: {f}" for f in found)
            diff = changed(before, snapshot(suite.pg.query))
            writes += len(diff)
            details.extend(f"{caller}: written {d}" for d in diff)

    ok = not details and control["canary_seen"] > 0 and not control["errors"]
    figure = (
        f"{len(operations)} fields x {len(callers)} callers = {calls} calls; leaks {leaks}; "
        f"tables changed {writes}; refused/empty {outcome['refused']}, answered without "
        f"owner data {outcome['answered']}; control (owner's key) saw the canary in "
        f"{control['canary_seen']} of {control['queries']} queries"
    )
    details.extend(f"control: {e}" for e in control["errors"])
    return Result(name, ok, figure, details[:20])


def _control(client: Client, key: str, operations: list[gql.Operation], canary: str) -> dict:
    """The owner's key runs every query (not the mutations, which would write)."""
    queries = [op for op in operations if op.kind == "query"]
    seen = 0
    errors = []
    for operation in queries:
        response = client.graphql(operation.query, operation.variables, key=key)
        seen += canary in response.text
        for error in response.errors():
            if "path" not in error or error.get("message") == "Unexpected error.":
                errors.append(f"{operation.label}: {error.get('message')}")
    return {"canary_seen": seen, "queries": len(queries), "errors": errors}
