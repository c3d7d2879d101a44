"""The hourly counts behind the all-time statistics follow every write to the logs."""

from datetime import UTC, datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test import Client

from monitoring.models import Level, LogHourCount, MonitoringLog
from tests.monitoring.factories import MonitoringLogFactory, log_input
from tests.monitoring.test_log_ingest import ingest

RAW_SQL = """
    SELECT date_trunc('hour', timestamp, 'UTC'), source, level, count(*)
    FROM monitoring_monitoringlog GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def raw_counts():
    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL)
        return [tuple(row) for row in cursor.fetchall()]


def hour_counts():
    return list(
        LogHourCount.objects.order_by("hour", "source", "level").values_list(
            "hour", "source", "level", "count"
        )
    )


def test_ingest_and_a_replayed_batch_count_each_log_once(writer_client):
    # given
    logs = [log_input(n) for n in range(30)] + [log_input(7000, level="ERROR")]

    # when
    ingest(writer_client, logs)
    ingest(writer_client, logs)  # a retry: nothing new

    # then
    assert sum(row[3] for row in hour_counts()) == 31
    assert hour_counts() == raw_counts()


def test_deletes_updates_and_truncate_are_followed(db, superuser):
    # given: two hours, two sources, two levels
    t0 = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    for n in range(6):
        MonitoringLogFactory(
            timestamp=t0 + timedelta(minutes=20 * n),
            source="api" if n % 2 else "worker",
            level=Level.ERROR if n < 2 else Level.INFO,
        )
    assert hour_counts() == raw_counts()
    assert len(hour_counts()) == 5

    # when: pruning, an update, the admin's bulk delete
    call_command("prune_monitoring", "--keep-rows", "4", "--yes", stdout=StringIO())
    after_prune = (hour_counts(), raw_counts())
    MonitoringLog.objects.filter(source="api").update(level=Level.CRITICAL)
    after_update = (hour_counts(), raw_counts())
    client = Client()
    client.force_login(superuser)
    first = MonitoringLog.objects.order_by("id").first()
    client.post(
        "/admin/monitoring/monitoringlog/",
        {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"},
    )
    after_admin = (hour_counts(), raw_counts())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's open transaction
        cursor.execute("TRUNCATE monitoring_monitoringlog CASCADE")

    # then: the same as counting the logs, and emptied hours disappear
    assert after_prune[0] == after_prune[1] and sum(r[3] for r in after_prune[0]) == 4
    assert after_update[0] == after_update[1]
    assert {r[2] for r in after_update[0] if r[1] == "api"} == {Level.CRITICAL}
    assert after_admin[0] == after_admin[1] and sum(r[3] for r in after_admin[0]) == 3
    assert hour_counts() == []
