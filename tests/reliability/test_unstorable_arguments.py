"""Every String argument, input field and filter value of every query and mutation, sent with a NUL character or
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

from chat import services as chat_services
from config.schema import schema
from reliability import gql, objects
from tests.conftest import GraphQLClient
from tests.factories import UserFactory

UNSTORABLE = ["a\x00b", "a\ud800b"]
MAX_DEPTH = 3


def string_paths(type_, depth: int = 0, seen: tuple = ()) -> list[tuple]:
    """Paths (names, "[]" for a list, "{}" for JSON) to every text reachable in an input."""
    if isinstance(type_, GraphQLNonNull):
        return string_paths(type_.of_type, depth, seen)
    if isinstance(type_, GraphQLList):
        return [("[]", *p) for p in string_paths(type_.of_type, depth, seen)]
    if isinstance(type_, GraphQLScalarType):
        if type_.name == "JSON":
            return [("{}",)]  # a JSON object holding the text
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


def value_at(type_, path: tuple, leaf: str, seeded) -> object:
    """An input value with `leaf` at `path` and valid values (the probed objects) around it."""
    if isinstance(type_, GraphQLNonNull):
        return value_at(type_.of_type, path, leaf, seeded)
    if not path:
        return leaf
    if path == ("{}",):
        return {"text": leaf}
    if path[0] == "[]":
        return [value_at(type_.of_type, path[1:], leaf, seeded)]
    value = gql.input_value(type_, seeded.ids, "", type_.name, seeded.values)
    value[path[0]] = value_at(type_.fields[path[0]].type, path[1:], leaf, seeded)
    return value


ROOTS = {"query": schema._schema.query_type, "mutation": schema._schema.mutation_type}


def probes() -> list[tuple[str, str, str, tuple]]:
    found = []
    for kind, root in ROOTS.items():
        for name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                for path in string_paths(arg.type):
                    found.append((kind, name, arg_name, path))
    return found


def request(kind: str, field_name: str, arg_name: str, path: tuple, leaf: str, seeded):
    """The field called with `leaf` at `path` of `arg_name`, other arguments as the
    authorization matrix passes them (required ones and ids, aimed at the probed objects)."""
    field = ROOTS[kind].fields[field_name]
    return_type = gql.returned_type_name(field)
    declared, passed, variables = [], [], {}
    for name, arg in field.args.items():
        if name == arg_name:
            variables[name] = value_at(arg.type, path, leaf, seeded)
        elif gql.is_required(arg) or name == "id" or name.endswith("Id"):
            variables[name] = gql.input_value(
                arg.type, seeded.ids, name, return_type, seeded.values
            )
        else:
            continue
        declared.append(f"${name}: {arg.type}")
        passed.append(f"{name}: ${name}")
    header = f"({', '.join(declared)})" if declared else ""
    call = field_name + (f"({', '.join(passed)})" if passed else "")
    return f"{kind} Probe{header} {{ {call} {gql.selection(field.type, max_depth=1)} }}", variables


@pytest.fixture(scope="module")
def seeded(module_db):
    """The reliability suite's probed objects, owned by a superuser; written once for the
    module's tests, each of which runs in a savepoint of its own."""
    with module_db():
        owner = UserFactory(username="owner", is_staff=True, is_superuser=True)
        chat_services.api_key_create(user=owner, name="owner-key")
        probed = objects.seed()
    probed.values["email"] = "probe@example.com"
    return probed


PROBES = probes()


def seeded_owner():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="owner")


def test_every_query_field_with_a_string_argument_is_probed():
    assert {name for _, name, _, _ in PROBES} >= {
        "learnItems",
        "monitoringResults",
        "actionLog",
        "performanceRecord",
        "threads",
        "threadCreate",
        "apiKeyCreate",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("leaf", UNSTORABLE, ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("kind", "field_name", "arg_name", "path"),
    PROBES,
    ids=[".".join([f, a, *p]) for _, f, a, p in PROBES],
)
def test_unstorable_text_never_reaches_the_database(
    kind, field_name, arg_name, path, leaf, seeded, make_api_key
):
    # given
    query, variables = request(kind, field_name, arg_name, path, leaf, seeded)
    owner = seeded_owner()

    # when
    res = GraphQLClient(api_key=make_api_key(owner)).execute(query, variables)

    # then
    codes = [(e.get("extensions") or {}).get("code") for e in res.get("errors") or []]
    messages = [e["message"] for e in res.get("errors") or []]
    assert "INVALID_VALUE" not in codes, res
    assert "Unexpected error." not in messages, res
