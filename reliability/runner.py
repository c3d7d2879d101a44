"""`make reliability`: each case against the real server and a PostgreSQL the suite controls.

Prints one line per case with its figure; exits non-zero when any case fails.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from reliability.suite import Result, Suite

CaseFn = Callable[[Suite], list[Result]]


def _cases() -> dict[str, CaseFn]:
    from reliability.cases import (
        admin_authz,
        authz,
        concurrency,
        deploy,
        fuzz,
        hostile,
        idle,
        outage,
        pooler,
        rawhttp,
        realtime,
        replicas,
        restart,
        scalars,
        scaleout,
        statements,
    )

    return {
        "restart": lambda s: [
            restart.run(s, mode="fast", name="1a db restart (fast shutdown)"),
            restart.run(s, mode="kill", name="1b db restart (kill -9 postmaster)"),
        ],
        "idle": lambda s: [idle.run(s, name="2 idle connections terminated")],
        "pooler": pooler.run,
        "realtime": realtime.run,
        "hostile": lambda s: hostile.run(s, name="4 hostile queries"),
        "concurrency": concurrency.run,
        "authz": lambda s: authz.run(s, name="7 authorization matrix"),
        "admin_authz": lambda s: admin_authz.run(s, name="7b admin authorization matrix"),
        "rawhttp": rawhttp.run,
        "outage": outage.run,
        "statements": statements.run,
        "replicas": replicas.run,
        "scaleout": scaleout.run,
        # Fuzzing writes and deletes at random, so it runs after the cases that need the
        # seeded objects intact; the secrets scan comes last to see every answer and log line.
        "fuzz": fuzz.run,
        "scalars": scalars.run,
        "deploy": deploy.run,
    }


def main(argv: list[str] | None = None) -> int:
    cases = _cases()
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all): {', '.join(cases)}")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each case's details")
    parser.add_argument(
        "--run-dir", type=Path, help="where logs and reports go (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(cases)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    selected = args.cases or list(cases)

    started = time.monotonic()
    suite = Suite(args.run_dir)
    print(f"reliability: logs and reports in {suite.run_dir}", flush=True)
    results: list[Result] = []
    try:
        suite.setup()
        print(
            f"reliability: PostgreSQL on 127.0.0.1:{suite.pg.port} "
            f"(data in {suite.pg.data}), ready in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        for name in selected:
            case_started = time.monotonic()
            try:
                case_results = cases[name](suite)
                if isinstance(case_results, Result):
                    case_results = [case_results]
            except Exception as exc:  # a crashed case is a failed case, and the others still run
                traceback.print_exc()
                case_results = [Result(name, False, f"crashed: {type(exc).__name__}: {exc}")]
            seconds = time.monotonic() - case_started
            for result in case_results:
                print(_line(result, seconds if len(case_results) == 1 else None), flush=True)
                if args.verbose or not result.ok:
                    for detail in result.details:
                        print(f"      {detail}", flush=True)
            if len(case_results) > 1:
                print(f"      ({name}: {seconds:.1f} s)", flush=True)
            results.extend(case_results)
    finally:
        suite.teardown()
    failed = [r for r in results if not r.ok]
    print(
        f"reliability: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return 1 if failed or not results else 0


def _line(result: Result, seconds: float | None) -> str:
    took = f" [{seconds:.1f} s]" if seconds is not None else ""
    return f"{'PASS' if result.ok else 'FAIL'}  {result.name}: {result.figure}{took}"


if __name__ == "__main__":
    sys.exit(main())
