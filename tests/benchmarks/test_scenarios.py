"""Every scenario: GraphQL and its raw baseline answer the same JSON, and the GraphQL request
stays within its SQL budget whatever the data size."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.scenarios import GRAPHQL, RAW, SCENARIOS
from tests.benchmarks.conftest import BenchClient

SAVEPOINT = re.compile(r"(RELEASE |ROLLBACK TO )?SAVEPOINT ")
WITH_RAW = [scenario for scenario in SCENARIOS if scenario.raw]


@pytest.mark.parametrize("scenario", WITH_RAW, ids=lambda s: s.name)
def test_graphql_and_raw_answer_the_same_json(bench, seed, scenario):
    # given
    client = BenchClient(seed())
    state = client.prepare(scenario)

    # when
    graphql = client.send(scenario, GRAPHQL, state)
    raw = client.send(scenario, RAW, state)

    # then
    assert (graphql.status_code, raw.status_code) == (200, 200)
    assert "errors" not in graphql.json()
    assert scenario.normalize(json.loads(raw.content)) == scenario.normalize(graphql.json())


def statements(client, scenario) -> list[str]:
    """SQL of one GraphQL request of the scenario (after a first one, which records the key's
    first use); savepoints exist only because a test runs inside a transaction."""
    state = client.prepare(scenario)
    client.send(scenario, GRAPHQL, state, number=1)
    with CaptureQueriesContext(connection) as queries:
        response = client.send(scenario, GRAPHQL, state, number=2)
    assert response.status_code == 200
    assert "errors" not in response.json()
    return [q["sql"] for q in queries.captured_queries if not SAVEPOINT.match(q["sql"])]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_query_counts_are_constant_and_within_budget(bench, seed, scenario):
    # given: the same data set at two sizes
    counts = []
    for size in (1, 3):
        with connection.cursor() as cursor:  # pending foreign-key checks would block TRUNCATE
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        client = BenchClient(
            seed(learn_items=300 * size, logs=1500 * size, threads=6 * size, students=60 * size)
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them

        # when
        counts.append(len(statements(client, scenario)))

    # then: 1 of them authenticates (the API key with its user and permissions)
    assert counts[0] == counts[1] <= scenario.budget


def test_learn_items_scenario_reads_a_full_page_of_a_bigger_match(bench, seed):
    # given
    scenario = next(s for s in SCENARIOS if s.name == "learn_items_by_tags")
    client = BenchClient(seed(learn_items=2000))

    # when
    answer = client.send(scenario, GRAPHQL, {}).json()["data"]["learnItems"]

    # then: more than a page matches; nulls and microseconds are on the page too
    rows = answer["nodes"]
    assert answer["totalCount"] > 50
    assert len(rows) == 50
    for key in ("createdBy", "filename", "notes", "sizeBytes"):
        assert {row[key] is None for row in rows} == {True, False}, key
    assert {"." in row["createdAt"] for row in rows} == {True, False}


def test_deep_logs_page_is_the_page_asked_for_or_the_last(bench, seed):
    # given
    scenario = next(s for s in SCENARIOS if s.name == "logs_deep_page")
    client = BenchClient(seed(logs=3000))

    # when
    state = client.prepare(scenario)
    answer = client.send(scenario, GRAPHQL, state).json()["data"]["logs"]

    # then: 3,000 logs make 30 pages; the last one holds the oldest 100
    assert state["page"] == 30
    assert len(answer["edges"]) == 100
    assert answer["pageInfo"]["hasNextPage"] is False
    assert answer["edges"][-1]["node"]["clientId"] == "seed-3000"


def test_thread_pages_scenario_walks_the_whole_thread_in_five_requests(bench, seed):
    # given
    scenario = next(s for s in SCENARIOS if s.name == "thread_500_in_pages")
    client = BenchClient(seed(big_thread_messages=500))
    state = client.prepare(scenario)

    # when: requests 5 … 9, as the load client numbers them
    pages = []
    for number in range(5, 10):
        graphql = client.send(scenario, GRAPHQL, state, number)
        raw = client.send(scenario, RAW, state, number)
        assert json.loads(raw.content) == graphql.json()
        pages.append(graphql.json()["data"]["thread"]["messages"])

    # then: five pages of 100, each continuing where the one before ended, the last one last
    ids = [message["id"] for page in pages for message in page["nodes"]]
    assert (state["messages"], len(ids), len(set(ids))) == (500, 500, 500)
    assert ids == [f"thread_big_msg_{k}" for k in range(1, 501)]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True] * 4 + [False]
    assert state["cursors"][1:] == [page["pageInfo"]["endCursor"] for page in pages[:4]]
