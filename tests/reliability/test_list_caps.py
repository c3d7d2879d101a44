"""Every list argument and input list field has a declared maximum length, refused before any
SQL (found by load: 200,000 `studentIds` took seconds, 10,000 unknown ids a 150 KB error)."""

from pathlib import Path

import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType
from graphql import build_schema as build_sdl

from config.extensions import DEFAULT_LIST_MAX, LIST_CAPS
from tests.conftest import GraphQLClient

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def _is_list(type_) -> bool:
    return isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)


def schema_lists() -> set[str]:
    """The coordinates of schema.graphql's list arguments and input list fields."""
    found = set()
    for name, type_ in build_sdl(SDL.read_text()).type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType):
            for field_name, field in type_.fields.items():
                for argument_name, argument in field.args.items():
                    if _is_list(argument.type):
                        found.add(f"{name}.{field_name}.{argument_name}")
        if isinstance(type_, GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if _is_list(field.type):
                    found.add(f"{name}.{field_name}")
    return found


def test_every_list_of_the_schema_has_a_declared_cap():
    # when
    lists = schema_lists()

    # then: none is left to the default, none declared is stale
    assert sorted(lists - set(LIST_CAPS)) == []
    assert sorted(set(LIST_CAPS) - lists) == []
    assert all(1 <= cap <= 5000 for cap in LIST_CAPS.values())
    assert LIST_CAPS["Mutation.logIngest.logs"] == 5000
    assert DEFAULT_LIST_MAX == 1000


PERMS = [
    "students.add_dropoutprediction",
    "learn.view_learnitem",
    "learn.add_learnitem",
    "monitoring.add_monitoringlog",
]
REFUSED = [
    (
        "query ($k: [String!]) { preferences(keys: $k) { key } }",
        {"k": ["k"] * 1001},
        "List too long: 'keys' has 1001 items, the maximum is 1000.",
    ),
    (
        "mutation ($ids: [ID!]) { dropoutRiskCompute(studentIds: $ids) { __typename } }",
        {"ids": [str(n) for n in range(200_000)]},
        "List too long: 'studentIds' has 200000 items, the maximum is 1000.",
    ),
    (
        "query ($f: LearnItemFilter) { learnItems(filters: $f) { totalCount } }",
        {"f": {"tagsAny": ["t"] * 101}},
        "List too long: 'filters.tagsAny' has 101 items, the maximum is 100.",
    ),
    (
        "mutation ($i: [LearnItemCreateInput!]!) { learnItemsImport(items: $i) { __typename } }",
        {"i": [{"kind": "GOOD"}, {"kind": "GOOD", "tags": ["t"] * 101}]},
        "List too long: 'items[1].tags' has 101 items, the maximum is 100.",
    ),
    (
        "mutation ($i: InteractionRecordInput!) { interactionRecord(input: $i) { __typename } }",
        {
            "i": {
                "threadId": "t",
                "prompt": "p",
                "userMessage": {"content": "u"},
                "assistantMessage": {"content": "a"},
                "calls": [{"provider": "p", "model": "m"}] * 11,
            }
        },
        "List too long: 'input.calls' has 11 items, the maximum is 10.",
    ),
    (
        "{ preferences(keys: [" + ", ".join(['"k"'] * 1001) + "]) { key } }",
        None,
        "List too long: 'keys' has 1001 items, the maximum is 1000.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "variables", "message"),
    REFUSED,
    ids=["keys", "student-ids", "filter-tags", "import-item-tags", "calls", "inline-keys"],
)
def test_a_list_one_past_its_cap_is_refused_without_sql(
    query, variables, message, make_user, make_api_key, django_assert_num_queries
):
    # given: a key already used once, so its last-used stamp is not written again
    client = GraphQLClient(api_key=make_api_key(make_user("alice", perms=PERMS)))
    client.execute("{ __typename }")

    # when: the one query is authentication (the key lookup)
    with django_assert_num_queries(1) as queries:
        body = client.execute(query, variables)

    # then
    assert ['"chat_apikey"' in q["sql"] for q in queries.captured_queries] == [True]
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "LIST_TOO_LONG", "field": message.split("'")[1]})
    ]


@pytest.mark.django_db
def test_a_list_past_its_cap_is_refused_for_a_query_text_already_parsed(make_user, make_api_key):
    # given: the same text once within the cap, so its parsed document is reused
    client = GraphQLClient(api_key=make_api_key(make_user("alice")))
    query = "query ($k: [String!]) { preferences(keys: $k) { key } }"
    first = client.execute(query, {"k": ["k"] * 1000})

    # when
    body = client.execute(query, {"k": ["k"] * 1001})

    # then
    assert first == {"data": {"preferences": []}}
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            "List too long: 'keys' has 1001 items, the maximum is 1000.",
            {"code": "LIST_TOO_LONG", "field": "keys"},
        )
    ]
