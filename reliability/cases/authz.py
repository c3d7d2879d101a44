"""Case 7: every query and mutation of the schema, called by callers who may not use it.

Callers: anonymous, a key of a user without permissions, a revoked key, and another user's
key (holding every permission) on the objects the owner owns. Nothing may leak: the owner's
canaries appear in no answer. Nothing may be written: no row that existed changes or
disappears, and the only new rows allowed are the caller's own (a signed-in user may create
their own chat threads and API keys without any permission). The owner's own key is the
control: the same queries must reach the canaries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from reliability import gql
from reliability.client import Client, Response
from reliability.suite import Result, Suite

Query = Callable[[str], list[tuple]]
# Columns that legitimately change on a read: when a key or a user was last seen.
VOLATILE_COLUMNS = ("last_used_at", "last_login")
# A row with one of these columns belongs to that user.
OWNER_COLUMNS = ("owner_id", "user_id")


def _tables(query: Query) -> list[tuple[str, str, str | None]]:
    """(table, primary-key column, owner column or None) of every table of the app."""
    rows = query(
        "SELECT c.relname, "
        "  (SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "     ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "   WHERE i.indrelid = c.oid AND i.indisprimary LIMIT 1), "
        "  (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid "
        f"     AND a.attname IN ({', '.join(repr(c) for c in OWNER_COLUMNS)}) "
        "   ORDER BY a.attname LIMIT 1) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
    )
    return [(table, pk or "ctid", owner) for table, pk, owner in rows]


def _row_hash(alias: str = "t") -> str:
    drop = " ".join(f"- '{column}'" for column in VOLATILE_COLUMNS)
    return f"md5((to_jsonb({alias}) {drop})::text)"


def snapshot(query: Query) -> dict[str, tuple[int, str]]:
    """(row count, content hash) of every table: cheap, to tell which call wrote."""
    parts = [
        f"SELECT '{table}', count(*), coalesce(md5(string_agg({_row_hash()}, '' "
        f"ORDER BY {_row_hash()})), '') FROM \"{table}\" t"
        for table, _pk, _owner in _tables(query)
    ]
    return {table: (count, digest) for table, count, digest in query(" UNION ALL ".join(parts))}


def rows(query: Query) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(table, primary key) -> (content hash, owning user id) of every row."""
    parts = [
        f"SELECT '{table}', {pk}::text, {_row_hash()}, "
        + (f"{owner}::text" if owner else "NULL::text")
        + f' FROM "{table}" t'
        for table, pk, owner in _tables(query)
    ]
    return {(t, pk): (digest, owner) for t, pk, digest, owner in query(" UNION ALL ".join(parts))}


def changed(before: dict, after: dict) -> list[str]:
    return [
        f"{table}: rows {before.get(table, (0, ''))[0]} -> {after.get(table, (0, ''))[0]}"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]


def forbidden_writes(before: dict, after: dict, caller_id: str | None) -> list[str]:
    """Rows that existed and changed or vanished; new rows that are not the caller's own."""
    found = []
    for key, (digest, _owner) in before.items():
        if key not in after:
            found.append(f"{key[0]} row {key[1]} deleted")
        elif after[key][0] != digest:
            found.append(f"{key[0]} row {key[1]} changed")
    for key, (_digest, owner) in after.items():
        if key not in before and (caller_id is None or owner != caller_id):
            found.append(f"{key[0]} row {key[1]} created (owner {owner})")
    return found


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
            if value.get("nodes") == [] or value.get("totalCount") == 0:
                return True
    return False


def run(suite: Suite, *, name: str, database_url: str | None = None, **server_env: str) -> Result:
    probed = suite.probed
    operations = gql.operations(gql.load_schema(), probed.ids, values=probed.values)
    details: list[str] = []
    calls = leaks = writes = 0
    outcome: Counter[str] = Counter()

    def aimed_at_owned(operation: gql.Operation) -> bool:
        """For the other user: queries, and mutations on an owned type (Thread, Message…)."""
        return operation.kind == "query" or any(
            owned in related for owned in probed.owned for related in operation.related
        )

    everything = [*probed.canaries.values(), *probed.owned_canaries.values()]
    callers = [
        ("anonymous", None, None, lambda op: True, everything),
        ("no permissions", "noperm", suite.actors["noperm"].key, lambda op: True, everything),
        ("revoked key", None, suite.actors["revoked"].key, lambda op: True, everything),
    ]
    if probed.owned:
        owned_only = list(probed.owned_canaries.values())
        callers.append(
            ("other user", "other", suite.actors["other"].key, aimed_at_owned, owned_only)
        )

    with suite.server(database_url=database_url, **server_env) as (_server, client):
        control = _control(client, suite.actors["owner"].key, operations, everything)
        for caller, actor, key, applies, secrets in callers:
            caller_id = suite.actors[actor].user_id if actor else None
            rows_before = rows(suite.pg.query)
            for operation in operations:
                if not applies(operation):
                    continue
                before = snapshot(suite.pg.query)
                response = client.graphql(operation.query, operation.variables, key=key)
                calls += 1
                found = problems(response, secrets)
                if caller == "revoked key" and response.status != 401:
                    found.append(f"revoked key answered {response.status}, not 401")
                leaks += sum(1 for f in found if f.startswith("leaked"))
                outcome["refused" if refused(response) else "answered"] += 1
                diff = changed(before, snapshot(suite.pg.query))
                found += [f"wrote {d}" for d in diff if caller_id is None]
                details.extend(f"{caller} / {operation.label}: {f}" for f in found)
            bad = forbidden_writes(rows_before, rows(suite.pg.query), caller_id)
            writes += len(bad)
            details.extend(f"{caller}: {b}" for b in bad)

    ok = not details and not control["errors"] and all(control["seen"].values())
    figure = (
        f"{len(operations)} fields x {len(callers)} callers = {calls} calls; leaks {leaks}; "
        f"forbidden writes {writes}; refused/empty {outcome['refused']}, answered without "
        f"the owner's data {outcome['answered']}; control (owner's key) reached "
        f"{sum(control['seen'].values())}/{len(control['seen'])} canaries"
    )
    details.extend(f"control: {e}" for e in control["errors"])
    details.extend(
        f"control: canary not reached: {c}" for c, seen in control["seen"].items() if not seen
    )
    return Result(name, ok, figure, details[:25])


def _control(
    client: Client, key: str, operations: list[gql.Operation], canaries: list[str]
) -> dict:
    """The owner's key runs every query (not the mutations, which would write)."""
    seen = dict.fromkeys(canaries, False)
    errors = []
    for operation in (op for op in operations if op.kind == "query"):
        response = client.graphql(operation.query, operation.variables, key=key)
        for canary in canaries:
            seen[canary] = seen[canary] or canary in response.text
        for error in response.errors():
            if "path" not in error or error.get("message") == "Unexpected error.":
                errors.append(f"{operation.label}: {error.get('message')}")
    return {"seen": seen, "errors": errors}
