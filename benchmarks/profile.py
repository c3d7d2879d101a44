"""Profile one scenario's GraphQL request in-process with pyinstrument (not a requirement:
`pip install pyinstrument`). Uses the data `make bench` seeded.

    python -m benchmarks.profile learn_items_by_tags [--requests 300] [--html]

Prints the call tree of the server side (middleware, authentication, GraphQL execution, SQL)
and where the time goes per request; writes it to benchmarks/results/profile-<name>.txt|html.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--variant", choices=["graphql", "raw"], default="graphql")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--html", action="store_true")
    args = parser.parse_args()

    from benchmarks.run import RESULTS_DIR, seeded_options, server_environment

    os.environ.update(server_environment(seeded_options()))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from pyinstrument import Profiler

    from benchmarks.run import Calls
    from benchmarks.scenarios import SCENARIOS
    from benchmarks.seed import BENCH_USERNAME
    from chat import services as chat_services

    scenario = next(s for s in SCENARIOS if s.name == args.scenario)
    user = get_user_model().objects.get(username=BENCH_USERNAME)
    _, api_key = chat_services.api_key_create(user=user, name="profile")
    make = Calls(scenario, api_key).make(args.variant)
    client = Client()

    def request(number: int):
        call = make(number)
        return client.post(
            call.path,
            call.body,
            content_type="application/json",
            headers={"Authorization": call.headers["Authorization"]},
        )

    class InProcessSession:
        """What a scenario's `prepare` needs (e.g. the deep page's cursor), in-process."""

        def _post(self, path: str, body: dict, key: str) -> dict:
            headers = {"Authorization": f"Bearer {key}"}
            response = client.post(path, body, content_type="application/json", headers=headers)
            return json.loads(response.content)

        def graphql(self, query, variables=None, *, api_key=None, expect_ok=True):
            body = {"query": query, "variables": variables or {}}
            return self._post("/graphql/", body, api_key or api_key_default)

        def raw(self, name, variables):
            return self._post(f"/bench/raw/{name}", variables, api_key_default)

    api_key_default = api_key
    state = {"run": f"profile{int(time.time())}"} if scenario.writes else {}
    if scenario.prepare:
        state.update(scenario.prepare(InProcessSession()))
    make = Calls(scenario, api_key, state).make(args.variant)
    for number in range(args.warmup):  # warm-up
        assert request(number).status_code == 200
    sql_ms = 0.0
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for number in range(args.requests):
            response = request(args.warmup + number)
            sql_ms += float(response["X-Bench-Sql-Ms"])
    elapsed = time.perf_counter() - started
    assert "errors" not in json.loads(response.content)
    per_request = elapsed / args.requests * 1000
    summary = (
        f"{scenario.name} ({args.variant}): {args.requests} requests in-process, "
        f"{per_request:.2f} ms per request (profiled), of which SQL {sql_ms / args.requests:.2f} ms"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    from pyinstrument.renderers import ConsoleRenderer

    # The call tree (frames under 1% left out), then the functions by their own time.
    tree = profiler.output(
        ConsoleRenderer(
            unicode=True,
            show_all=True,
            time="percent_of_total",
            processor_options={"filter_threshold": 0.01},
        )
    )
    flat = profiler.output(
        ConsoleRenderer(unicode=True, show_all=True, flat=True, time="percent_of_total")
    )
    flat = "\n".join(flat.splitlines()[:45])
    if args.html:
        out = RESULTS_DIR / f"profile-{scenario.name}-{args.variant}.html"
        out.write_text(profiler.output_html())
    else:
        out = RESULTS_DIR / f"profile-{scenario.name}-{args.variant}.txt"
        out.write_text(f"{summary}\n\n{tree}\n\nBy own time:\n{flat}\n")
    print(summary)
    print(flat)
    print(f"Written: {out}")


if __name__ == "__main__":
    main()
