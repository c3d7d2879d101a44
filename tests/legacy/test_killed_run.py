"""A run of `manage.py import_legacy` killed (SIGKILL) half-way through a large table, then run
again, leaves what an uninterrupted run leaves: no duplicates, no gaps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings

from config.models import LegacyImportMark
from monitoring.models import MonitoringLog
from students.models import LearningEvent, PerformanceRecord
from tests.legacy.conftest import SCHEMA
from tests.processes import MANAGE_PY, database_url

LOGS = 20_000
# Every 1000th row has a level the service refuses: refusals are part of the result too.
LEGACY_LOGS = f"""
    INSERT INTO legacy.monitoring_logs (timestamp, level, source, message, metadata, created_at)
    SELECT timestamp '2025-01-01' + g * interval '1 second',
           CASE WHEN g % 1000 = 0 THEN 'LOUD' ELSE (ARRAY['debug', 'INFO', 'warn'])[1 + g % 3]
           END,
           'service-' || (g % 7), 'request ' || md5(g::text), '{{"n": ' || g || '}}',
           timestamp '2025-01-01' + g * interval '1 second' + interval '1 millisecond'
    FROM generate_series(1, {LOGS}) g
"""

STUDENTS, EVENTS = 100, 12_000
LEGACY_EVENTS = f"""
    INSERT INTO legacy.concept_modules (concept_id, name) VALUES ('alg1', 'Algebra I');
    INSERT INTO legacy.dropout_students (student_id, name, email)
    SELECT 's' || g, 'Student ' || g, 's' || g || '@example.com'
    FROM generate_series(1, {STUDENTS}) g;
    INSERT INTO legacy.dropout_learning_events (student_id, event_type, concept_id, timestamp,
                                                duration_seconds, metadata)
    SELECT 's' || (1 + g % {STUDENTS}), (ARRAY['login', 'page_view', 'quiz_attempt'])[1 + g % 3],
           CASE WHEN g % 2 = 0 THEN 'alg1' END,
           timestamp '2025-01-01' + g * interval '1 minute', g % 600, json_build_object('n', g)
    FROM generate_series(1, {EVENTS}) g
"""


def start(system: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
    }
    return subprocess.Popen(
        [
            sys.executable,
            MANAGE_PY,
            "import_legacy",
            system,
            "--source-schema",
            SCHEMA,
            "--no-progress",
            "--batch-size",
            "500",
        ],
        cwd=str(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_half_way(process: subprocess.Popen, *, system: str, table: str) -> None:
    """SIGKILL the run as soon as its first batches of `table` are committed."""
    deadline = time.monotonic() + 120
    while not LegacyImportMark.objects.filter(
        system=system, table=table, last_key__isnull=False, completed_at__isnull=True
    ).exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the run did not start the table"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def logs():
    return list(
        MonitoringLog.objects.order_by("client_id").values_list(
            "client_id", "timestamp", "level", "source", "message", "context", "received_at"
        )
    )


def test_a_killed_log_import_rerun_equals_an_uninterrupted_one(legacy, import_legacy):
    # given: a large legacy table and a run killed while importing it
    legacy(LEGACY_LOGS)
    process = start("veritas-monitoring")
    kill_half_way(process, system="veritas-monitoring", table="monitoring_logs")
    left = MonitoringLog.objects.count()
    mark = LegacyImportMark.objects.get(table="monitoring_logs").last_key

    # when: run again
    rerun = import_legacy("veritas-monitoring")
    resumed = logs()
    # and, for comparison, an uninterrupted run from nothing
    MonitoringLog.objects.all().delete()
    LegacyImportMark.objects.all().delete()
    import_legacy("veritas-monitoring")

    # then
    assert 0 < left < LOGS - LOGS // 1000  # it really was stopped half-way
    assert resumed == logs()
    assert len(resumed) == len({row[0] for row in resumed}) == LOGS - LOGS // 1000
    # the rerun starts right after the last committed batch: nothing read twice, nothing missed
    refused = LOGS // 1000 - mark // 1000
    assert left == mark - mark // 1000
    assert rerun.splitlines()[0] == (
        f"veritas-monitoring monitoring_logs: read {LOGS - mark}, "
        f"imported {LOGS - mark - refused}, already present 0, refused {refused}"
    )


def events():
    return list(
        LearningEvent.objects.order_by("event_id").values_list(
            "event_id",
            "student__code",
            "module__code",
            "event_type",
            "occurred_at",
            "duration_s",
            "metadata",
        )
    )


def performance():
    return list(
        PerformanceRecord.objects.order_by("student__code").values_list(
            "student__code", "module__code", "event_count"
        )
    )


def test_a_killed_learning_event_import_rerun_equals_an_uninterrupted_one(legacy, import_legacy):
    # given
    legacy(LEGACY_EVENTS)
    import_legacy("veritas-dashboard")
    process = start("veritas-dropout")
    kill_half_way(process, system="veritas-dropout", table="dropout_learning_events")
    left = LearningEvent.objects.count()

    # when
    import_legacy("veritas-dropout")
    resumed = (events(), performance())
    LearningEvent.objects.all().delete()
    LegacyImportMark.objects.filter(table="dropout_learning_events").delete()
    import_legacy("veritas-dropout")

    # then
    assert 0 < left < EVENTS
    assert resumed == (events(), performance())
    assert len(resumed[0]) == len({row[0] for row in resumed[0]}) == EVENTS
    assert sum(count for _, _, count in resumed[1]) == EVENTS // 2  # the events with a module
