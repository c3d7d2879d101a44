"""`make scaleout`: what one more app server and one read replica buy on the bench's read
scenarios, as req/s at one concurrency level (8) through nginx, in four set-ups: 1 or 2 app
servers (gunicorn, BENCH_WORKERS sync workers each), without or with a streaming replica
(a Debian PostgreSQL 15 primary and its hot standby, DATABASE_REPLICA_URL).

Everything — nginx, the app servers, both PostgreSQL servers and this load client — runs on
this one machine and shares its cores: the figures show what the deployment shape costs and
allows, not what separate machines would give.

Configuration (environment): BENCH_SCALE (default small), BENCH_REQUESTS (requests per
measurement, default 400), BENCH_TIME_CAP (seconds per measurement, default 8), BENCH_ROUNDS
(default 3; the set-ups are interleaved in each), BENCH_WORKERS (default 2), BENCH_LEVEL
(default 8), BENCH_ONLY (scenario names). Prints a table and writes JSON to
benchmarks/results/<time>-scaleout.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks import run
from benchmarks.load import Batch, run_batch, send
from benchmarks.scenarios import GRAPHQL
from benchmarks.server import Server
from reliability.balancer import Nginx
from reliability.pg import Postgres
from reliability.replica import Standby, ensure_installed
from reliability.server import free_port

SETUPS = (("1 server", 1, False), ("2 servers", 2, False), ("1 + replica", 1, True))
SETUPS += (("2 + replica", 2, True),)


@dataclass
class Endpoint:
    """Where a set-up is reached (nginx), in the shape HttpSession and check_answers use."""

    host: str
    port: int


def options_from_env() -> run.Options:
    env = os.environ
    options = run.parse_options([])
    options.scale = env.get("BENCH_SCALE") or "small"
    options.requests = int(env.get("BENCH_REQUESTS") or 400)
    options.time_cap = float(env.get("BENCH_TIME_CAP") or 8)
    options.levels = [int(env.get("BENCH_LEVEL") or 8)]
    return options


def main() -> int:
    options = options_from_env()
    level = options.levels[0]
    scenarios = [s for s in run.selected(options) if not s.writes]
    started_at = datetime.now(UTC)
    bin_dir = ensure_installed()
    taken: set[int] = set()
    ports = []
    for _ in range(2):
        ports.append(free_port(taken))
        taken.add(ports[-1])
    primary = Postgres(ports[0], bin_dir=bin_dir)
    standby = Standby(primary, ports[1])
    results: dict[str, dict[str, Batch]] = {s.name: {} for s in scenarios}
    with ExitStack() as stack:
        stack.callback(primary.destroy)
        stack.callback(standby.destroy)
        primary.init()
        base = run.server_environment(options)
        base.pop("EMBEDDED_PG_DIR", None)
        base["DATABASE_URL"] = primary.url()
        seeded = run.seed(base, options, sorted({s.app for s in scenarios}))
        standby.init()
        print(f"Primary on :{primary.port}, standby on :{standby.port}", flush=True)
        endpoints: dict[str, Endpoint] = {}
        servers: dict[bool, list[Server]] = {}
        for with_replica in (False, True):
            env = dict(base)
            if with_replica:
                env["DATABASE_REPLICA_URL"] = primary.url(port=standby.port)
            servers[with_replica] = []
            for number in range(2):
                log = run.RESULTS_DIR / f"scaleout-{int(with_replica)}-{number}.log.tmp"
                server = Server(base_dir=run.BASE_DIR, env=env, workers=options.workers, log=log)
                server.start()
                stack.callback(server.stop)
                servers[with_replica].append(server)
        for name, count, with_replica in SETUPS:
            upstreams = [server.port for server in servers[with_replica][:count]]
            balancer = Nginx(free_port(taken), upstreams)
            taken.add(balancer.port)
            balancer.start()
            stack.callback(balancer.stop)
            endpoints[name] = Endpoint("127.0.0.1", balancer.port)
        print(
            f"{len(SETUPS)} set-ups through nginx, {options.workers} workers per server; "
            f"c={level}, {options.requests} requests or {options.time_cap:g} s per "
            f"measurement, {options.rounds} rounds",
            flush=True,
        )
        for scenario in scenarios:
            print(f"  {scenario.name} …", end=" ", flush=True)
            calls = {}
            for name, endpoint in endpoints.items():
                state = {k: v for k, v in seeded.items() if k.endswith("_api_key")}
                calls[name] = run.Calls(scenario, seeded["api_key"], state)
                session = run.HttpSession(endpoint, seeded["api_key"])
                if scenario.prepare:
                    calls[name].state.update(scenario.prepare(session))
                response = send(endpoint.host, endpoint.port, calls[name].make(GRAPHQL)(0))
                if response.status != 200 or b'"errors"' in response.body:
                    raise SystemExit(f"{scenario.name} on {name}: {response.body[:300]!r}")
                # Warm-up: every worker's connections (and the lag measure) once.
                run_batch(
                    endpoint.host,
                    endpoint.port,
                    calls[name].make(GRAPHQL),
                    total=4 * options.workers,
                    concurrency=2 * options.workers,
                    time_cap=options.time_cap,
                )
                results[scenario.name][name] = Batch()
            per_round = max(1, options.requests // options.rounds)
            for _round in range(options.rounds):
                for name, endpoint in endpoints.items():
                    batch = run_batch(
                        endpoint.host,
                        endpoint.port,
                        calls[name].make(GRAPHQL),
                        total=per_round,
                        concurrency=level,
                        time_cap=options.time_cap / options.rounds,
                        first_number=1000,
                    )
                    results[scenario.name][name].merge(batch)
            print("done", flush=True)
        standby_reads = standby.transactions()
    print()
    print(table(results, level))
    document = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "options": {
            "scale": options.scale,
            "requests": options.requests,
            "time_cap_s": options.time_cap,
            "level": level,
            "rounds": options.rounds,
            "workers_per_server": options.workers,
        },
        "standby_transactions": standby_reads,
        "scenarios": {
            scenario: {
                name: {
                    "requests": len(batch.latencies),
                    "errors": batch.errors,
                    "req_per_s": rate(batch),
                }
                for name, batch in setups.items()
            }
            for scenario, setups in results.items()
        },
    }
    run.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS_DIR / f"{started_at:%Y%m%dT%H%M%SZ}-scaleout.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nResults: {out.relative_to(run.BASE_DIR)}")
    errors = sum(b.errors for setups in results.values() for b in setups.values())
    return 1 if errors else 0


def rate(batch: Batch) -> float | None:
    return round(len(batch.latencies) / batch.elapsed, 1) if batch.elapsed else None


def table(results: dict[str, dict[str, Batch]], level: int) -> str:
    names = [name for name, _, _ in SETUPS]
    lines = [
        f"| scenario (req/s at c={level}) | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for scenario, setups in results.items():
        cells = []
        for name in names:
            batch = setups[name]
            value = rate(batch)
            cell = f"{value:,.0f}" if value is not None else "—"
            cells.append(cell + (f" ({batch.errors} errors)" if batch.errors else ""))
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    raise SystemExit(status)
