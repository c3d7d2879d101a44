"""What printing the answer's values costs PostgreSQL: each printer of the compiler
(config.compiler.sql) over the seeded log table, per 100 rows (a page), beside reading the
column as it is. Uses the data `make bench` seeded.

    python -m benchmarks.printing [--rows 100000] [--rounds 5]

A compiled read builds its JSON in SQL (docs/compiler.md); an engine that reads plain
columns and prints them in its own process (PostGraphile) spends that time elsewhere. The
figures say where a compiled statement's time goes (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import time


def printers() -> dict[str, str]:
    from config.compiler import sql

    stamp = '"timestamp"'
    return {
        "timestamp read as it is": f"({stamp})::text",
        "timestamp as isoformat (sql.iso)": sql.iso(stamp),
        "text as a JSON string (to_json)": "to_json(message)::text",
        "jsonb read as it is": "(context)::text",
        "jsonb as compact JSON (sql.json_text)": sql.json_text("context"),
        "bigint id as text": "(id)::text",
        "cursor of (timestamp, id) (sql.cursor)": sql.cursor(
            "-timestamp,-id",
            [f"COALESCE('\"' || {sql.iso(stamp)} || '\"', 'null')", "COALESCE((id)::text, 'null')"],
        ),
    }


def measure(rows: int, rounds: int) -> list[tuple[str, float]]:
    """The cost of each printer per 100 rows, in ms: the fastest of `rounds` scans of `rows`
    rows, less the same scan printing a constant."""
    from django.db import connection

    def scan(expression: str) -> float:
        statement = (
            f"SELECT sum(length({expression})) FROM (SELECT * FROM monitoring_monitoringlog "
            f"ORDER BY id LIMIT {rows}) t"
        )
        started = time.perf_counter()
        cursor.execute(statement)
        cursor.fetchone()
        return time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")  # one backend, as a request
        expressions = {"constant": "'x'", **printers()}
        best = dict.fromkeys(expressions, float("inf"))
        for _ in range(rounds):
            for name, expression in expressions.items():
                best[name] = min(best[name], scan(expression))
    base = best.pop("constant")
    return [(name, (seconds - base) / rows * 100 * 1000) for name, seconds in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from benchmarks.run import seeded_options, server_environment

    os.environ.update(server_environment(seeded_options()))

    import django

    django.setup()
    print(f"ms per 100 rows, the fastest of {args.rounds} scans of {args.rows:,} log rows")
    for name, cost in measure(args.rows, args.rounds):
        print(f"  {name:42s} {cost:6.3f}")


if __name__ == "__main__":
    main()
