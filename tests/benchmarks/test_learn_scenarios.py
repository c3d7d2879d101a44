import json

import pytest

from benchmarks.scenarios import GRAPHQL, RAW, SCENARIOS
from tests.benchmarks.conftest import BenchClient

LEARN = {scenario.name: scenario for scenario in SCENARIOS if scenario.app == "learn"}


@pytest.mark.parametrize("name", sorted(LEARN))
def test_graphql_and_raw_answer_the_same_json(bench, seed, name):
    # given
    scenario = LEARN[name]
    client = BenchClient(seed(learn_items=600))
    variables = scenario.variables(0, GRAPHQL, {})

    # when
    graphql = client.graphql(scenario, variables)
    raw = client.raw(scenario, scenario.variables(0, RAW, {}))

    # then
    assert (graphql.status_code, raw.status_code) == (200, 200)
    assert "errors" not in graphql.json()
    assert json.loads(raw.content) == graphql.json()


def test_learn_items_scenario_reads_a_full_page_of_a_bigger_match(bench, seed):
    # given
    scenario = LEARN["learn_items_by_tags"]
    client = BenchClient(seed(learn_items=2000))

    # when
    answer = client.graphql(scenario, scenario.variables(0, GRAPHQL, {})).json()["data"][
        "learnItems"
    ]

    # then: more than a page matches; nulls and microseconds are on the page too
    rows = answer["results"]
    assert answer["totalCount"] > 50
    assert len(rows) == 50
    for key in ("createdBy", "filename", "notes", "sizeBytes"):
        assert {row[key] is None for row in rows} == {True, False}, key
    assert {"." in row["createdAt"] for row in rows} == {True, False}


@pytest.mark.parametrize("learn_items", [100, 2000])
@pytest.mark.parametrize("name", sorted(LEARN))
def test_query_counts_stay_within_budget_whatever_the_data_size(
    bench, seed, django_assert_num_queries, name, learn_items
):
    # given
    scenario = LEARN[name]
    client = BenchClient(seed(learn_items=learn_items))
    client.graphql(scenario, scenario.variables(0, GRAPHQL, {}))  # the key's first use is recorded

    # when
    with django_assert_num_queries(scenario.budget):
        graphql = client.graphql(scenario, scenario.variables(0, GRAPHQL, {}))
    raw = client.raw(scenario, scenario.variables(0, RAW, {}))

    # then: 3 of them authenticate (API key, user and group permissions)
    assert graphql["X-Bench-Queries"] == str(scenario.budget)
    assert raw["X-Bench-Queries"] == "4"
