"""A negative page offset is refused before anything runs (found by fuzzing: it reached the
ORM as a negative slice and failed as an unexpected error)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import GraphQLClient

QUERY = "query ($o: Int, $n: Int) { learnItems(offset: $o, first: $n) { totalCount } }"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ learnItems(offset: -1) { totalCount } }", None),
        (QUERY, {"o": -1, "n": 10}),
    ],
)
def test_negative_offset_is_refused_without_sql(make_user, make_api_key, query, variables):
    # given
    key = make_api_key(make_user("alice", perms=["learn.view_learnitem"]))
    client = GraphQLClient(api_key=key)

    # when: the key lookup runs before CaptureQueriesContext; the query itself runs no SQL
    client.execute("{ viewer { username } }")
    with CaptureQueriesContext(connection) as queries:
        body = client.execute(query, variables)

    # then
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Page offset must be 0 or more: 'offset' is -1."
    ]
    assert [q["sql"] for q in queries if "learn_learnitem" in q["sql"]] == []


@pytest.mark.django_db
def test_zero_offset_is_accepted(make_user, make_api_key):
    # given
    key = make_api_key(make_user("alice", perms=["learn.view_learnitem"]))

    # when
    body = GraphQLClient(api_key=key).execute(QUERY, {"o": 0, "n": 10})

    # then
    assert body == {"data": {"learnItems": {"totalCount": 0}}}


@pytest.mark.django_db
def test_negative_offset_is_refused_for_a_query_text_already_parsed(make_user, make_api_key):
    # given: the same text once with a valid offset, so its parsed document is reused
    key = make_api_key(make_user("alice", perms=["learn.view_learnitem"]))
    client = GraphQLClient(api_key=key)
    first = client.execute(QUERY, {"o": 0, "n": 10})

    # when
    body = client.execute(QUERY, {"o": -5, "n": 10})

    # then
    assert first == {"data": {"learnItems": {"totalCount": 0}}}
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Page offset must be 0 or more: 'offset' is -5."
    ]
