from datetime import UTC, datetime

from django.db import connection

from monitoring.models import MonitoringLog, MonitoringResult, SystemHealth
from monitoring.services import result_record

LOGS = """
    INSERT INTO legacy.monitoring_logs (timestamp, level, source, message, metadata, created_at)
    VALUES ('2025-06-01 12:00:00.123456', 'INFO', 'api', 'started', '{"pid": 7}',
            '2025-06-01 12:00:01'),
           ('2025-06-01 12:00:02', 'error', 'api', 'failed', NULL, '2025-06-01 12:00:03'),
           ('2025-06-01 12:00:04', 'LOUD', 'api', 'what level', NULL, NULL),
           ('2025-06-01 12:00:05', 'info', 'api', 'bad json', '{"a": ', NULL)
"""


def test_logs_keep_their_times_and_levels_and_a_rerun_adds_nothing(legacy, import_legacy):
    # given
    legacy(LOGS)

    # when
    first = import_legacy("veritas-monitoring")
    second = import_legacy("veritas-monitoring")

    # then
    assert list(
        MonitoringLog.objects.order_by("timestamp").values_list(
            "client_id", "timestamp", "level", "context", "received_at"
        )
    ) == [
        (
            "monitoring_logs:1",
            datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC),
            20,
            {"pid": 7},
            datetime(2025, 6, 1, 12, 0, 1, tzinfo=UTC),
        ),
        (
            "monitoring_logs:2",
            datetime(2025, 6, 1, 12, 0, 2, tzinfo=UTC),
            40,
            {},
            datetime(2025, 6, 1, 12, 0, 3, tzinfo=UTC),
        ),
    ]
    assert first.splitlines()[:4] == [
        "veritas-monitoring monitoring_logs: read 4, imported 2, already present 0, refused 2",
        "  columns found but not mapped: host",
        "  refused 3: level: must be one of debug, info, warning, error, critical",
        "  refused 4: context: invalid JSON (Expecting value: line 1 column 7 (char 6))",
    ]
    assert second.splitlines()[0] == (
        "veritas-monitoring monitoring_logs: read 4, imported 0, already present 2, refused 2"
    )


RESULTS = """
    INSERT INTO legacy.monitoring_results (service, check_type, status, score, details, created_at)
    VALUES ('api', 'latency', 'PASS', 0.98, '{"p95_ms": 120}', '2025-06-01 12:00:00'),
           ('api', 'errors', 'failed', NULL, NULL, '2025-06-02 08:30:00.5'),
           ('api', 'errors', 'maybe', NULL, NULL, '2025-06-02 08:31:00'),
           ('db', 'size', 'ok', NULL, '[1, 2]', '2025-06-02 08:32:00'),
           ('db', 'size', 'ok', NULL, NULL, '1899-12-31 23:59:59')
"""

HEALTH = """
    INSERT INTO legacy.system_health (component, status, response_time_ms, metadata, checked_at)
    VALUES ('api', 'healthy', 12.5, '{"node": "a"}', '2025-06-01 12:00:00'),
           ('db', 'DOWN', NULL, NULL, '2025-06-01 12:00:05'),
           ('db', 'up', -1, NULL, '2025-06-01 12:00:06'),
           ('db', 'up', NULL, '{"node": ', '2025-06-01 12:00:07')
"""


def test_results_and_health_keep_ids_times_and_statuses_and_a_rerun_adds_nothing(
    legacy, import_legacy
):
    # given
    legacy(RESULTS)
    legacy(HEALTH)

    # when
    first = import_legacy("veritas-monitoring")
    second = import_legacy("veritas-monitoring")

    # then
    assert list(
        MonitoringResult.objects.order_by("id").values_list(
            "id", "target", "check_name", "status", "score", "details", "created_at"
        )
    ) == [
        (1, "api", "latency", "ok", 0.98, {"p95_ms": 120}, at(1, 12)),
        (2, "api", "errors", "critical", None, {}, at(2, 8, 30, 0, 500000)),
    ]
    assert list(
        SystemHealth.objects.order_by("id").values_list(
            "id", "component", "status", "latency_ms", "details", "checked_at"
        )
    ) == [
        (1, "api", "up", 12.5, {"node": "a"}, at(1, 12)),
        (2, "db", "down", None, {}, at(1, 12, 0, 5)),
    ]
    assert first.splitlines()[2:] == [
        "veritas-monitoring monitoring_results: read 5, imported 2, already present 0, refused 3",
        "  refused 3: status: 'maybe' is not one of critical, error, fail, failed, healthy, ok, "
        "pass, passed, success, unknown, warn, warning",
        "  refused 4: details: Must be a JSON object.",
        "  refused 5: created_at: 1899-12-31T23:59:59 is out of range (times must be from "
        "1900-01-01T00:00:00Z up to, not including, 3000-01-01T00:00:00Z)",
        "veritas-monitoring system_health: read 4, imported 2, already present 0, refused 2",
        "  columns found but not mapped: region",
        "  refused 3: latency_ms: Ensure this value is greater than or equal to 0.",
        "  refused 4: details: invalid JSON (Expecting value: line 1 column 10 (char 9))",
    ]
    assert second.splitlines()[2:4] == [
        "veritas-monitoring monitoring_results: read 5, imported 0, already present 2, refused 3",
        "  refused 3: status: 'maybe' is not one of critical, error, fail, failed, healthy, ok, "
        "pass, passed, success, unknown, warn, warning",
    ]


def test_new_results_are_picked_up_and_the_service_numbers_after_the_legacy_ids(
    legacy, import_legacy
):
    # given: a first import, then the legacy system writes one more result
    legacy(RESULTS)
    import_legacy("veritas-monitoring")
    legacy(
        "INSERT INTO legacy.monitoring_results (service, check_type, status, created_at) "
        "VALUES ('api', 'latency', 'warn', '2025-06-03 09:00:00')"
    )

    # when
    again = import_legacy("veritas-monitoring")
    recorded = result_record(target="api", check_name="latency", status="ok")

    # then
    assert again.splitlines()[2] == (
        "veritas-monitoring monitoring_results: read 6, imported 1, already present 2, refused 3"
    )
    assert MonitoringResult.objects.get(id=6).status == "warning"
    assert recorded.id > 6  # after the largest legacy id (other tests may have used some)


def test_archived_results_and_health_answer_with_the_old_columns(legacy, import_legacy):
    # given
    legacy(RESULTS)
    legacy(HEALTH)
    import_legacy("veritas-monitoring")

    # when
    import_legacy("veritas-monitoring", "--archive")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status FROM legacy_src.monitoring_results WHERE status = 'critical'"
        )
        critical = cursor.fetchall()
        cursor.execute(
            "SELECT component, status FROM legacy_src.system_health ORDER BY checked_at DESC"
        )
        health = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM legacy_archive.system_health")
        archived = cursor.fetchone()
    import_legacy("veritas-monitoring", "--unarchive")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM legacy_src.system_health")
        restored = cursor.fetchone()

    # then
    assert critical == [(2, "critical")]
    assert health == [("db", "down"), ("api", "up")]
    assert archived == (4,)
    assert restored == (4,)


def at(day, hour, minute=0, second=0, micro=0):
    return datetime(2025, 6, day, hour, minute, second, micro, tzinfo=UTC)
