from datetime import UTC, datetime

from monitoring.models import MonitoringLog

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
    assert first.splitlines() == [
        "veritas-monitoring monitoring_logs: read 4, imported 2, already present 0, refused 2",
        "  columns found but not mapped: host",
        "  refused 3: level: must be one of debug, info, warning, error, critical",
        "  refused 4: context: invalid JSON (Expecting value: line 1 column 7 (char 6))",
    ]
    assert second.splitlines()[0] == (
        "veritas-monitoring monitoring_logs: read 4, imported 0, already present 2, refused 2"
    )
