import json

import pytest
from django.test import Client

from benchmarks import constants
from benchmarks.scenarios import GRAPHQL, RAW
from benchmarks.seed import SCALES, Scale, SeedReport, reset_users
from benchmarks.seed.all import SEEDERS

COUNTER = "benchmarks.middleware.QueryCountMiddleware"
# Small, but big enough for full pages and a deep keyset page.
TINY = Scale("tiny", 600, 12, 25, 120, 3000, 120)


@pytest.fixture
def bench(settings):
    """The harness's URLs (raw baselines) and query counter, as benchmarks.settings mounts them."""
    settings.ROOT_URLCONF = "benchmarks.urls"
    settings.MIDDLEWARE = [COUNTER, *settings.MIDDLEWARE]
    # As benchmarks.run starts the server.
    settings.DAILY_TOKEN_CAP = constants.TOKEN_CAP


@pytest.fixture
def seed(db):
    """seed(learn_items=300) -> the bench user's API key, on a data set like `make bench`'s."""

    def run(**sizes) -> str:
        scale = Scale(**{**TINY.__dict__, **sizes})
        report = SeedReport(timings=[])
        _, api_key = reset_users(report)
        for seeder in SEEDERS.values():
            seeder(scale, report)
        return api_key

    return run


class BenchClient:
    """Sends a scenario's request both ways, as the load client does; also a Session for the
    scenarios' prepare and verify hooks."""

    def __init__(self, api_key: str):
        self.client = Client(headers={"Authorization": f"Bearer {api_key}"})

    def post(self, path: str, body: dict):
        return self.client.post(path, json.dumps(body), content_type="application/json")

    def send(self, scenario, variant: str, state: dict, number: int = 0):
        variables = scenario.variables(number, variant, state)
        if variant == GRAPHQL:
            return self.post("/graphql/", {"query": scenario.query, "variables": variables})
        assert variant == RAW
        return self.post(f"/bench/raw/{scenario.raw}", variables)

    def prepare(self, scenario) -> dict:
        return scenario.prepare(self) if scenario.prepare else {}

    # Session
    def graphql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        api_key: str | None = None,
        expect_ok: bool = True,
    ) -> dict:
        body = {"query": query, "variables": variables or {}}
        if api_key is None:
            return self.post("/graphql/", body).json()
        return BenchClient(api_key).post("/graphql/", body).json()

    def raw(self, name: str, variables: dict) -> dict:
        return json.loads(self.post(f"/bench/raw/{name}", variables).content)


__all__ = ["SCALES", "TINY", "BenchClient"]
