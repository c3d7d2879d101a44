"""config.extensions.DocumentCache: a query text is parsed and validated once, and a cached
text still gets every check that depends on the request (page sizes) or on settings."""

import pytest
from django.test import RequestFactory
from strawberry.django.context import StrawberryDjangoContext

from config.extensions import DocumentCache
from config.schema import Mutation, Query, build_schema

PAGE = """
query Page($first: Int!) {
  learnItems(first: $first) { totalCount }
}
"""


@pytest.fixture
def schema():
    """A schema of its own, so its cache starts empty."""
    return build_schema(Query, Mutation)


@pytest.fixture
def execute(make_user, schema):
    user = make_user("reader", perms=["learn.view_learnitem"])

    def run(query, variables=None):
        request = RequestFactory().post("/graphql/")
        request.user = user
        context = StrawberryDjangoContext(request=request, response=None)
        result = schema.execute_sync(query, variable_values=variables, context_value=context)
        return result.data, [error.formatted for error in result.errors or []]

    return run


def cached_texts(schema) -> list[str]:
    return [key[0] for key in DocumentCache._caches.get(schema, {})]


def test_a_cached_text_still_checks_the_page_size_of_each_request(execute, schema):
    # given
    assert execute(PAGE, {"first": 10}) == ({"learnItems": {"totalCount": 0}}, [])
    assert cached_texts(schema) == [PAGE]

    # when
    refused = execute(PAGE, {"first": 101})

    # then
    assert refused == (
        None,
        [
            {
                "message": "Page size too large: 'first' is 101, the maximum is 100.",
                "locations": [{"line": 3, "column": 14}],
                "extensions": {"code": "PAGE_SIZE_TOO_LARGE", "field": "first"},
            }
        ],
    )


def test_a_text_refused_for_its_variables_is_refused_the_same_way_before_and_after_caching(
    execute, schema
):
    # when
    before = execute(PAGE, {"first": 500})
    execute(PAGE, {"first": 1})
    after = execute(PAGE, {"first": 500})

    # then
    assert before == after
    assert before[0] is None and len(before[1]) == 1


def test_invalid_texts_are_not_cached(execute, schema):
    # when
    first = execute("{ learnItems { nope } }")
    second = execute("{ learnItems { nope } }")

    # then
    assert first == second
    assert first[1][0]["message"] == "Cannot query field 'nope' on type 'LearnItemConnection'."
    assert cached_texts(schema) == []


def test_a_settings_change_is_not_hidden_by_the_cache(execute, settings):
    # given
    query = "{ __schema { queryType { name } } }"
    settings.GRAPHQL_INTROSPECTION = True
    assert execute(query) == ({"__schema": {"queryType": {"name": "Query"}}}, [])

    # when
    settings.GRAPHQL_INTROSPECTION = False
    refused = execute(query)

    # then
    assert refused[0] is None
    assert "introspection" in refused[1][0]["message"].lower()


def test_the_cache_keeps_the_most_recent_texts(execute, schema, monkeypatch):
    # given
    monkeypatch.setattr(DocumentCache, "MAXSIZE", 2)
    texts = [f"query Q{n} {{ learnStats {{ total }} }}" for n in range(3)]

    # when
    for text in [texts[0], texts[1], texts[0], texts[2]]:
        execute(text)

    # then: texts[1] was the least recently used
    assert cached_texts(schema) == [texts[0], texts[2]]
