"""Every query and mutation of the live schema, called by callers who may not use it:
nothing leaks, nothing is written. New fields are covered without editing this file."""

import pytest
from django.db import connection

from chat import services as chat_services
from config.schema import schema
from learn import services as learn_services
from reliability import gql
from reliability.cases.authz import changed, problems, snapshot
from reliability.client import Response
from tests.conftest import GraphQLClient

CANARY = "CANARY-owner-only-7f3a"
LABELS = [op.label for op in gql.operations(schema._schema)]
CALLERS = ["anonymous", "no permissions", "revoked key"]


def run_sql(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture
def probed(make_user):
    """An owner holding every permission, with one item carrying the canary; returns its id."""
    owner = make_user("owner", perms=["learn.view_learnitem", "learn.add_learnitem"])
    item = learn_services.learn_item_create(created_by=owner, kind="good", notes=CANARY)
    return owner, str(item.pk)


def key_for(caller: str, owner, make_user, make_api_key) -> str | None:
    if caller == "anonymous":
        return None
    if caller == "no permissions":
        return make_api_key(make_user("nobody"))
    key, raw = chat_services.api_key_create(user=owner, name="revoked")
    chat_services.api_key_revoke(key=key)
    return raw


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("label", LABELS)
def test_refused_callers_see_nothing_and_write_nothing(
    caller, label, probed, make_user, make_api_key
):
    # given: ID arguments point at the owner's objects
    owner, item_id = probed
    key = key_for(caller, owner, make_user, make_api_key)
    ops = gql.operations(schema._schema, {"LearnItem": item_id})
    operation = next(op for op in ops if op.label == label)
    before = snapshot(run_sql)

    # when
    raw = GraphQLClient(api_key=key).request(
        {"query": operation.query, "variables": operation.variables}
    )
    response = Response(raw.status_code, raw.content.decode(), 0, 0)

    # then
    assert problems(response, [CANARY]) == []
    assert changed(before, snapshot(run_sql)) == []
    if caller == "revoked key":
        assert raw.status_code == 401


@pytest.mark.django_db
def test_the_owner_reaches_the_canary_so_the_probes_can_detect_a_leak(probed, make_api_key):
    # given
    owner, item_id = probed
    key = make_api_key(owner)
    queries = [
        op for op in gql.operations(schema._schema, {"LearnItem": item_id}) if op.kind == "query"
    ]

    # when
    answers = [
        GraphQLClient(api_key=key).request({"query": op.query, "variables": op.variables})
        for op in queries
    ]

    # then
    assert [a.status_code for a in answers] == [200] * len(queries)
    assert any(CANARY in a.content.decode() for a in answers)
