"""Each limit refuses one request past it, with a readable message and no SQL."""

import pytest
import strawberry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import get_introspection_query

from config.schema import build_schema
from tests.conftest import GraphQLClient


def run(query: str, variables: dict | None = None) -> tuple[int, dict, int]:
    """POST anonymously; return (status, body, SQL queries run)."""
    with CaptureQueriesContext(connection) as queries:
        response = GraphQLClient().client.post(
            "/graphql/",
            {"query": query, "variables": variables or {}},
            content_type="application/json",
        )
    return response.status_code, response.json(), len(queries)


@pytest.mark.django_db
def test_aliases_past_the_limit_are_refused_without_sql(settings):
    # given
    at_limit = "{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(15)) + " }"
    past_limit = "{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(16)) + " }"

    # when
    ok_status, ok_body, _ = run(at_limit)
    _status, body, sql = run(past_limit)

    # then
    assert ok_status == 200 and "errors" not in ok_body
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "16 aliases found. Allowed: 15",
                "extensions": {"code": "TOO_MANY_ALIASES"},
            }
        ],
    }
    assert sql == 0


@pytest.mark.django_db
def test_tokens_past_the_limit_are_refused_without_sql():
    # given: each "__typename" selection adds one token to the two braces
    past_limit = "{ " + "__typename " * 1999 + "}"

    # when
    _status, body, sql = run(past_limit)

    # then
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
                "locations": [{"line": 1, "column": 21992}],
                "extensions": {"code": "TOO_MANY_TOKENS"},
            }
        ],
    }
    assert sql == 0


@pytest.mark.django_db
def test_introspection_is_refused_outside_debug():
    # when
    _status, body, sql = run("{ __schema { queryType { name } } }")

    # then
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'.",
        "GraphQL introspection has been disabled, but the requested query contained the field 'queryType'.",
    ]
    assert sql == 0


@pytest.mark.django_db
def test_introspection_works_when_enabled(settings):
    # given: GraphiQL's own introspection query, as sent in DEBUG
    settings.GRAPHQL_INTROSPECTION = True

    # when
    status, body, _ = run(get_introspection_query())

    # then
    assert status == 200
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.django_db
def test_field_suggestions_are_off_outside_debug():
    # when
    _status, body, sql = run("{ viewr { username } }")

    # then
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Cannot query field 'viewr' on type 'Query'.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
    assert sql == 0


@pytest.mark.django_db
def test_batched_requests_are_refused():
    # when
    response = GraphQLClient().client.post(
        "/graphql/", [{"query": "{ viewer { username } }"}] * 2, content_type="application/json"
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "The request body must be one JSON object with a 'query' (no batches).",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }


# Depth and page size are checked on a small schema built with the project's own
# configuration (build_schema), since they need nested and paginated fields.


@strawberry.type
class Node:
    name: str = "n"

    @strawberry.field
    def child(self) -> "Node":
        return Node()

    @strawberry.field
    def items(self, first: int = 10, offset: int = 0) -> list[str]:
        return ["x"] * first


@strawberry.type
class LimitsQuery:
    @strawberry.field
    def root(self) -> Node:
        return Node()


limits_schema = build_schema(LimitsQuery)


def depth_query(depth: int) -> str:
    """root { child { ... { name } } }, `depth` levels below the top-level field."""
    return "{ " + "root { " + "child { " * (depth - 1) + "name" + " }" * depth + " }"


@pytest.mark.django_db
def test_depth_past_the_limit_is_refused_without_sql():
    # when
    with CaptureQueriesContext(connection) as queries:
        at_limit = limits_schema.execute_sync(depth_query(10))
        past_limit = limits_schema.execute_sync(depth_query(11))

    # then
    assert at_limit.errors is None
    assert [e.message for e in past_limit.errors] == [
        "'anonymous' exceeds maximum operation depth of 10"
    ]
    assert past_limit.data is None
    assert len(queries) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            "{ root { items(first: 101) } }",
            None,
            "Page size too large: 'first' is 101, the maximum is 100.",
        ),
        (
            "query($n: Int!) { root { items(first: $n) } }",
            {"n": 101},
            "Page size too large: 'first' is 101, the maximum is 100.",
        ),
        (
            "{ root { items(first: -1) } }",
            None,
            "Page size must be 0 or more: 'first' is -1.",
        ),
        (
            "query($o: Int!) { root { items(offset: $o) } }",
            {"o": 10001},
            "Page offset too large: 'offset' is 10001, the maximum is 10000 (page further with "
            "cursors).",
        ),
    ],
)
def test_page_size_past_the_limit_is_refused_without_sql(query, variables, message):
    # when
    with CaptureQueriesContext(connection) as queries:
        result = limits_schema.execute_sync(query, variable_values=variables)

    # then
    assert [e.message for e in result.errors] == [message]
    assert result.data is None
    assert len(queries) == 0


def test_page_size_at_the_limit_is_accepted():
    # when
    result = limits_schema.execute_sync("{ root { items(first: 100) } }")

    # then
    assert result.errors is None
    assert len(result.data["root"]["items"]) == 100


@pytest.mark.django_db
def test_oversized_body_is_refused_as_json(settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    # when
    response = GraphQLClient().client.post(
        "/graphql/",
        {"query": "{ viewer { username } }", "variables": {"pad": "x" * 2000}},
        content_type="application/json",
    )

    # then
    assert response.status_code == 413
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Request body too large (limit 1000 bytes).",
                "extensions": {"code": "REQUEST_TOO_LARGE"},
            }
        ],
    }
