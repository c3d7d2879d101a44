"""Two revisions of the service served side by side on the bench's data, one worker each, and
timed in interleaved batches of serial requests: a change's effect on a read, measured on a
machine whose speed drifts between whole runs (docs/benchmarks.md).

    python -m benchmarks.ab BEFORE AFTER [--only a,b] [--batches 20] [--requests 100]

BEFORE and AFTER are git revisions (`HEAD~2`, a commit; `.` is the working tree as it is),
each checked out in a worktree under .data/ab/ and served by this checkout's virtualenv with
the production worker (gunicorn, config.asgi). Uses the data `make bench` seeded. Prints, per
scenario, the median of the batches' median latencies of each and their ratio; the batches
alternate which server goes first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
from pathlib import Path

from benchmarks.load import run_batch
from benchmarks.run import BASE_DIR, Calls, HttpSession, seed, seeded_options, server_environment
from benchmarks.scenarios import SCENARIOS
from benchmarks.server import SERVERS, Server

WORKTREES = BASE_DIR / ".data" / "ab"
DEFAULT_SCENARIOS = "logs_deep_page,thread_500_in_pages,learn_items_by_tags"


def checkout(revision: str) -> Path:
    """A worktree of `revision` under .data/ab (this checkout itself for `.`)."""
    if revision == ".":
        return BASE_DIR
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path = WORKTREES / commit[:12]
    if not path.exists():
        WORKTREES.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(path), commit],
            cwd=BASE_DIR,
            check=True,
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--only", default=DEFAULT_SCENARIOS)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    options = seeded_options()
    env = server_environment(options)
    api_key = seed(env, options, ["chat", "learn", "monitoring", "students"])["api_key"]
    servers: dict[str, Server] = {}
    try:
        for label, revision in (("before", args.before), ("after", args.after)):
            path = checkout(revision)
            log = BASE_DIR / "benchmarks" / "results" / f"ab-{label}.log.tmp"
            server = Server(
                base_dir=path,
                env={**env, "PYTHONPATH": str(path)},
                workers=1,
                log=log,
                **SERVERS["asgi"],
            )
            server.start()
            servers[label] = server
        print(f"{'scenario':24s} {'before':>9s} {'after':>9s}  after/before   (ms, p50)")
        for name in args.only.split(","):
            scenario = next(s for s in SCENARIOS if s.name == name)
            calls = Calls(scenario, api_key)
            if scenario.prepare:
                calls.state.update(scenario.prepare(HttpSession(servers["before"], api_key)))
            make = calls.make("graphql")
            medians: dict[str, list[float]] = {label: [] for label in servers}
            for server in servers.values():  # warm-up: plans, kept operations, connections
                run_batch(server.host, server.port, make, total=100, concurrency=1, time_cap=60)
            for number in range(args.batches):
                order = list(servers.items())
                if number % 2:
                    order.reverse()
                for label, server in order:
                    batch = run_batch(
                        server.host,
                        server.port,
                        make,
                        total=args.requests,
                        concurrency=1,
                        time_cap=60,
                        first_number=number * args.requests,
                    )
                    if batch.errors:
                        raise SystemExit(f"{name} ({label}): {batch.first_error}")
                    medians[label].append(statistics.median(batch.latencies) * 1000)
            before, after = (statistics.median(medians[label]) for label in servers)
            spread = "  ".join(
                f"{label} {min(values):.2f}-{max(values):.2f}" for label, values in medians.items()
            )
            print(f"{name:24s} {before:9.2f} {after:9.2f}  {after / before:12.3f}   ({spread})")
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
