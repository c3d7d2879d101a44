"""Every String argument and filter value of every query field, sent with a NUL character or
a lone surrogate: the app answers (matches nothing, not found, or a validation error naming the
field) — the database's refusal never reaches the client. New fields are covered without
editing this file."""

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from config.schema import schema
from reliability import gql

UNSTORABLE = ["a\x00b", "a\ud800b"]
MAX_DEPTH = 3


def string_paths(type_, depth: int = 0, seen: tuple = ()) -> list[tuple]:
    """Paths (names, with "[]" for a list) to every String reachable in an input type."""
    if isinstance(type_, GraphQLNonNull):
        return string_paths(type_.of_type, depth, seen)
    if isinstance(type_, GraphQLList):
        return [("[]", *p) for p in string_paths(type_.of_type, depth, seen)]
    if isinstance(type_, GraphQLScalarType):
        return [()] if type_.name in ("String", "ID") else []
    if isinstance(type_, GraphQLInputObjectType) and depth < MAX_DEPTH:
        if type_.name in seen:  # AND / OR / NOT: the same fields again
            return []
        return [
            (name, *p)
            for name, field in type_.fields.items()
            for p in string_paths(field.type, depth + 1, (*seen, type_.name))
        ]
    return []


def value_at(type_, path: tuple, leaf: str):
    if isinstance(type_, GraphQLNonNull):
        return value_at(type_.of_type, path, leaf)
    if not path:
        return leaf
    if path[0] == "[]":
        return [value_at(type_.of_type, path[1:], leaf)]
    field = type_.fields[path[0]]
    value = {
        name: gql.input_value(f.type, {}, name, type_.name)
        for name, f in type_.fields.items()
        if gql.is_required(f) and name != path[0]
    }
    value[path[0]] = value_at(field.type, path[1:], leaf)
    return value


def probes() -> list[tuple[str, str, tuple]]:
    found = []
    for name, field in schema._schema.query_type.fields.items():
        for arg_name, arg in field.args.items():
            for path in string_paths(arg.type):
                found.append((name, arg_name, path))
    return found


def request(field_name: str, arg_name: str, path: tuple, leaf: str) -> tuple[str, dict]:
    field = schema._schema.query_type.fields[field_name]
    declared, passed, variables = [], [], {}
    for name, arg in field.args.items():
        if name == arg_name:
            variables[name] = value_at(arg.type, path, leaf)
        elif gql.is_required(arg):
            variables[name] = gql.input_value(arg.type, {}, name, gql.returned_type_name(field))
        else:
            continue
        declared.append(f"${name}: {arg.type}")
        passed.append(f"{name}: ${name}")
    header = f"({', '.join(declared)})" if declared else ""
    call = field_name + (f"({', '.join(passed)})" if passed else "")
    return f"query Probe{header} {{ {call} {gql.selection(field.type, max_depth=1)} }}", variables


PROBES = probes()


def test_every_query_field_with_a_string_argument_is_probed():
    assert {name for name, _, _ in PROBES} >= {
        "learnItems",
        "monitoringResults",
        "actionLog",
        "performanceRecord",
        "threads",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("leaf", UNSTORABLE, ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("field_name", "arg_name", "path"),
    PROBES,
    ids=[".".join([f, a, *p]) for f, a, p in PROBES],
)
def test_unstorable_text_never_reaches_the_database(
    field_name, arg_name, path, leaf, superuser, api_client
):
    # given
    query, variables = request(field_name, arg_name, path, leaf)

    # when
    res = api_client(superuser).execute(query, variables)

    # then
    codes = [(e.get("extensions") or {}).get("code") for e in res.get("errors") or []]
    messages = [e["message"] for e in res.get("errors") or []]
    assert "INVALID_VALUE" not in codes, res
    assert "Unexpected error." not in messages, res
