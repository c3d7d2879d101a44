"""The plain-column fast path (config.execution) answers byte for byte like Strawberry's
standard execution, on the benchmark queries and on trickier selections."""

import json
from datetime import UTC, datetime

import pytest
import strawberry
import strawberry_django
from django.test import RequestFactory
from strawberry.django.context import StrawberryDjangoContext
from strawberry.extensions import SchemaExtension

from benchmarks.scenarios import GRAPHQL, SCENARIOS
from config import schema as config_schema
from config.execution import _FALLBACK as FALLBACK
from config.execution import PlainColumnExecutionContext, plain_column
from learn.models import LearnItem
from tests.benchmarks.conftest import BenchClient
from tests.learn.factories import LearnItemFactory

FAST = config_schema.schema
STANDARD = config_schema.build_schema(
    config_schema.Query, config_schema.Mutation, execution_context_class=None
)
READS = [s for s in SCENARIOS if not s.writes]


def execute(schema, user, query, variables=None) -> bytes:
    request = RequestFactory().post("/graphql/")
    request.user = user
    context = StrawberryDjangoContext(request=request, response=None)
    result = schema.execute_sync(query, variable_values=variables, context_value=context)
    body = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body).encode()


@pytest.fixture
def bench_user(seed):
    from django.contrib.auth import get_user_model

    api_key = seed(learn_items=600)
    user = get_user_model().objects.get(username="bench")
    user.api_key = api_key
    return user


@pytest.mark.parametrize("scenario", READS, ids=lambda s: s.name)
def test_benchmark_queries_answer_the_same_bytes(bench, bench_user, scenario):
    # given
    state = BenchClient(bench_user.api_key).prepare(scenario)
    variables = scenario.variables(0, GRAPHQL, state)

    # when
    fast = execute(FAST, bench_user, scenario.query, variables)
    standard = execute(STANDARD, bench_user, scenario.query, variables)

    # then
    assert fast == standard
    assert b'"errors"' not in fast


TRICKY = """
query Tricky($tags: [String!]!) {
  learnItems(filters: {tagsAll: $tags}, first: 30) {
    totalCount
    nodes {
      __typename
      ...Columns
      again: id
      id
      kindAlias: kind
      createdBy { ...User username }
    }
  }
  one: learnItem(id: "3") { id tags createdAt notes sizeBytes filename kind }
  none: learnItem(id: "abc") { id }
}
fragment Columns on LearnItem { id kind filename sizeBytes notes tags createdAt }
fragment User on LearnUser { id }
"""


def test_aliases_fragments_and_repeated_fields_answer_the_same_bytes(bench_user):
    # given: extreme values next to the seeded ones
    LearnItemFactory(
        tags=["email", "conversion", "é ☃"],
        size_bytes=2**31 - 1,
        notes="",
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
    )

    # when
    fast = execute(FAST, bench_user, TRICKY, {"tags": ["email", "conversion"]})
    standard = execute(STANDARD, bench_user, TRICKY, {"tags": ["email", "conversion"]})

    # then
    assert fast == standard
    assert json.loads(fast)["data"]["learnItems"]["nodes"][0]["sizeBytes"] == 2**31 - 1


def plan_kinds(type_name: str) -> dict[str, str | None]:
    graphql_type = FAST._schema.type_map[type_name]
    return {
        name: type(plan).__name__ if (plan := plain_column(graphql_type, name)) else None
        for name in graphql_type.fields
    }


def test_plans_cover_plain_columns_and_loaded_forward_relations_only():
    # then: fields with resolvers, arguments or extensions (permissions) keep the standard path
    assert plan_kinds("LearnItem") == {
        "id": "PlainColumn",
        "kind": "PlainColumn",
        "filename": "PlainColumn",
        "sizeBytes": "PlainColumn",
        "notes": "PlainColumn",
        "tags": "PlainColumn",
        "createdBy": "PlainRelation",
        "createdAt": "PlainColumn",
    }
    student = plan_kinds("Student")
    assert (student["code"], student["email"], student["latestPrediction"]) == (
        "PlainColumn",
        None,
        None,
    )
    assert (student["events"], student["drafts"]) == (None, None)
    assert plan_kinds("LearningEvent")["module"] == "PlainRelation"
    # plain Strawberry types: attributes read with getattr; resolvers keep the standard path
    assert set(plan_kinds("Message").values()) == {"PlainColumn"}
    assert plan_kinds("MonitoringLogEdge") == {"node": None, "cursor": "PlainColumn"}
    assert plan_kinds("MonitoringLogConnection")["nodes"] is None


def test_values_the_standard_path_refuses_are_left_to_it():
    # given
    plan = plain_column(FAST._schema.type_map["LearnItem"], "sizeBytes")
    kind = plain_column(FAST._schema.type_map["LearnItem"], "kind")

    # then: out of Int's range, an unknown enum value, null for a non-null field
    assert (plan.complete(2**31 - 1), plan.complete(2**31), plan.complete(None)) == (
        2**31 - 1,
        FALLBACK,
        None,
    )
    assert (kind.complete("good"), kind.complete("neither"), kind.complete(None)) == (
        "GOOD",
        FALLBACK,
        FALLBACK,
    )


class Shout(SchemaExtension):
    def resolve(self, _next, root, info, *args, **kwargs):
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


@strawberry_django.type(LearnItem)
class Item:
    filename: str | None


@strawberry.type
class ShoutQuery:
    @strawberry_django.field
    def item(self) -> Item | None:
        return LearnItem.objects.order_by("id").first()


def test_field_middleware_other_than_the_optimizer_turns_the_fast_path_off(db, bench_user):
    # given
    schema = strawberry.Schema(
        query=ShoutQuery, extensions=[Shout], execution_context_class=PlainColumnExecutionContext
    )

    # when
    answer = execute(schema, bench_user, "{ item { filename } }")

    # then
    assert json.loads(answer) == {"data": {"item": {"filename": "EXAMPLE_1.MD"}}}


PLAIN_LISTS = """
query PlainLists($tags: [String!]!) {
  threads(first: 5) {
    nodes {
      id
      messages(last: 3) {
        nodes { id ...M again: content content role createdAt metadata threadId }
      }
      typed: messages(first: 2) { __typename edges { cursor node { __typename id } } }
      none: messages(first: 0) { nodes { id } }
    }
  }
  learnItems(filters: {tagsAll: $tags}, first: 30) {
    nodes { id kind tags createdAt sizeBytes again: id createdBy { id username } }
  }
}
fragment M on Message { type role }
"""


def test_lists_of_plain_objects_answer_the_same_bytes(bench_user):
    # given: a message whose metadata orjson could misread, an item at the limit of Int
    from chat.models import Message

    message = Message.objects.order_by("-created_at", "-seq").first()
    message.metadata = {"big": 2**70, "nested": [1.5, None, "é"]}
    message.save()
    LearnItemFactory(tags=["email", "conversion"], size_bytes=2**31 - 1, notes="")
    LearnItemFactory(tags=["email", "conversion"], created_by=None)

    # when
    fast = execute(FAST, bench_user, PLAIN_LISTS, {"tags": ["email", "conversion"]})
    standard = execute(STANDARD, bench_user, PLAIN_LISTS, {"tags": ["email", "conversion"]})

    # then
    assert fast == standard
    assert b'"errors"' not in fast
    assert str(2**70).encode() in fast
    creators = [r["createdBy"] for r in json.loads(fast)["data"]["learnItems"]["nodes"]]
    assert None in creators
    assert any(creators)


@strawberry.type
class Point:
    x: int
    label: str | None


@strawberry.type
class PointsQuery:
    @strawberry.field
    def points(self) -> list[Point | None]:
        return [Point(x=1, label="a"), None, Point(x=2**31, label=None), Point(x=3, label="c")]

    @strawberry.field
    def fine(self) -> list[Point]:
        return [Point(x=1, label="a"), Point(x=-(2**31), label=None)]


def test_a_list_with_a_value_the_fast_path_refuses_gets_the_standard_error(db, bench_user):
    # given: a list of plain objects, one with a value beyond Int's range, one null
    fast_schema = config_schema.build_schema(PointsQuery)
    standard_schema = config_schema.build_schema(PointsQuery, execution_context_class=None)
    query = "{ points { x label } fine { label x again: x } }"

    # when
    fast = execute(fast_schema, bench_user, query)
    standard = execute(standard_schema, bench_user, query)

    # then
    assert fast == standard
    assert json.loads(fast)["data"] == {
        "points": [{"x": 1, "label": "a"}, None, None, {"x": 3, "label": "c"}],
        "fine": [
            {"label": "a", "x": 1, "again": 1},
            {"label": None, "x": -(2**31), "again": -(2**31)},
        ],
    }
    assert b"Int cannot represent non 32-bit signed integer value: 2147483648" in fast
