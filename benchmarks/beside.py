"""The query benchmark beside live WebSocket subscribers: one ASGI worker (gunicorn with a
uvicorn worker), the bench's read scenarios timed with 0 and then with N subscribers of
messageAdded over M threads while messages are appended at a steady rate (both times); then,
for --alone seconds, the subscribers and the writer with no query load beside.

    .venv/bin/python -m benchmarks.beside --subscribers 1000 --threads 200 --rate 20

Seeds (or, with BENCH_SEED=0, reuses) the bench database like `make bench`; the same options
(BENCH_LEVELS, BENCH_TIME_CAP, BENCH_REQUESTS, BENCH_ROUNDS, BENCH_SCALE) apply. The
subscribers and the writer run in their own process (benchmarks.ws_subscribers) so that they
do not share the load client's interpreter. The threads it makes are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.run import (
    BASE_DIR,
    RESULTS_DIR,
    Calls,
    HttpSession,
    parse_options,
    run_scenario,
    seed,
    selected,
    server_environment,
)
from benchmarks.scenarios import GRAPHQL
from benchmarks.server import Server

# Reads that the appended messages do not change (the threads page would: its order moves).
DEFAULT_SCENARIOS = "thread_500_in_pages,logs_page_1"
THREAD_CREATE = (
    "mutation ($input: ThreadCreateInput!) { threadCreate(input: $input) { __typename } }"
)
THREAD_DELETE = "mutation ($id: ID!) { threadDelete(id: $id) { __typename } }"


def start_load(server: Server, key: str, threads: list[str], subscribers: int, rate: float):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.ws_subscribers",
            f"--base={server.host}:{server.port}",
            f"--key={key}",
            f"--threads={','.join(threads)}",
            f"--subscribers={subscribers}",
            f"--rate={rate}",
        ],
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise SystemExit(f"the subscribers did not start: {line!r}")
    return process


def stop_load(process) -> dict:
    output, _ = process.communicate("", timeout=120)
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="messages appended per second")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS)
    parser.add_argument(
        "--alone",
        type=float,
        default=30,
        help="then seconds of the subscribers and the writer with no query load beside (0: none)",
    )
    args, rest = parser.parse_known_args()
    options = parse_options([*rest, f"--only={args.scenarios}", "--workers=1"])
    scenarios = selected(options)
    env = server_environment(options)
    # One bench user holds every subscription: the per-user cap is not what is measured.
    env["REALTIME_MAX_SUBSCRIPTIONS_PER_USER"] = str(args.subscribers)
    seeded = seed(env, options, sorted({s.app for s in scenarios}))
    key = seeded["api_key"]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = Server(
        base_dir=BASE_DIR,
        env=env,
        workers=1,
        log=RESULTS_DIR / "server.log.tmp",
        app="config.asgi:application",
        worker_class="config.serving.UvicornWorker",
    )
    server.start()
    session = HttpSession(server, key)
    threads = [f"bench-rt-{i}" for i in range(args.threads)]
    runs = []
    try:
        for thread_id in threads:
            session.graphql(THREAD_CREATE, {"input": {"id": thread_id, "title": "realtime"}})
        for subscribers in (0, args.subscribers):
            print(f"{subscribers} subscribers, {args.rate:g} messages/s …", flush=True)
            load = start_load(server, key, threads, subscribers, args.rate)
            results = []
            for scenario in scenarios:
                state = {k: v for k, v in seeded.items() if k.endswith("_api_key")}
                result = run_scenario(server, Calls(scenario, key, state), options)
                print(f"  {scenario.name}: {result.error or 'ok'}", flush=True)
                results.append(result)
            rss = worker_rss_mb(server)
            figures = stop_load(load)
            runs.append(
                {"subscribers": subscribers, "load": figures, "rss_mb": rss, "results": results}
            )
            time.sleep(2)  # the subscribers' sockets closed, the pollers stopped
        if args.alone:
            print(f"{args.subscribers} subscribers alone for {args.alone:g} s …", flush=True)
            load = start_load(server, key, threads, args.subscribers, args.rate)
            time.sleep(args.alone)
            rss = worker_rss_mb(server)
            figures = stop_load(load)
            runs.append(
                {"subscribers": args.subscribers, "alone": True, "load": figures, "rss_mb": rss}
            )
    finally:
        for thread_id in threads:
            session.graphql(THREAD_DELETE, {"id": thread_id}, expect_ok=False)
        server.stop()
    print()
    print(report(runs))
    out = RESULTS_DIR / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-beside.json"
    out.write_text(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "threads": args.threads,
                "rate": args.rate,
                "levels": options.levels,
                "runs": [
                    {**run, "results": [r.as_json() for r in run.get("results", [])]}
                    for run in runs
                ],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nResults: {out.relative_to(BASE_DIR)}")
    return 1 if any(r.failed for run in runs for r in run.get("results", [])) else 0


def worker_rss_mb(server: Server) -> float | None:
    """The worker's resident memory now (VmRSS), in MiB."""
    for pid in server.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def report(runs: list[dict]) -> str:
    timed = [run for run in runs if "results" in run]
    lines = [
        f"{'scenario':<22} {'c':>2} | "
        + " | ".join(f"{run['subscribers']:>5} subs: req/s  p50  p99" for run in timed)
    ]
    for index, result in enumerate(timed[0]["results"]):
        for level_index, row in enumerate(result.levels):
            cells = []
            for run in timed:
                levels = run["results"][index].levels
                g = levels[level_index][GRAPHQL] if level_index < len(levels) else None
                cells.append(
                    f"{g['rps']:>17.1f} {g['p50_ms']:>4.0f} {g['p99_ms']:>4.0f}" if g else "-"
                )
            name = result.scenario.name if level_index == 0 else ""
            lines.append(f"{name:<22} {row['concurrency']:>2} | " + " | ".join(cells))
    for run in runs:
        beside = "alone" if run.get("alone") else "beside the queries"
        lines.append(
            f"{run['subscribers']} subscribers, {beside} (worker RSS {run['rss_mb']} MiB): "
            f"{json.dumps(run['load'])}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
