"""config.compiler.operations: a query the compiler answered whole is kept and answered
without the executor the next time, byte for byte; a request it cannot answer so (variables
refused, a permission refused, a cursor that does not decode) gets the standard path's answer,
and the operation is forgotten."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from strawberry.django.context import StrawberryDjangoContext

from chat.services import api_key_create
from config.compiler import operations
from config.extensions import DocumentCache
from config.schema import schema
from tests.benchmarks.conftest import BenchClient
from tests.factories import UserFactory

LOGS = """query Logs($first: Int!, $after: String) {
  logs(first: $first, after: $after) {
    edges { cursor node { id level message context } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TWO_LISTS = """query Two($first: Int!) {
  recent: logs(first: $first) { nodes { id timestamp } }
  items: learnItems(first: $first) { totalCount nodes { id tags createdBy { username } } }
}"""


def kept(query: str, operation_name: str | None = None) -> bool:
    return (DocumentCache.key(query), operation_name) in schema._operations


def send(client: BenchClient, settings, query: str, variables: dict, *, compiled=True):
    settings.GRAPHQL_COMPILE = compiled
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/graphql/", {"query": query, "variables": variables})
    return response.status_code, response.content, len(queries)


@pytest.fixture
def client(bench, seed):
    client = BenchClient(seed(learn_items=40))
    client.post("/graphql/", {"query": "{ viewer { id } }"})  # the key's first use
    return client


def test_a_query_answered_whole_is_kept_and_answered_again_the_same(client, settings):
    # given
    variables = {"first": 3}
    schema._operations.clear()

    # when
    executed = send(client, settings, TWO_LISTS, variables)
    assert kept(TWO_LISTS)
    again = send(client, settings, TWO_LISTS, variables)
    standard = send(client, settings, TWO_LISTS, variables, compiled=False)

    # then: the key's statement and one per list, both times
    assert executed == again == (200, standard[1], 3)
    assert json.loads(again[1])["data"]["items"]["nodes"][0]["createdBy"]["username"]


def test_a_query_with_a_field_the_compiler_leaves_is_not_kept(client, settings):
    # given
    query = "query Mixed { viewer { username } logs(first: 2) { nodes { id } } }"

    # when
    status, body, _ = send(client, settings, query, {})

    # then
    assert status == 200 and b'"errors"' not in body
    assert not kept(query)


def test_a_mutation_is_not_kept(client, settings):
    # given
    query = "mutation { logIngest(logs: []) { accepted } }"

    # when
    send(client, settings, query, {})

    # then
    assert not kept(query)


def _cursor(client, settings) -> str:
    _, body, _ = send(client, settings, LOGS, {"first": 2})
    return json.loads(body)["data"]["logs"]["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": "two"}, "BAD_REQUEST"),
        ({"first": None}, "BAD_REQUEST"),
        ({"first": 10_000}, "PAGE_SIZE_TOO_LARGE"),
        ({"first": 2, "after": "not-a-cursor"}, "VALIDATION_ERROR"),
        ({"first": 2, "after": "W10"}, "VALIDATION_ERROR"),
    ],
)
def test_a_request_it_cannot_answer_gets_the_standard_answer(client, settings, variables, code):
    # given: the query kept
    _cursor(client, settings)
    _cursor(client, settings)
    assert kept(LOGS)

    # when
    refused = send(client, settings, LOGS, variables)
    standard = send(client, settings, LOGS, variables, compiled=False)

    # then
    assert refused[:2] == standard[:2]
    assert json.loads(refused[1])["errors"][0]["extensions"]["code"] == code
    assert not kept(LOGS)
    # and the next good request is answered, and kept again
    after = _cursor(client, settings)
    assert send(client, settings, LOGS, {"first": 2, "after": after})[0] == 200
    assert kept(LOGS)


def test_a_caller_without_the_permission_gets_the_standard_refusal(client, settings):
    # given: the query kept by a reader of logs
    _cursor(client, settings)
    assert kept(LOGS)
    _, other_key = api_key_create(user=UserFactory(), name="no logs")
    other = BenchClient(other_key)

    # when
    refused = send(other, settings, LOGS, {"first": 2})
    standard = send(other, settings, LOGS, {"first": 2}, compiled=False)

    # then
    assert refused[:2] == standard[:2]
    assert json.loads(refused[1])["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert json.loads(refused[1])["data"] is None


def test_a_cursor_walk_without_the_executor_reads_every_page(client, settings):
    # given
    _cursor(client, settings)

    # when: the first 30 logs, two at a time, the query kept after its first page
    ids, after = [], None
    for _ in range(15):
        _, body, statements = send(client, settings, LOGS, {"first": 2, "after": after})
        page = json.loads(body)["data"]["logs"]
        ids += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        assert statements == 2

    # then: the standard path's 30, in its order
    _, body, _ = send(client, settings, LOGS, {"first": 30}, compiled=False)
    assert ids == [edge["node"]["id"] for edge in json.loads(body)["data"]["logs"]["edges"]]


def test_at_most_kept_operations_are_kept_the_least_recent_first_out(client, settings, monkeypatch):
    # given
    monkeypatch.setattr(operations, "KEPT", 2)
    queries = [f"query Q{n} {{ logs(first: {n}) {{ nodes {{ id }} }} }}" for n in (1, 2, 3)]

    # when
    for query in queries:
        send(client, settings, query, {})

    # then
    assert [kept(query) for query in queries] == [False, True, True]
    assert len(schema._operations) == 2


@pytest.mark.parametrize("variables", [["first", 2], "first=2", 2])
def test_variables_that_are_not_an_object_get_the_executors_answer(client, settings, variables):
    # given: the query kept; a caller of the schema itself (not the HTTP view, which refuses
    # such a body before)
    _cursor(client, settings)
    assert kept(LOGS)
    request = client.post("/graphql/", {"query": "{ viewer { id } }"}).wsgi_request

    # when
    context = StrawberryDjangoContext(request=request, response=None)
    result = schema.execute_sync(LOGS, variable_values=variables, context_value=context)

    # then
    assert result.data is None
    assert len(result.errors) == 1
    assert not kept(LOGS)


def test_a_kept_query_sent_with_get_answers_as_with_post(client, settings):
    # given: kept from a POST
    _cursor(client, settings)
    assert kept(LOGS)
    params = {"query": LOGS, "variables": json.dumps({"first": 2})}

    # when
    settings.GRAPHQL_COMPILE = True
    by_get = client.client.get("/graphql/", params, headers={"Accept": "application/json"})
    settings.GRAPHQL_COMPILE = False
    standard = client.client.get("/graphql/", params, headers={"Accept": "application/json"})

    # then
    assert by_get.status_code == standard.status_code == 200
    assert by_get.content == standard.content
    assert kept(LOGS)


def test_a_query_sent_to_the_asgi_application_is_kept_and_answered_the_same(client, settings):
    # given: Django's ASGI handler (production serves HTTP through it), which runs the view's
    # synchronous execution in a thread
    schema._operations.clear()
    asgi = AsyncClient()
    headers = {"Authorization": client.client.defaults["HTTP_AUTHORIZATION"]}
    body = {"query": LOGS, "variables": {"first": 3}}

    def post():
        response = async_to_sync(asgi.post)(
            "/graphql/", body, content_type="application/json", headers=headers
        )
        return response.status_code, response.content

    # when
    settings.GRAPHQL_COMPILE = True
    executed = post()
    kept_after_one = kept(LOGS)
    again = post()
    settings.GRAPHQL_COMPILE = False
    standard = post()

    # then
    assert kept_after_one
    assert executed == again == standard
    assert executed[0] == 200
