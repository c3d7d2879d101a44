import json

import pytest
from django.test import Client

from benchmarks.seed import SCALES, SeedReport, reset_users
from benchmarks.seed import learn as learn_seed

COUNTER = "benchmarks.middleware.QueryCountMiddleware"


@pytest.fixture
def bench(settings):
    """The harness's URLs (raw baselines) and query counter, as benchmarks.settings mounts them."""
    settings.ROOT_URLCONF = "benchmarks.urls"
    settings.MIDDLEWARE = [COUNTER, *settings.MIDDLEWARE]


@pytest.fixture
def seed(db):
    """seed(learn_items=300) -> the bench user's API key, on a data set like `make bench`'s."""

    def run(**sizes) -> str:
        scale = SCALES["small"].__class__(**{**SCALES["small"].__dict__, **sizes})
        report = SeedReport(timings=[])
        _, api_key = reset_users(report)
        learn_seed.seed(scale, report)
        return api_key

    return run


class BenchClient:
    """Sends a scenario's request both ways, as the load client does."""

    def __init__(self, api_key: str):
        self.client = Client(headers={"Authorization": f"Bearer {api_key}"})

    def graphql(self, scenario, variables):
        body = {"query": scenario.query, "variables": variables}
        return self.client.post("/graphql/", json.dumps(body), content_type="application/json")

    def raw(self, scenario, variables):
        return self.client.post(
            f"/bench/raw/{scenario.raw}", json.dumps(variables), content_type="application/json"
        )
