"""Every query and mutation of the live schema, provoked into errors: anonymous, without
permissions, with unknown ids, and with wrong values (too long, blank, negative, huge) in
each of its text and number arguments and input fields. Every error, at the top level or in
a mutation's OperationInfo, carries a code of config.errors.VOCABULARY; a VALIDATION_ERROR
names its field; an anonymous caller is told UNAUTHENTICATED, never FORBIDDEN; nothing is
an INTERNAL_ERROR. New fields are covered without editing this file.
"""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth import get_user_model
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType

from config.errors import FORBIDDEN, INTERNAL_ERROR, VALIDATION_ERROR, VOCABULARY
from config.schema import schema
from reliability import gql, objects
from tests.conftest import GraphQLClient
from tests.reliability.test_unstorable_arguments import value_at

ROOTS = {"query": schema._schema.query_type, "mutation": schema._schema.mutation_type}
FIELDS = [(kind, name) for kind, root in ROOTS.items() for name in root.fields]
UNKNOWN_ID = "987654321"
# Wrong values by the scalar they are sent as.
WRONG_VALUES = {"String": ["x" * 3000, ""], "ID": ["x" * 3000, ""], "Int": [-1, 10**9]}
MAX_DEPTH = 3


def leaf_paths(type_, depth: int = 0, seen: tuple = ()) -> list[tuple[tuple, str]]:
    """(path, scalar name) of every text or number reachable in an input type."""
    if isinstance(type_, GraphQLNonNull):
        return leaf_paths(type_.of_type, depth, seen)
    if isinstance(type_, GraphQLList):
        return [(("[]", *p), s) for p, s in leaf_paths(type_.of_type, depth, seen)]
    if isinstance(type_, GraphQLScalarType):
        return [((), type_.name)] if type_.name in WRONG_VALUES else []
    if isinstance(type_, GraphQLInputObjectType) and depth < MAX_DEPTH and type_.name not in seen:
        return [
            ((name, *p), s)
            for name, field in type_.fields.items()
            for p, s in leaf_paths(field.type, depth + 1, (*seen, type_.name))
        ]
    return []


def call(kind: str, field_name: str, seeded, *, ids=None, wrong=None) -> tuple[str, dict]:
    """The field with its required and id arguments (aimed at the probed objects, or at
    `ids`), and `wrong` = (argument, path, value) put in place."""
    field = ROOTS[kind].fields[field_name]
    return_type = gql.returned_type_name(field)
    ids = seeded.ids if ids is None else ids
    declared, passed, variables = [], [], {}
    for name, arg in field.args.items():
        if wrong is not None and wrong[0] == name:
            variables[name] = value_at(arg.type, wrong[1], wrong[2], seeded)
        elif gql.is_required(arg) or name == "id" or name.endswith("Id"):
            variables[name] = gql.input_value(arg.type, ids, name, return_type, seeded.values)
        else:
            continue
        declared.append(f"${name}: {arg.type}")
        passed.append(f"{name}: ${name}")
    header = f"({', '.join(declared)})" if declared else ""
    body = field_name + (f"({', '.join(passed)})" if passed else "")
    return f"{kind} Probe{header} {{ {body} {gql.selection(field.type, max_depth=1)} }}", variables


def requests(kind: str, field_name: str, seeded) -> list[tuple[str, dict]]:
    """The probing requests of one field: as given, with unknown ids, then one wrong value
    at a time in every text or number it takes."""
    field = ROOTS[kind].fields[field_name]
    found = [
        call(kind, field_name, seeded),
        call(kind, field_name, seeded, ids=dict.fromkeys(seeded.ids, UNKNOWN_ID)),
    ]
    for arg_name, arg in field.args.items():
        for path, scalar in leaf_paths(arg.type):
            for value in WRONG_VALUES[scalar]:
                found.append(call(kind, field_name, seeded, wrong=(arg_name, path, value)))
    return found


def operation_messages(value) -> list[dict]:
    """Every OperationInfo message anywhere in `data`."""
    if isinstance(value, list):
        return [m for item in value for m in operation_messages(item)]
    if not isinstance(value, dict):
        return []
    if value.get("__typename") == "OperationInfo":
        return list(value.get("messages") or [])
    return [m for item in value.values() for m in operation_messages(item)]


def problems(body: dict, *, anonymous: bool) -> list[tuple]:
    """Errors outside the contract: (where, code, field, message)."""
    found = []
    errors = [
        ("errors", (e.get("extensions") or {}).get("code"), (e.get("extensions") or {}), e)
        for e in body.get("errors") or []
    ]
    messages = [("messages", m.get("code"), m, m) for m in operation_messages(body.get("data"))]
    for where, code, details, error in errors + messages:
        if (
            code not in VOCABULARY
            or code == INTERNAL_ERROR
            or (code == VALIDATION_ERROR and not details.get("field"))
            or (anonymous and code == FORBIDDEN)
        ):
            found.append((where, code, details.get("field"), error.get("message")))
    return found


@pytest.fixture
def seeded(make_user, make_api_key):
    """The reliability suite's probed objects, owned by a superuser."""
    make_api_key(make_user("owner", is_staff=True, is_superuser=True), name="owner-key")
    probed = objects.seed()
    probed.values["email"] = "probe@example.com"
    return probed


def test_every_query_and_mutation_is_walked():
    assert len(FIELDS) == len(ROOTS["query"].fields) + len(ROOTS["mutation"].fields)
    assert {"threads", "threadCreate", "studentCreate", "logIngest", "learnItems"} <= {
        name for _, name in FIELDS
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "field_name"), FIELDS, ids=[f"{k} {n}" for k, n in FIELDS])
def test_every_error_of_every_field_carries_a_vocabulary_code(
    kind, field_name, seeded, make_user, make_api_key
):
    # given
    owner = get_user_model().objects.get(username="owner")
    callers = {
        "anonymous": GraphQLClient(),
        "no permissions": GraphQLClient(api_key=make_api_key(make_user("nobody"))),
        "superuser": GraphQLClient(api_key=make_api_key(owner)),
    }
    probes = [("anonymous", r) for r in requests(kind, field_name, seeded)[:2]]
    probes += [("no permissions", r) for r in requests(kind, field_name, seeded)[:2]]
    probes += [("superuser", r) for r in requests(kind, field_name, seeded)]

    # when
    found = []
    for caller, (query, variables) in probes:
        body = callers[caller].execute(query, variables)
        found += [
            (caller, variables, *problem)
            for problem in problems(body, anonymous=caller == "anonymous")
        ]

    # then
    assert found == []


def http_refusals(make_user) -> dict[str, object]:
    """One request refused by the HTTP layer for each way it refuses."""
    from django.test import Client

    url, viewer = "/graphql/", '{"query": "{ viewer { username } }"}'
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("browser", is_staff=True))
    return {
        "not JSON": Client().post(url, data="{", content_type="application/json"),
        "not UTF-8": Client().post(url, data=b"\xff\xfe", content_type="application/json"),
        "a batch": Client().post(url, data=f"[{viewer}]", content_type="application/json"),
        "NaN": Client().post(url, data='{"query": NaN}', content_type="application/json"),
        "other method": Client().put(url, data=viewer, content_type="application/json"),
        "too large": Client().post(
            url, data='{"query": "' + "x" * 70_000 + '"}', content_type="application/json"
        ),
        "wrong key": Client().post(
            url, data=viewer, content_type="application/json", headers={"X-API-Key": "dk_wrong"}
        ),
        "no CSRF token": browser.post(url, data=viewer, content_type="application/json"),
        "GET mutation": Client().get(
            url, {"query": 'mutation { preferenceDelete(key: "k") { __typename } }'}
        ),
    }


@pytest.mark.django_db
def test_every_http_refusal_carries_a_vocabulary_code_and_its_status(make_user):
    # when
    answers = http_refusals(make_user)

    # then
    found = {}
    for label, response in answers.items():
        [error] = response.json()["errors"]
        code = error["extensions"]["code"]
        entry = VOCABULARY.get(code)
        found[label] = (response.status_code, entry.http_status if entry else None)
    assert {label: status for label, (status, _) in found.items()} == {
        "not JSON": 400,
        "not UTF-8": 400,
        "a batch": 400,
        "NaN": 400,
        "other method": 405,
        "too large": 413,
        "wrong key": 401,
        "no CSRF token": 403,
        "GET mutation": 400,
    }
    assert [label for label, (status, expected) in found.items() if status != expected] == []


SUBSCRIPTIONS = list(schema._schema.subscription_type.fields)


async def first_answer(query: str, variables: dict):
    """The first result of a subscription run without credentials."""
    context = {"principal": None, "last_event_id": None, "cursor": None}
    stream = await schema.subscribe(query, variable_values=variables, context_value=context)
    if not hasattr(stream, "__aiter__"):
        return stream
    async for result in stream:
        await stream.aclose()
        return result
    return None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field_name", SUBSCRIPTIONS)
def test_every_subscription_tells_an_anonymous_caller_unauthenticated(field_name):
    # given
    field = schema._schema.subscription_type.fields[field_name]
    declared, passed, variables = [], [], {}
    for name, arg in field.args.items():
        if gql.is_required(arg):
            declared.append(f"${name}: {arg.type}")
            passed.append(f"{name}: ${name}")
            variables[name] = gql.input_value(arg.type, {}, name, field_name)
    header = f"({', '.join(declared)})" if declared else ""
    body = field_name + (f"({', '.join(passed)})" if passed else "")
    query = f"subscription Probe{header} {{ {body} {gql.selection(field.type, max_depth=1)} }}"

    # when
    result = asyncio.run(first_answer(query, variables))

    # then
    assert result.data is None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["UNAUTHENTICATED"]
