"""Case 5b: extreme values for every scalar argument and input field of schema.graphql.

Each query and mutation gets its minimal valid request (reliability/gql.py); then, one at a
time, every argument and input field of a scalar type (nested input objects and lists
included) is replaced by each extreme value of its type, sent with an API key holding every
permission. Every answer must be JSON: no 5xx, no traceback, no masked "Unexpected error.",
and every error carries an `extensions.code` of config.errors.VOCABULARY. Afterwards every
list query must still answer without errors for another reader, so nothing written with an
extreme value breaks a read.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType

from config.errors import VOCABULARY
from reliability import gql
from reliability.client import Response
from reliability.suite import Result, Suite

# A filter's AND/OR/NOT repeat the filter's own fields: walked once, not three times more.
COMBINATORS = frozenset({"AND", "OR", "NOT", "DISTINCT"})
DEEP = 32  # JSON nesting the server must take; one more level must be refused cleanly.


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


EXTREMES: dict[str, list[object]] = {
    "String": [
        "",
        "x" * 100_000,
        "nul\x00byte",
        "lone \ud800 surrogate",
        "\u202eRTL\u202c e\u0301\u0301\u0301 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    ],
    "Int": [2**31, -(2**31), 2**31 - 1, -(2**31 - 1), 2**53, -(2**53)],
    "Float": [1e308, -1e308, 5e-324, "NaN", "Infinity"],
    "DateTime": [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59.999999+00:00",
        "0000-12-31T23:59:59+00:00",
        "10000-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
    "Date": ["0001-01-01", "9999-12-31", "0000-12-31", "10000-01-01"],
    "Decimal": ["1e308", "-1e308", "NaN", "Infinity", "9" * 100],
    "JSON": [_nested(DEEP), _nested(DEEP + 1), {"blob": "x" * 1_000_000}],
    "ID": ["nul\x00id", "new\nline", "i" * 100, "i" * 101, "\u00efd-\u65e5\u672c"],
}


def _positions(type_, path: tuple, depth: int = 0) -> Iterator[tuple[tuple, str]]:
    """(path inside the argument's value, scalar name) of every scalar the type can hold;
    a path step is a field name, or 0 for "inside a list"."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        yield from _positions(type_.of_type, (*path, 0), depth)
    elif isinstance(type_, GraphQLScalarType):
        if type_.name in EXTREMES:
            yield path, type_.name
    elif isinstance(type_, GraphQLInputObjectType) and depth < 3:
        for name, field in type_.fields.items():
            if name in COMBINATORS:
                continue
            yield from _positions(field.type, (*path, name), depth + 1)


def _placed(base: object, type_, path: tuple, value: object, ids, name: str, owner: str):
    """`base` (a valid value of `type_`, or None) with `value` put at `path`."""
    if not path:
        return value
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    step, rest = path[0], path[1:]
    if isinstance(type_, GraphQLList):
        inner = base[0] if isinstance(base, list) and base else None
        return [_placed(inner, type_.of_type, rest, value, ids, name, owner)]
    assert isinstance(type_, GraphQLInputObjectType)
    result = copy.deepcopy(base) if isinstance(base, dict) else {}
    if type_.is_one_of:
        result = {}
    field = type_.fields[step]
    inner = result.get(step)
    if inner is None and rest:
        inner = gql.input_value(field.type, ids, step, type_.name, {})
    result[step] = _placed(inner, field.type, rest, value, ids, step, type_.name)
    return result


def requests(schema, probed) -> Iterator[tuple[str, str, dict]]:
    """(label, query, variables) for every scalar position of every root field x extreme."""
    base_ops = {op.field: op for op in gql.operations(schema, probed.ids, values=probed.values)}
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for field_name, field in root.fields.items():
            base = base_ops[field_name]
            return_type = gql.returned_type_name(field)
            body = gql.selection(field.type)
            for arg_name, arg in field.args.items():
                for path, scalar in _positions(arg.type, ()):
                    variables = dict(base.variables)
                    names = sorted(set(variables) | {arg_name})
                    declared = ", ".join(f"${n}: {field.args[n].type}" for n in names)
                    passed = ", ".join(f"{n}: ${n}" for n in names)
                    query = f"{kind} Extreme({declared}) {{ {field_name}({passed}) {body} }}"
                    arg_base = variables.get(arg_name)
                    if arg_base is None and path:
                        arg_base = gql.input_value(arg.type, probed.ids, arg_name, return_type)
                    where = ".".join(str(step) for step in (arg_name, *path))
                    for index, value in enumerate(EXTREMES[scalar]):
                        placed = _placed(
                            arg_base, arg.type, path, value, probed.ids, arg_name, return_type
                        )
                        yield (
                            f"{kind} {field_name} {where} ({scalar} #{index})",
                            query,
                            {**variables, arg_name: placed},
                        )


def problems(response: Response) -> list[str]:
    found = []
    if response.status >= 500 or response.status == 0:
        found.append(f"status {response.status}")
    if response.json is None:
        found.append(f"not JSON: {response.text[:80]!r}")
    if response.has_traceback():
        found.append("traceback")
    for error in response.errors():
        if error.get("message") == "Unexpected error.":
            found.append("unexpected (masked) error")
        elif (error.get("extensions") or {}).get("code") not in VOCABULARY:
            found.append(f"error without a vocabulary code: {error.get('message', '')[:120]!r}")
    return found


def run(suite: Suite) -> Result:
    schema = gql.load_schema()
    probed = suite.probed
    writer = suite.new_actor("scalars")
    reader = suite.new_actor("scalars-reader")
    revoker = suite.new_actor("scalars-revoke")
    details: list[str] = []
    statuses: Counter[int] = Counter()
    by_scalar: Counter[str] = Counter()
    refused = calls = 0
    with suite.server() as (_server, client):
        for label, query, variables in requests(schema, probed):
            # apiKeyRevoke may revoke the key in use; it gets a key of its own.
            key = revoker.key if " apiKeyRevoke " in label else writer.key
            response = client.graphql(query, variables, key=key, timeout=60)
            calls += 1
            statuses[response.status] += 1
            by_scalar[label.rsplit("(", 1)[1].split(" ")[0]] += 1
            refused += bool(response.errors())
            details.extend(f"{label}: {problem}" for problem in problems(response))
        lists = [
            op
            for op in gql.operations(schema, probed.ids, values=probed.values)
            if op.kind == "query" and not op.variables
        ]
        read_failures = 0
        for operation in lists:
            response = client.graphql(operation.query, {}, key=reader.key)
            found = problems(response) + [
                f"error {e.get('message', '')[:120]!r}" for e in response.errors()
            ]
            read_failures += bool(found)
            details.extend(f"reader / {operation.label}: {f}" for f in found)
    (suite.run_dir / "scalars-problems.txt").write_text("".join(f"{d}\n" for d in details))
    ok = calls > 0 and not details
    figure = (
        f"{calls} requests ({', '.join(f'{s} {n}' for s, n in sorted(by_scalar.items()))}), "
        f"statuses {dict(sorted(statuses.items()))}, refused with a coded error {refused}; "
        f"problems {len(details)}; {len(lists) - read_failures}/{len(lists)} list queries "
        "answered cleanly for another reader afterwards"
    )
    return Result("5b extreme scalar values", ok, figure, details[:40])
