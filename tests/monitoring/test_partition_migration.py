"""Migration 0004 converts a plain log table into the partitioned one, batch by batch, without
losing a row (the same on 1,000,000 rows: benchmarks/partitions.py --convert)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from monitoring import partition_convert, partitions, services
from tests.monitoring.factories import T0

BEFORE = [("monitoring", "0003_log_hour_counts")]
AFTER = [("monitoring", "0004_partitioned_logs")]

# 3,000 logs: one every 5 minutes back from now over ~10 days, and 20 from 2001 (beyond the
# days that get a partition: they go to the default one).
SEED_SQL = """
    INSERT INTO monitoring_monitoringlog
        (client_id, timestamp, received_at, level, source, message, context)
    SELECT 'seed-' || i,
           CASE WHEN i <= 20 THEN timestamptz '2001-01-01' + i * interval '1 hour'
                ELSE now() - i * interval '5 minutes' END,
           now(), (ARRAY[10, 20, 30, 40, 50])[1 + i % 5], 'svc-' || i % 7, 'message ' || i,
           jsonb_build_object('i', i)
    FROM generate_series(1, 3000) AS i
"""
FINGERPRINT_SQL = """
    SELECT count(*), md5(string_agg(concat_ws('|', id, client_id, timestamp, received_at, level,
                                              source, message, context::text), ',' ORDER BY id))
    FROM monitoring_monitoringlog
"""


def query(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else None


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_plain_table_in_batches_without_losing_a_row(monkeypatch):
    # given: the table as it was before the migration, with logs and a link to a result
    migrate(BEFORE)
    with connection.cursor() as cursor:
        assert not partitions.is_partitioned(cursor)
    query(SEED_SQL)
    query(
        "INSERT INTO monitoring_monitoringresult (target, check_name, status, details, "
        "created_at) VALUES ('api', 'c', 'ok', '{}', now())"
    )
    query(
        "INSERT INTO monitoring_monitoringresult_logs (monitoringresult_id, monitoringlog_id) "
        "SELECT max(r.id), (SELECT min(id) + 6 FROM monitoring_monitoringlog) "
        "FROM monitoring_monitoringresult r"
    )
    [(low, high, linked)] = query(
        "SELECT min(id), max(id), min(id) + 6 FROM monitoring_monitoringlog"
    )
    before = query(FINGERPRINT_SQL)
    counts = query(
        "SELECT hour, source, level, count FROM monitoring_loghourcount ORDER BY 1, 2, 3"
    )
    batches = []
    monkeypatch.setattr(partition_convert, "BATCH", 700)
    monkeypatch.setattr(
        partition_convert, "_copy_range", _recording(partition_convert._copy_range, batches)
    )

    # when
    migrate(AFTER)

    # then: the same rows, in partitions, copied 700 ids at a time (and the rest under the lock)
    assert query(FINGERPRINT_SQL) == before
    assert before[0][0] == 3000
    assert batches == [(low - 1 + n * 700, low - 1 + n * 700 + 700) for n in range(5)] + [
        (high, None)
    ]
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        days = partitions.attached_days(cursor)
    today = partitions.today()
    assert days[-1] == today + timedelta(days=partition_convert.AHEAD_DAYS)
    assert (
        days[0]
        == query(
            "SELECT min(timestamp) FROM monitoring_monitoringlog WHERE timestamp > '2002-01-01'"
        )[0][0].date()
    )
    assert query(
        "SELECT count(*) FROM monitoring_monitoringlog_default WHERE timestamp < '2002-01-01'"
    ) == [(20,)]
    assert query("SELECT count(*) FROM monitoring_logkey") == [(3000,)]
    assert query("SELECT monitoringlog_id FROM monitoring_monitoringresult_logs") == [(linked,)]
    assert (
        query("SELECT hour, source, level, count FROM monitoring_loghourcount ORDER BY 1, 2, 3")
        == counts
    )
    assert query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'monitoring_monitoringlog'::regclass "
        "AND NOT tgisinternal ORDER BY tgname"
    ) == [
        ("monitoring_log_hour_count_delete",),
        ("monitoring_log_hour_count_insert",),
        ("monitoring_log_hour_count_truncate",),
        ("monitoring_log_hour_count_update",),
        ("monitoring_log_key_delete",),
        ("monitoring_log_key_insert",),
        ("monitoring_log_key_truncate",),
        ("monitoring_log_key_update",),
        ("realtime_logs_inserted",),
    ]
    assert query(
        "SELECT indexrelid::regclass::text FROM pg_index "
        "WHERE indrelid = 'monitoring_monitoringlog'::regclass ORDER BY 1"
    ) == [
        ("monitoring_log_client_id",),
        ("monitoring_log_level_time",),
        ("monitoring_log_source_time",),
        ("monitoring_log_time",),
        ("monitoring_monitoringlog_pkey",),
    ]
    # and: ingest goes on after the largest id, refusing the stored client ids
    outcome = services.logs_ingest(
        logs=[
            {
                "client_id": cid,
                "timestamp": ts,
                "level": 20,
                "source": "s",
                "message": "m",
                "context": {},
            }
            for cid, ts in (("seed-5", T0), ("new", T0))
        ]
    )
    assert (outcome.inserted, outcome.duplicates) == (1, 1)
    assert query(f"SELECT id > {high} FROM monitoring_monitoringlog WHERE client_id = 'new'") == [
        (True,)
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_can_be_undone_without_losing_a_row():
    # given
    query(SEED_SQL)
    before = query(FINGERPRINT_SQL)

    # when
    migrate(BEFORE)

    # then: a plain table with the unique client ids, the same rows
    with connection.cursor() as cursor:
        assert not partitions.is_partitioned(cursor)
    assert query(FINGERPRINT_SQL) == before
    assert query(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'monitoring_monitoringlog'::regclass "
        "AND contype IN ('p', 'u') ORDER BY 1"
    ) == [("monitoring_log_client_id_uniq",), ("monitoring_monitoringlog_pkey",)]
    migrate(AFTER)
    assert query(FINGERPRINT_SQL) == before


def _recording(copy_range, calls):
    def record(cursor, *, source, target, keys, after, upto=None):
        if target == partition_convert.NEW and keys:
            calls.append((after, upto))
        return copy_range(cursor, source=source, target=target, keys=keys, after=after, upto=upto)

    return record
