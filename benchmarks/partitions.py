"""The log table before and after partitioning, and the conversion between them, on N logs.

    .venv/bin/python -m benchmarks.partitions --logs 1000000

On an embedded server of its own (.data/bench-partitions, wiped at the start; or
BENCH_DATABASE_URL, a database to WIPE): migrates, goes back to the plain table (migration
monitoring.0003), seeds N logs like the bench (20 sources over 30 days), and measures the plain
table; then runs the conversion (migration monitoring.0004), checks that every row is there
unchanged (count and a hash of every column of every row), and measures the partitioned
table. Measured each time: storing 5,000-log batches (the service's statement, after the
per-row validation), the first page and a page 500,000 logs deep (100 logs, keyset), counts by
level over one day, retention of one day, and the sizes of the table and its indexes.
Exits 1 if a row was lost or changed.

Before: the statements of the plain table (INSERT … ON CONFLICT (client_id), DELETE in
batches of 5,000), as the service ran them; after: the service as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "bench-partitions"
NEWEST = datetime(2026, 11, 1, tzinfo=UTC)
BATCH = 5000

PLAIN_INGEST_SQL = """
    WITH inserted AS (
        INSERT INTO monitoring_monitoringlog
            (client_id, timestamp, level, source, message, context, received_at)
        SELECT item->>0, (item->>1)::timestamptz, (item->>2)::smallint, item->>3, item->>4,
               (item->>5)::jsonb, %s
        FROM json_array_elements(%s::json) AS batch(item)
        ON CONFLICT (client_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM inserted
"""
PLAIN_PRUNE_SQL = """
    WITH doomed AS (
        SELECT id FROM monitoring_monitoringlog WHERE timestamp < %s LIMIT %s
    ), unlinked AS (
        DELETE FROM monitoring_monitoringresult_logs
        WHERE monitoringlog_id IN (SELECT id FROM doomed)
    )
    DELETE FROM monitoring_monitoringlog WHERE id IN (SELECT id FROM doomed)
"""
FINGERPRINT_SQL = """
    SELECT count(*), sum(hashtextextended(concat_ws('|', id, client_id, timestamp, received_at,
                                                    level, source, message, context::text), 0))
    FROM monitoring_monitoringlog
"""
SIZES_SQL = """
    SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid))
    FROM (SELECT relid FROM pg_partition_tree(%(t)s::regclass) UNION SELECT %(t)s::regclass) t
    JOIN pg_class c ON c.oid = t.relid
    WHERE c.relkind = 'r'
"""


def _environment(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["EMBEDDED_PG_DIR"] = str(DATA_DIR)
        if DATA_DIR.exists():
            shutil.rmtree(DATA_DIR)


def _median_ms(run, times: int = 15) -> float:
    run()  # warm
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 2)


def _explained(queryset) -> dict:
    """The database's own time and buffers for the queryset's SQL (EXPLAIN ANALYZE)."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()[0]
    top = plan["Plan"]
    return {
        "planning_ms": plan["Planning Time"],
        "execution_ms": plan["Execution Time"],
        "buffers": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
        "plan": top["Plans"][0]["Node Type"] if top.get("Plans") else top["Node Type"],
    }


def measure(label: str, *, partitioned: bool, cutoff: datetime, batches: int) -> dict:
    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from monitoring import selectors, services
    from monitoring.models import MonitoringLog

    def query(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    result: dict = {"table": label}
    # Ingest: batches of new logs spread over the seeded month (every day partition gets some).
    rates = []
    for b in range(batches):
        logs = [
            {
                "client_id": f"{label}-{b}-{n}",
                "timestamp": NEWEST - timedelta(seconds=(n * 523 + b * 97) % (29 * 86400)),
                "level": 20,
                "source": "api",
                "message": f"GET /api/items/{n} answered in {n % 900} ms",
                "context": {"request_id": f"r-{b}-{n}", "user": n % 1000, "ok": True},
            }
            for n in range(BATCH)
        ]
        start = time.perf_counter()
        if partitioned:
            outcome = services.logs_ingest(logs=logs)
            assert outcome.inserted == BATCH, outcome
        else:
            import orjson

            from monitoring.validation import log_row_errors

            rows = sorted(log_row_errors(log)[0] for log in logs)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(PLAIN_INGEST_SQL, [timezone.now(), orjson.dumps(rows).decode()])
                assert cursor.fetchone()[0] == BATCH
        rates.append(BATCH / (time.perf_counter() - start))
    result["ingest_logs_per_s"] = [round(rate) for rate in rates]
    result["ingest_median_logs_per_s"] = round(statistics.median(rates))

    page = MonitoringLog.objects.newest_first()
    result["page_1_ms"] = _median_ms(lambda: list(page[:100]))
    depth = min(500_000, MonitoringLog.objects.count() // 2)
    t, i = page.values_list("timestamp", "id")[depth]
    deep = page.filter(Q(timestamp__lte=t), Q(timestamp__lt=t) | Q(id__lt=i))  # as the cursor
    result[f"page_{depth}_deep_ms"] = _median_ms(lambda: list(deep[:100]))
    day = (NEWEST - timedelta(days=10), NEWEST - timedelta(days=9))
    result["count_by_level_1_day_ms"] = _median_ms(
        lambda: selectors.log_counts_by_level(start=day[0], end=day[1])
    )
    result["explain"] = {"page_1": _explained(page[:100]), "deep_page": _explained(deep[:100])}

    table, indexes = query(SIZES_SQL, {"t": "monitoring_monitoringlog"})[0]
    result["table_mb"] = round(int(table) / 2**20, 1)
    result["indexes_mb"] = round(int(indexes) / 2**20, 1)
    if partitioned:
        keys = query("SELECT pg_total_relation_size('monitoring_logkey')")[0][0]
        result["key_table_with_index_mb"] = round(keys / 2**20, 1)
        result["partitions"] = query(
            "SELECT count(*) FROM pg_partition_tree('monitoring_monitoringlog') WHERE isleaf"
        )[0][0]

    doomed = query("SELECT count(*) FROM monitoring_monitoringlog WHERE timestamp < %s", [cutoff])
    start = time.perf_counter()
    if partitioned:
        deleted = services.logs_prune(
            policy=services.PrunePolicy(cutoff=cutoff, last_doomed_id=None)
        )
    else:
        deleted = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(PLAIN_PRUNE_SQL, [cutoff, 5000])
                deleted += cursor.rowcount
                if cursor.rowcount < 5000:
                    break
    result["retention_one_day_ms"] = round((time.perf_counter() - start) * 1000, 1)
    result["retention_one_day_logs"] = deleted
    assert deleted == doomed[0][0], (deleted, doomed)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=5, help="ingest batches of 5,000")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    _environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created

    from benchmarks.seed.monitoring import LOGS_SQL, SOURCES
    from monitoring import partition_convert

    def no_limits(connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0; SET lock_timeout = 0")

    connection_created.connect(no_limits)

    def query(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    call_command("migrate", verbosity=0)
    call_command("migrate", "monitoring", "0003", verbosity=0)
    report = {
        "logs": args.logs,
        "load_average": os.getloadavg(),
        "server": query("SHOW server_version")[0][0],
    }
    start = time.perf_counter()
    query(LOGS_SQL, {"n": args.logs, "sources": SOURCES})
    query("VACUUM ANALYZE monitoring_monitoringlog")
    report["seed_s"] = round(time.perf_counter() - start, 1)
    print(f"seeded {args.logs} logs in {report['seed_s']} s", file=sys.stderr)

    oldest = NEWEST - timedelta(days=30)
    report["plain"] = measure(
        "plain", partitioned=False, cutoff=oldest + timedelta(days=1), batches=args.batches
    )
    print(json.dumps(report["plain"], default=str), file=sys.stderr)

    before = query(FINGERPRINT_SQL)[0]
    start = time.perf_counter()
    call_command("migrate", "monitoring", verbosity=0)  # 0004: the conversion
    report["conversion"] = {
        "seconds": round(time.perf_counter() - start, 1),
        "rows": before[0],
        "batches": -(-before[0] // partition_convert.BATCH),
        "load_average": os.getloadavg(),
    }
    after = query(FINGERPRINT_SQL)[0]
    report["conversion"]["rows_identical"] = before == after
    query("VACUUM ANALYZE monitoring_monitoringlog")
    print(json.dumps(report["conversion"], default=str), file=sys.stderr)

    report["partitioned"] = measure(
        "partitioned", partitioned=True, cutoff=oldest + timedelta(days=2), batches=args.batches
    )
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=2, default=str))
    return 0 if before == after else 1


if __name__ == "__main__":
    sys.exit(main())
