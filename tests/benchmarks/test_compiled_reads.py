"""Compiled reads (config.compiler) answer byte for byte as the standard path does, in one
statement, on the benchmark's read queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.scenarios import GRAPHQL, SCENARIOS
from tests.benchmarks.conftest import BenchClient

READS = [s for s in SCENARIOS if not s.writes]


def answer(client: BenchClient, settings, query: str, variables: dict, *, compiled: bool):
    settings.GRAPHQL_COMPILE = compiled
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/graphql/", {"query": query, "variables": variables})
    assert response.status_code == 200
    for q in queries.captured_queries:
        print("   ", compiled, q["sql"][:150])
    return response.content, len(queries)


@pytest.fixture
def bench_client(seed):
    return BenchClient(seed(learn_items=600))


@pytest.mark.parametrize("scenario", READS, ids=lambda s: s.name)
def test_benchmark_reads_answer_the_same_bytes_in_one_statement(
    bench, bench_client, settings, scenario
):
    # given
    state = bench_client.prepare(scenario)
    variables = scenario.variables(0, GRAPHQL, state)

    # when
    compiled, compiled_statements = answer(
        bench_client, settings, scenario.query, variables, compiled=True
    )
    standard, standard_statements = answer(
        bench_client, settings, scenario.query, variables, compiled=False
    )

    # then
    assert compiled == standard
    assert b'"errors"' not in compiled
    print(scenario.name, compiled_statements, standard_statements, len(compiled))
