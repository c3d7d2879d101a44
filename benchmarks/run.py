"""`make bench`: seed, start gunicorn (and PostGraphile, the peer), check each scenario's answers,
then time GraphQL, its raw SQL baseline and PostGraphile interleaved, at a few concurrency
levels; print a table and write JSON.

Configuration (environment, or the same names as options: --scale, --requests, …):
  BENCH_SCALE     small | default | large                       (default: default)
  BENCH_REQUESTS  requests per variant and concurrency level    (default 300; small 60)
  BENCH_TIME_CAP  seconds per variant and concurrency level     (default 6; small 2)
  BENCH_LEVELS    concurrency levels                            (default 1,4,8)
  BENCH_ROUNDS    rounds per level, GraphQL/raw/PostGraphile in alternating order (default 3)
  BENCH_WORKERS   gunicorn workers, and PostGraphile's processes (default 2)
  BENCH_SERVER    asgi: gunicorn with uvicorn workers serving config.asgi, as the Procfile
                  serves production (HTTP_THREADS threads a worker); wsgi: gunicorn's sync
                  workers serving config.wsgi                    (default asgi)
  BENCH_THREADS   with wsgi: threads per gunicorn worker (gthread) when above 1 (default 1)
  BENCH_PEER      0 leaves PostGraphile out                      (default 1; needs npm)
  BENCH_KEEPALIVE 1: each client keeps its connection for all its requests (default 0: a
                  connection per request, for every engine)
  BENCH_ONLY      scenario or app names, comma-separated        (default all)
  BENCH_SEED      0 reuses the data already seeded              (default 1)
  BENCH_DATABASE_URL  a PostgreSQL database to WIPE and use; default: an embedded server
                  under .data/bench-postgres (never the development data)

Exit status: 0, or 1 when a scenario failed (errors, different answers, queries over budget).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import constants
from benchmarks.load import Batch, Call, failure, percentile, run_batch, send
from benchmarks.peer.install import ensure_installed, peer_versions
from benchmarks.peer.queries import PEER_QUERIES, PeerQuery
from benchmarks.peer.server import PeerServer
from benchmarks.scenarios import GRAPHQL, RAW, SCENARIOS, Scenario
from benchmarks.server import SERVERS, Server
from config.threaded_asgi import DEFAULT_THREADS

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "benchmarks" / "results"
SMALL_DEFAULTS = {"requests": 60, "time_cap": 2.0}
PEER = "postgraphile"


@dataclass
class Options:
    scale: str
    requests: int
    time_cap: float
    levels: list[int]
    rounds: int
    workers: int
    only: list[str]
    seed: bool
    database_url: str | None
    out: Path | None
    peer: bool = True
    threads: int = 1
    server: str = "asgi"
    keep_alive: bool = False


def seeded_options() -> Options:
    """Options for a tool that works on the data `make bench` seeded, as it is (nothing
    seeded again): its database (BENCH_DATABASE_URL, or the embedded server), default scale."""
    database_url = (os.environ.get("BENCH_DATABASE_URL") or "").strip() or None
    return Options("default", 0, 0, [1], 1, 1, [], False, database_url, None)


def parse_options(argv: list[str]) -> Options:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=env.get("BENCH_SCALE") or "default")
    parser.add_argument("--requests", type=int, default=env.get("BENCH_REQUESTS") or None)
    parser.add_argument("--time-cap", type=float, default=env.get("BENCH_TIME_CAP") or None)
    parser.add_argument("--levels", default=env.get("BENCH_LEVELS") or "1,4,8")
    parser.add_argument("--rounds", type=int, default=env.get("BENCH_ROUNDS") or 3)
    parser.add_argument("--workers", type=int, default=env.get("BENCH_WORKERS") or 2)
    parser.add_argument("--threads", type=int, default=env.get("BENCH_THREADS") or 1)
    parser.add_argument(
        "--server", choices=sorted(SERVERS), default=env.get("BENCH_SERVER") or "asgi"
    )
    parser.add_argument("--only", default=env.get("BENCH_ONLY") or "")
    parser.add_argument("--seed", default=env.get("BENCH_SEED") or "1")
    parser.add_argument("--peer", default=env.get("BENCH_PEER") or "1")
    parser.add_argument("--out", default=env.get("BENCH_OUT") or None)
    parser.add_argument("--keep-alive", default=env.get("BENCH_KEEPALIVE") or "0")
    args = parser.parse_args(argv)
    small = args.scale == "small"
    return Options(
        scale=args.scale,
        requests=args.requests or (SMALL_DEFAULTS["requests"] if small else 300),
        time_cap=args.time_cap or (SMALL_DEFAULTS["time_cap"] if small else 6.0),
        levels=[int(level) for level in args.levels.split(",") if level.strip()],
        rounds=max(1, args.rounds),
        workers=args.workers,
        threads=args.threads,
        server=args.server,
        only=[name.strip() for name in args.only.split(",") if name.strip()],
        seed=args.seed.strip().lower() not in {"0", "false", "no", "off"},
        peer=args.peer.strip().lower() not in {"0", "false", "no", "off"},
        keep_alive=args.keep_alive.strip().lower() not in {"0", "false", "no", "off"},
        database_url=(env.get("BENCH_DATABASE_URL") or "").strip() or None,
        out=Path(args.out) if args.out else None,
    )


def server_environment(options: Options) -> dict[str, str]:
    """Production settings (DEBUG off) plus the harness; never the developer's .env or data."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DB_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        BENCHMARK_VIEWS="1",
        DJANGO_ENV_FILE="",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL=env.get("DJANGO_LOG_LEVEL", "WARNING"),
        DAILY_TOKEN_CAP=str(constants.TOKEN_CAP),
        DAILY_COST_CAP="",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
    else:
        env["EMBEDDED_PG_DIR"] = str(BASE_DIR / ".data" / "bench-postgres")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run manage.py, echo its output, return its stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed with status {result.returncode}")
    return result.stdout


def seed(env: dict[str, str], options: Options, apps: list[str]) -> dict:
    print(f"Migrating and seeding (scale {options.scale}) …", flush=True)
    manage(env, "migrate", "--noinput")
    args = ["bench_seed", f"--scale={options.scale}", f"--apps={','.join(apps)}"]
    if not options.seed:
        args.append("--key-only")
    output = manage(env, *args).rstrip().splitlines()
    for line in output[:-1]:
        print(line)
    return json.loads(output[-1])


# --- one scenario ----------------------------------------------------------------------------


@dataclass
class Calls:
    scenario: Scenario
    api_key: str
    state: dict = field(default_factory=dict)
    # The scenario's PostGraphile query when the peer runs, and what its `prepare` found.
    peer: PeerQuery | None = None
    peer_state: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}

    def make(self, variant: str):
        def call(number: int) -> Call:
            variables = self.scenario.variables(
                number, GRAPHQL if variant == PEER else variant, self.state
            )
            if variant == GRAPHQL:
                path = "/graphql/"
                body = {"query": self.scenario.query, "variables": variables}
            elif variant == PEER:
                path = "/graphql"
                body = {
                    "query": self.peer.query,
                    "variables": self.peer.variables(variables, self.peer_state),
                    "operationName": self.peer.operation,
                }
            else:
                path = f"/bench/raw/{self.scenario.raw}"
                body = variables
            return Call(path=path, body=json.dumps(body).encode(), headers=self.headers)

        return call

    def prebuilt(self, variant: str, first: int, count: int):
        """The calls numbered first … first+count-1, encoded before the clock starts."""
        make = self.make(variant)
        built = {number: make(number) for number in range(first, first + count)}
        return built.__getitem__


@dataclass
class HttpSession:
    """Requests as the bench user, for scenarios' `prepare` and `verify`."""

    server: Server
    api_key: str
    peer_server: Server | None = None

    def _post(
        self,
        path: str,
        body: dict,
        *,
        api_key: str | None = None,
        expect_ok: bool = True,
        server: Server | None = None,
    ) -> dict:
        key = api_key or self.api_key
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        call = Call(path=path, body=json.dumps(body).encode(), headers=headers)
        server = server or self.server
        response = send(server.host, server.port, call)
        problem = failure(response)
        if problem and (expect_ok or response.status != 200):
            raise RuntimeError(f"{path}: {problem}")
        return json.loads(response.body)

    def graphql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        api_key: str | None = None,
        expect_ok: bool = True,
    ) -> dict:
        body = {"query": query, "variables": variables or {}}
        return self._post("/graphql/", body, api_key=api_key, expect_ok=expect_ok)

    def raw(self, name: str, variables: dict) -> dict:
        return self._post(f"/bench/raw/{name}", variables)

    def peer(self, operation: str, query: str, variables: dict) -> dict:
        body = {"query": query, "variables": variables, "operationName": operation}
        return self._post("/graphql", body, server=self.peer_server)


def first_difference(left: object, right: object, path: str = "$") -> str | None:
    """Where two parsed JSON values first differ, e.g. `$.data.items[3].tags: [...] != [...]`."""
    if type(left) is not type(right):
        return f"{path}: {json.dumps(left)[:120]} != {json.dumps(right)[:120]}"
    if isinstance(left, dict):
        for key in list(left) + [k for k in right if k not in left]:
            if key not in left or key not in right:
                return f"{path}.{key}: present on one side only"
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if left == right:
        return None
    return f"{path}: {json.dumps(left)[:120]} != {json.dumps(right)[:120]}"


def check_answers(servers: dict[str, Server], calls: Calls) -> str | None:
    """Send one request of each variant; None when all succeed with the same rows: GraphQL and
    raw the same JSON, PostGraphile the same once read in the service's names and formats."""
    answers = {}
    for variant in variants(calls):
        server = servers[variant]
        response = send(server.host, server.port, calls.make(variant)(0))
        problem = failure(response)
        if problem:
            return f"{variant}: {problem}"
        answers[variant] = json.loads(response.body)
    if RAW in answers:
        normalize = calls.scenario.normalize
        difference = first_difference(normalize(answers[GRAPHQL]), normalize(answers[RAW]))
        if difference:
            return f"answers differ at {difference}"
    if PEER in answers:
        try:
            theirs = calls.peer.answer(answers[PEER])
        except (KeyError, TypeError, ValueError) as exc:
            return f"{PEER}: unexpected answer ({type(exc).__name__}: {exc})"
        difference = first_difference(calls.peer.service(answers[GRAPHQL]), theirs)
        if difference:
            return f"PostGraphile's answer differs at {difference}"
    return None


def variants(calls: Calls) -> tuple[str, ...]:
    kinds = (GRAPHQL, RAW) if calls.scenario.raw else (GRAPHQL,)
    return (*kinds, PEER) if calls.peer else kinds


def summary(batch: Batch, rows_per_request: int) -> dict:
    ok = len(batch.latencies)
    rps = ok / batch.elapsed if batch.elapsed else 0.0
    p50, p99 = percentile(batch.latencies, 0.5), percentile(batch.latencies, 0.99)
    return {
        "requests": ok,
        "errors": batch.errors,
        "first_error": batch.first_error,
        "seconds": round(batch.elapsed, 3),
        "rps": round(rps, 1),
        "rows_per_s": round(rps * rows_per_request, 1) if rows_per_request else None,
        "p50_ms": round(p50 * 1000, 2) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 2) if p99 is not None else None,
        "queries": [min(batch.queries), max(batch.queries)] if batch.queries else None,
        "sql_ms_p50": round(percentile(batch.sql_ms, 0.5), 2) if batch.sql_ms else None,
    }


@dataclass
class ScenarioResult:
    scenario: Scenario
    error: str | None = None
    levels: list[dict] = field(default_factory=list)
    queries: dict[str, dict | None] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    peer_rss_mb: float | None = None
    seconds: float = 0.0
    notes: dict = field(default_factory=dict)
    peer_operation: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_json(self) -> dict:
        return {
            "name": self.scenario.name,
            "app": self.scenario.app,
            "description": self.scenario.description,
            "budget": self.scenario.budget,
            "error": self.error,
            "queries": self.queries,
            "peak_rss_mb": round(self.peak_rss_mb, 1) if self.peak_rss_mb else None,
            "postgraphile_operation": self.peer_operation,
            "postgraphile_peak_rss_mb": round(self.peer_rss_mb, 1) if self.peer_rss_mb else None,
            "seconds": round(self.seconds, 1),
            "levels": self.levels,
            "notes": self.notes,
        }


def run_scenario(
    server: Server, calls: Calls, options: Options, peer_server: Server | None = None
) -> ScenarioResult:
    scenario = calls.scenario
    result = ScenarioResult(scenario, peer_operation=calls.peer.operation if calls.peer else None)
    started = time.perf_counter()
    servers = {GRAPHQL: server, RAW: server, PEER: peer_server}
    for one in {server, peer_server} - {None}:
        one.reset_peak_rss()
    session = HttpSession(server, calls.api_key, peer_server)
    try:
        if scenario.prepare:
            calls.state.update(scenario.prepare(session))
        if calls.peer and calls.peer.prepare:
            found = calls.peer.prepare(session, {**calls.state, **calls.peer_state})
            calls.peer_state.update(found)
        problem = check_answers(servers, calls)
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        result.error = problem
        return result
    kinds = variants(calls)
    requests = scenario.requests or options.requests
    number = 1
    # Warm-up, not measured: a request per worker and variant (connections, caches).
    for variant in kinds:
        run_batch(
            servers[variant].host,
            servers[variant].port,
            calls.make(variant),
            total=options.workers,
            concurrency=options.workers,
            time_cap=options.time_cap,
            first_number=number,
            keep_alive=options.keep_alive,
        )
        number += options.workers
    all_queries: dict[str, list[int]] = {variant: [] for variant in kinds}
    for level in scenario.levels or options.levels:
        batches = {variant: Batch() for variant in kinds}
        per_round = max(1, requests // options.rounds)
        for round_number in range(options.rounds):
            order = kinds if round_number % 2 == 0 else tuple(reversed(kinds))
            for variant in order:
                make = (
                    calls.prebuilt(variant, number, per_round)
                    if scenario.rows_per_request or scenario.writes
                    else calls.make(variant)
                )
                batch = run_batch(
                    servers[variant].host,
                    servers[variant].port,
                    make,
                    total=per_round,
                    concurrency=level,
                    time_cap=options.time_cap / options.rounds,
                    first_number=number,
                    keep_alive=options.keep_alive,
                )
                number += per_round
                batches[variant].merge(batch)
        row = {"concurrency": level}
        for variant, batch in batches.items():
            row[variant] = summary(batch, scenario.rows_per_request)
            all_queries[variant] += batch.queries
            if batch.errors and not result.error:
                result.error = (
                    f"{variant} at concurrency {level}: {batch.errors} errors, "
                    f"first: {batch.first_error}"
                )
        raw_rps = row[RAW]["rps"] if RAW in row else None
        row["ratio"] = round(row[GRAPHQL]["rps"] / raw_rps, 3) if raw_rps else None
        peer_rps = row[PEER]["rps"] if PEER in row else None
        row["ratio_postgraphile"] = round(row[GRAPHQL]["rps"] / peer_rps, 3) if peer_rps else None
        result.levels.append(row)
    # The median is what a request costs: an API key's last use is recorded at most once a
    # minute, so one request in many runs one more UPDATE (min/max show it).
    result.queries = {
        variant: {
            "median": statistics.median_low(values),
            "min": min(values),
            "max": max(values),
        }
        if values
        else None
        for variant, values in all_queries.items()
    }
    typical = (result.queries[GRAPHQL] or {"median": 0})["median"]
    if typical > scenario.budget and not result.error:
        result.error = f"{typical} SQL queries per GraphQL request, budget {scenario.budget}"
    if scenario.verify and not result.error:
        try:
            result.error = scenario.verify(session, calls.state)
        except (RuntimeError, OSError, KeyError, ValueError) as exc:
            result.error = f"verify: {type(exc).__name__}: {exc}"
    result.peak_rss_mb = server.peak_rss_mb()
    result.peer_rss_mb = peer_server.peak_rss_mb() if calls.peer else None
    result.seconds = time.perf_counter() - started
    result.notes = {
        k: v
        for k, v in calls.state.items()
        if not k.endswith("api_key") and k not in {"cursor", "cursors"}
    }
    return result


# --- report ----------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def rate(value: float | None) -> str:
    return fmt(value, ",.1f" if value is not None and value < 100 else ",.0f")


def sql_ms(row: dict) -> str:
    """The median time in SQL a request, GraphQL/raw/PostGraphile (`-`: not measured); the
    table shows it at the first level, concurrency 1, where PostGraphile's requests are alone
    in their process (it times only those)."""
    kinds = (GRAPHQL, RAW, PEER) if row.get(PEER) else (GRAPHQL, RAW)
    return "/".join(fmt((row.get(kind) or {}).get("sql_ms_p50"), ".1f") for kind in kinds)


def table(results: list[ScenarioResult]) -> str:
    header = (
        f"{'scenario':<26} {'c':>2} | {'GraphQL req/s':>13} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'raw req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} | "
        f"{'PostGraphile':>12} {'p50 ms':>7} {'p99 ms':>7} | {'vs PG':>5} | {'SQL/req':>8} | "
        f"{'SQL ms':>14} | {'RSS MB':>6} {'PG MB':>5}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        name = result.scenario.name
        if result.failed and not result.levels:
            lines.append(f"{name:<26}    FAILED: {result.error}")
            continue
        for index, row in enumerate(result.levels):
            g = row[GRAPHQL]
            r = row.get(RAW) or dict.fromkeys(g)
            p = row.get(PEER) or dict.fromkeys(g)
            queries = "-"
            if index == 0:
                kinds = (GRAPHQL, RAW, PEER) if PEER in result.queries else (GRAPHQL, RAW)
                queries = "/".join(
                    str((result.queries.get(v) or {}).get("median", "-")) for v in kinds
                )
            first = index == 0
            lines.append(
                f"{name if first else '':<26} {row['concurrency']:>2} | {rate(g['rps']):>13} "
                f"{fmt(g['p50_ms'], '.1f'):>7} {fmt(g['p99_ms'], '.1f'):>7} | "
                f"{rate(r['rps']):>9} {fmt(r['p50_ms'], '.1f'):>7} {fmt(r['p99_ms'], '.1f'):>7} | "
                f"{fmt(row['ratio'], '.2f'):>5} | "
                f"{rate(p['rps']):>12} {fmt(p['p50_ms'], '.1f'):>7} {fmt(p['p99_ms'], '.1f'):>7} | "
                f"{fmt(row.get('ratio_postgraphile'), '.2f'):>5} | {queries:>8} | "
                f"{sql_ms(row) if first else '-':>14} | "
                f"{fmt(result.peak_rss_mb, '.0f') if first else '':>6} "
                f"{fmt(result.peer_rss_mb, '.0f') if first and result.peer_rss_mb else '':>5}"
            )
            if result.scenario.rows_per_request:
                lines.append(
                    f"{'  rows/s':<26}    | {fmt(g['rows_per_s']):>13} {'':>15} | "
                    f"{fmt(r['rows_per_s']):>9}"
                )
        if result.notes:
            lines.append(f"{'':<26}    {json.dumps(result.notes)}")
        if result.failed:
            lines.append(f"{'':<26}    FAILED: {result.error}")
    return "\n".join(lines)


def selected(options: Options) -> list[Scenario]:
    if not options.only:
        return list(SCENARIOS)
    chosen = [s for s in SCENARIOS if s.name in options.only or s.app in options.only]
    unknown = set(options.only) - {s.name for s in chosen} - {s.app for s in chosen}
    if unknown:
        raise SystemExit(f"Unknown scenarios or apps: {', '.join(sorted(unknown))}")
    return chosen


def start_peer(options: Options, seeded: dict) -> PeerServer:
    """PostGraphile on the seeded database, as many processes as gunicorn has workers."""
    database = (
        {"connectionString": options.database_url} if options.database_url else seeded["database"]
    )
    peer = PeerServer(
        database=database, workers=options.workers, log=RESULTS_DIR / "postgraphile.log.tmp"
    )
    ensure_installed()
    versions = peer_versions()
    print(
        f"PostGraphile {versions['postgraphile']} (Node {versions['node']}): "
        f"{options.workers} processes on {peer.host}:{peer.port}",
        flush=True,
    )
    peer.start()
    refused = refusals(peer)
    if refused:
        peer.stop()
        raise SystemExit(f"PostGraphile answered without a valid API key: {refused}")
    return peer


def refusals(peer: Server) -> str | None:
    """None when PostGraphile refuses (401) a request without a key and one with a wrong key."""
    body = json.dumps({"query": "query PeerThreads { __typename }"}).encode()
    wrong = "dk_" + "x" * 10 + "_" + secrets.token_urlsafe(32)
    for headers in ({}, {"Authorization": f"Bearer {wrong}"}):
        call = Call(
            path="/graphql", body=body, headers={"Content-Type": "application/json", **headers}
        )
        response = send(peer.host, peer.port, call)
        if response.status != 401:
            return f"HTTP {response.status} with headers {sorted(headers)}"
    return None


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    scenarios = selected(options)
    env = server_environment(options)
    started_at = datetime.now(UTC)
    seeded = seed(env, options, sorted({s.app for s in scenarios}))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = Server(
        base_dir=BASE_DIR,
        env=env,
        workers=options.workers,
        log=RESULTS_DIR / "server.log.tmp",
        threads=options.threads,
        **SERVERS[options.server],
    )
    threads = f" of {options.threads} threads" if options.threads > 1 else ""
    if options.server == "asgi":
        threads = f" of {env.get('HTTP_THREADS') or DEFAULT_THREADS} threads"
    print(
        f"gunicorn {server.app}: {options.workers} {options.server} workers{threads} on "
        f"{server.host}:{server.port}, "
        f"DEBUG off; levels {options.levels}, {options.requests} requests or "
        f"{options.time_cap:g} s per variant and level, {options.rounds} rounds"
        + (", connections kept alive" if options.keep_alive else ""),
        flush=True,
    )
    server.start()
    results = []
    peer_server = None
    try:
        if options.peer and any(s.name in PEER_QUERIES for s in scenarios):
            peer_server = start_peer(options, seeded)
        calls_key = seeded["api_key"]
        for scenario in scenarios:
            print(f"  {scenario.name} …", end=" ", flush=True)
            state = {k: v for k, v in seeded.items() if k.endswith("_api_key")}
            calls = Calls(scenario, calls_key, state)
            if peer_server is not None and scenario.name in PEER_QUERIES:
                calls.peer = PEER_QUERIES[scenario.name]
                calls.peer_state = {"user_id": seeded["user_id"]}
            result = run_scenario(server, calls, options, peer_server)
            print("FAILED: " + result.error if result.failed else f"{result.seconds:.0f} s")
            results.append(result)
    finally:
        if peer_server is not None:
            peer_server.stop()
        server.stop()
    print()
    print(table(results))
    document = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": {
            "scale": options.scale,
            "requests": options.requests,
            "time_cap_s": options.time_cap,
            "levels": options.levels,
            "rounds": options.rounds,
            "workers": options.workers,
            "server": options.server,
            "keep_alive": options.keep_alive,
            "database": "BENCH_DATABASE_URL" if options.database_url else "embedded",
            "postgraphile": peer_versions() if peer_server is not None else None,
        },
        "seed_seconds": round(seeded.get("seconds", 0), 2),
        "scenarios": [result.as_json() for result in results],
    }
    out = options.out or RESULTS_DIR / f"{started_at:%Y%m%dT%H%M%SZ}-{options.scale}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nResults: {out.relative_to(BASE_DIR) if out.is_relative_to(BASE_DIR) else out}")
    failed = [r.scenario.name for r in results if r.failed]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
