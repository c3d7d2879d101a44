"""Every query and mutation of the live schema, called by callers who may not use it:
nothing leaks, nothing is written. New fields are covered without editing this file.

The same probes as `make reliability` (case 7), through the test client: anonymous, a key
without permissions, a revoked key, and another user's key on the owner's chat objects.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from chat import services as chat_services
from config.schema import schema
from reliability import gql, objects
from reliability.cases.authz import forbidden_writes, problems, rows
from reliability.client import Response
from reliability.suite import APPS
from tests.conftest import GraphQLClient
from tests.factories import UserFactory

CALLERS = ["anonymous", "no permissions", "revoked key", "other user"]


def aimed_at_owned(operation: gql.Operation) -> bool:
    return any(t in related for t in objects.OWNED_TYPES for related in operation.related)


# The other user holds every permission, so only their calls on owned objects (and reads)
# must be refused; changing shared data is what their permissions are for.
CASES = [
    (caller, op.label)
    for caller in CALLERS
    for op in gql.operations(schema._schema)
    if caller != "other user" or op.kind == "query" or aimed_at_owned(op)
]


def run_sql(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def all_perms() -> list[str]:
    return [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=APPS).select_related(
            "content_type"
        )
    ]


@pytest.fixture(scope="module")
def probed(module_db):
    """The owner (every permission) and their objects, each carrying a canary; written once for
    the module's tests, each of which runs in a savepoint of its own."""
    with module_db():
        owner = UserFactory(username="owner", perms=all_perms())
        chat_services.api_key_create(user=owner, name="owner-key")
        return owner, objects.seed()


@pytest.fixture(scope="module")
def probes(probed) -> dict[str, gql.Operation]:
    """The operations aimed at the owner's objects, by label (the first of each label)."""
    _, seeded = probed
    found = {}
    for op in gql.operations(schema._schema, seeded.ids, values=seeded.values):
        found.setdefault(op.label, op)
    return found


def caller_key(caller: str, owner, make_user, make_api_key) -> tuple[str | None, str | None]:
    """(key, user id whose new rows are allowed) of a caller."""
    if caller == "anonymous":
        return None, None
    if caller == "no permissions":
        user = make_user("nobody")
        return make_api_key(user), str(user.pk)
    if caller == "other user":
        user = make_user("other", perms=all_perms())
        return make_api_key(user), str(user.pk)
    key, raw = chat_services.api_key_create(user=owner, name="revoked")
    chat_services.api_key_revoke(key=key)
    return raw, None


@pytest.mark.django_db
@pytest.mark.parametrize(("caller", "label"), CASES)
def test_refused_callers_see_nothing_and_write_nothing(
    caller, label, probed, probes, make_user, make_api_key
):
    # given: arguments point at the owner's objects
    owner, seeded = probed
    operation = probes[label]
    key, caller_id = caller_key(caller, owner, make_user, make_api_key)
    canaries = list(seeded.owned_canaries.values())
    if caller != "other user":
        canaries += list(seeded.canaries.values())
    before = rows(run_sql)

    # when
    raw = GraphQLClient(api_key=key).request(
        {"query": operation.query, "variables": operation.variables}
    )
    response = Response(raw.status_code, raw.content.decode(), 0, 0)

    # then
    assert problems(response, canaries) == []
    assert forbidden_writes(before, rows(run_sql), caller_id) == []
    if caller == "revoked key":
        assert raw.status_code == 401


@pytest.mark.django_db
def test_the_owner_reaches_every_canary_so_the_probes_can_detect_a_leak(probed, make_api_key):
    # given
    owner, seeded = probed
    key = make_api_key(owner)
    queries = [
        op
        for op in gql.operations(schema._schema, seeded.ids, values=seeded.values)
        if op.kind == "query"
    ]

    # when
    answers = [
        GraphQLClient(api_key=key).request({"query": op.query, "variables": op.variables})
        for op in queries
    ]

    # then
    text = "".join(a.content.decode() for a in answers)
    assert [a.status_code for a in answers] == [200] * len(queries)
    assert [
        c for c in [*seeded.canaries.values(), *seeded.owned_canaries.values()] if c not in text
    ] == []
