"""The log table's day partitions: where logs land, idempotency across partitions, creating
partitions ahead, and retention by dropping whole partitions."""

import re
import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.admin_utils import table_row_estimate
from monitoring import partitions, services
from monitoring.models import LogKey, MonitoringLog
from tests.monitoring.factories import MonitoringLogFactory, MonitoringResultFactory
from tests.monitoring.test_hour_counts import hour_counts, raw_counts

DAY = date(2026, 11, 20)


def log(client_id, timestamp, **fields):
    return {
        "client_id": client_id,
        "timestamp": timestamp,
        "level": 20,
        "source": "api",
        "message": "m",
        "context": {},
        **fields,
    }


def homes():
    """client id -> the table that holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_id, tableoid::regclass::text FROM monitoring_monitoringlog")
        return dict(cursor.fetchall())


def keys():
    return sorted(LogKey.objects.values_list("client_id", flat=True))


def stored():
    return sorted(MonitoringLog.objects.values_list("client_id", flat=True))


def days():
    with connection.cursor() as cursor:
        return partitions.attached_days(cursor)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_logs_land_in_their_day_or_in_the_default_partition(db):
    # given
    partitions.partitions_ensure(start=DAY, end=DAY + timedelta(days=2))

    # when
    services.logs_ingest(
        logs=[
            log("a", at(DAY, 0)),
            log("b", at(DAY + timedelta(days=1), 23)),
            log("c", datetime(2001, 1, 1, tzinfo=UTC)),
        ]
    )

    # then
    assert homes() == {
        "a": "monitoring_monitoringlog_p20261120",
        "b": "monitoring_monitoringlog_p20261121",
        "c": "monitoring_monitoringlog_default",
    }
    assert keys() == ["a", "b", "c"]


def test_a_client_id_stored_in_another_partition_is_a_duplicate(db):
    # given
    partitions.partitions_ensure(start=DAY, end=DAY + timedelta(days=2))
    services.logs_ingest(logs=[log("a", at(DAY)), log("b", datetime(2001, 1, 1, tzinfo=UTC))])

    # when: the same ids with other times (another day, the default partition, a day)
    outcome = services.logs_ingest(
        logs=[
            log("a", at(DAY + timedelta(days=1))),
            log("a", datetime(2001, 1, 1, tzinfo=UTC)),
            log("b", at(DAY)),
            log("c", at(DAY)),
        ]
    )

    # then
    assert (outcome.inserted, outcome.duplicates) == (1, 3)
    assert homes() == {
        "a": "monitoring_monitoringlog_p20261120",
        "b": "monitoring_monitoringlog_default",
        "c": "monitoring_monitoringlog_p20261120",
    }


def test_any_other_insert_of_a_stored_client_id_is_refused(db):
    # given
    partitions.partitions_ensure(start=DAY, end=DAY + timedelta(days=2))
    MonitoringLogFactory(client_id="a", timestamp=at(DAY))

    # when / then: the key table refuses it, as the unique constraint did
    with pytest.raises(IntegrityError, match="monitoring_logkey_pkey"), transaction.atomic():
        MonitoringLogFactory(client_id="a", timestamp=at(DAY + timedelta(days=1)))
    assert stored() == ["a"]


def test_creating_a_partition_moves_its_logs_out_of_the_default_one(db):
    # given: logs of a day without a partition, and its counts
    services.logs_ingest(logs=[log(f"x{n}", at(DAY, n)) for n in range(3)])
    assert set(homes().values()) == {"monitoring_monitoringlog_default"}
    counts = hour_counts()

    # when
    out = StringIO()
    call_command("monitoring_partitions", "--from", "2026-11-19", "--ahead", "0", stdout=out)

    # then: same logs, counts and keys; in their partition now
    assert set(homes().values()) == {"monitoring_monitoringlog_p20261120"}
    assert hour_counts() == counts == raw_counts()
    assert keys() == ["x0", "x1", "x2"]
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "created monitoring_monitoringlog_p20261119",
        "created monitoring_monitoringlog_p20261120",
    ]
    assert lines[-1].endswith("logs in the default partition: 0")
    assert days()[:2] == [date(2026, 11, 19), DAY]


def test_monitoring_partitions_is_idempotent(db):
    # given
    call_command("monitoring_partitions", "--ahead", "2", stdout=StringIO())

    # when
    out = StringIO()
    call_command("monitoring_partitions", "--ahead", "2", stdout=out)

    # then
    today = partitions.today()
    assert out.getvalue().splitlines() == [
        f"day partitions: {len(days())} ({days()[0]} to {days()[-1]}); "
        "logs in the default partition: 0"
    ]
    assert {today + timedelta(days=n) for n in range(3)} <= set(days())


@pytest.fixture
def week(db):
    """Six day partitions ending today, four logs a day (at 01, 07, 13, 19 UTC), and one very
    old log in the default partition; a result linked to a log of the oldest day and to one of
    today."""
    today = partitions.today()
    first = today - timedelta(days=5)
    partitions.partitions_ensure(start=first, end=today + timedelta(days=1))
    logs = [
        log(f"{day:%m%d}-{hour:02d}", at(day, hour), level=40 if hour == 1 else 20)
        for day in (first + timedelta(days=n) for n in range(6))
        for hour in (1, 7, 13, 19)
    ]
    services.logs_ingest(logs=[*logs, log("ancient", datetime(2001, 1, 1, tzinfo=UTC))])
    result = MonitoringResultFactory()
    result.logs.add(
        *MonitoringLog.objects.filter(client_id__in=[f"{first:%m%d}-01", f"{today:%m%d}-01"])
    )
    return today, result


def test_keep_days_drops_whole_partitions_and_deletes_only_the_straddling_day(week):
    # given: the cutoff is 3 days before 10:00 today
    today, result = week
    now = at(today, 10)
    policy = services.logs_prune_policy(keep_days=3, keep_rows=None, now=now)
    doomed = services.logs_prune_count(policy=policy)

    # when
    deleted = services.logs_prune(policy=policy, batch_size=2)

    # then: the two oldest days are gone as partitions; of the day of the cutoff, the logs
    # before 10:00 (01 and 07); the ancient log in the default partition
    straddling = today - timedelta(days=3)
    assert deleted == doomed == 2 * 4 + 2 + 1
    assert days()[:4] == [straddling + timedelta(days=n) for n in range(4)]
    kept = [
        f"{day:%m%d}-{hour:02d}"
        for day in (straddling + timedelta(days=n) for n in range(4))
        for hour in (1, 7, 13, 19)
        if day > straddling or hour > 10
    ]
    assert stored() == keys() == sorted(kept)
    assert hour_counts() == raw_counts()
    assert list(result.logs.values_list("client_id", flat=True)) == [f"{today:%m%d}-01"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_monitoringresult_logs")
        assert cursor.fetchone() == (1,)


def test_a_log_replayed_after_its_partition_was_dropped_is_stored_again(week):
    # given
    today, _ = week
    oldest = today - timedelta(days=5)
    services.logs_prune(
        policy=services.logs_prune_policy(keep_days=1, keep_rows=None, now=at(today, 0))
    )
    assert partitions.name(oldest) not in set(homes().values())

    # when: the oldest day's logs sent again (its partition is gone: they go to the default)
    replay = [log(f"{oldest:%m%d}-{hour:02d}", at(oldest, hour)) for hour in (1, 7)]
    first = services.logs_ingest(logs=replay)
    again = services.logs_ingest(logs=replay)

    # then
    assert (first.inserted, again.inserted, again.duplicates) == (2, 0, 2)
    assert homes()[f"{oldest:%m%d}-01"] == "monitoring_monitoringlog_default"


def test_keep_rows_still_deletes_by_arrival_across_partitions(week):
    # when
    out = StringIO()
    call_command("prune_monitoring", "--keep-rows", "5", "--yes", stdout=out)

    # then: the last five stored (the ingest stored the batch in client id order)
    assert out.getvalue().splitlines()[-1] == "deleted: 20"
    assert days()[0] == partitions.today() - timedelta(days=5)
    assert stored() == keys()
    assert len(stored()) == 5
    assert hour_counts() == raw_counts()


def test_a_partition_left_detached_by_an_interrupted_run_is_finished(week):
    # given: a run that detached the oldest day and stopped
    today, _ = week
    oldest = today - timedelta(days=5)
    start, end = partitions.bounds(oldest)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE monitoring_monitoringlog DETACH PARTITION {partitions.name(oldest)}"
        )
        cursor.execute(
            "DELETE FROM monitoring_loghourcount WHERE hour >= %s AND hour < %s", [start, end]
        )

    # when
    dropped = partitions.partitions_drop_before(cutoff=timezone.now() - timedelta(days=30))

    # then
    assert dropped == [partitions.Dropped(day=oldest, logs=4)]
    with connection.cursor() as cursor:
        assert partitions.detached_tables(cursor) == []
    assert stored() == keys()
    assert hour_counts() == raw_counts()


def test_the_admin_estimate_of_the_log_table_sums_its_partitions(db):
    # given: logs in two day partitions and the default one, analysed
    partitions.partitions_ensure(start=DAY, end=DAY + timedelta(days=2))
    services.logs_ingest(
        logs=[log(f"e{n}", at(DAY + timedelta(days=n % 3), 5)) for n in range(30)]
        + [log("old", datetime(2001, 1, 1, tzinfo=UTC))]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE monitoring_monitoringlog")

    # when / then: the parent's own estimate is empty; the partitions' add up to the rows
    assert table_row_estimate("monitoring_monitoringlog") == 31


@pytest.mark.django_db(transaction=True)
def test_creating_a_partition_gives_way_to_a_long_query_and_tries_again():
    # given: another connection reading the log table in a transaction for 3 seconds
    reading, done = threading.Event(), threading.Event()

    def long_read():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM monitoring_monitoringlog")
            reading.set()
            done.wait(timeout=3)
        connection.close()

    reader = threading.Thread(target=long_read)
    reader.start()
    reading.wait()
    timer = threading.Timer(3, done.set)
    timer.start()

    # when: its lock waits 2 s at most, then it tries again a second later
    created = partitions.partitions_ensure(start=DAY, end=DAY + timedelta(days=1))

    # then
    reader.join()
    assert created == [DAY]
    assert DAY in days()


def test_the_batched_delete_reads_only_the_partitions_before_the_cutoff(week):
    # given: a cutoff in the middle of the fourth day from the end
    today, _ = week
    straddling = today - timedelta(days=3)
    policy = services.PrunePolicy(cutoff=at(straddling, 10), last_doomed_id=None)
    where, params = policy.where()

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (COSTS OFF) " + services.PRUNE_BATCH_SQL.format(where=where),
            [*params, *params, 5000],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then: the days before the cutoff and the default partition, no later day
    assert set(re.findall(r"monitoring_monitoringlog_(p\d{8}|default)\b", plan)) == {
        *(f"p{straddling - timedelta(days=n):%Y%m%d}" for n in range(3)),
        "default",
    }
