import random
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from monitoring.models import Level
from tests.monitoring.factories import T0, MonitoringLogFactory, SystemHealthFactory

STATS = """
query Stats($range: MonitoringTimeRange!, $bucket: StatsBucket!) {
  monitoringStats(range: $range) {
    total
    countByLevel { level count }
    countBySource(limit: 100) { source count }
    topErrorSources(limit: 2) { source count }
    errorRate(bucket: $bucket) { start total errors rate }
  }
}
"""
RANGE = {"from": "2026-11-20T12:00:00Z", "to": "2026-11-20T15:00:00Z"}


def sql(query, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def seed(rng):
    levels = list(Level)
    for _n in range(300):
        MonitoringLogFactory(
            level=rng.choice(levels),
            source=rng.choice(["api", "worker", "cron", "web"]),
            timestamp=T0 + timedelta(minutes=rng.randrange(-60, 240)),
        )


def test_stats_equal_a_direct_sql_count_on_the_same_data(reader_client):
    # given: logs before, inside and after the range
    seed(random.Random(5))
    start, end = T0, T0 + timedelta(hours=3)
    where = "timestamp >= %s AND timestamp < %s"

    # when
    stats = reader_client.execute(STATS, {"range": RANGE, "bucket": "HOUR"})["data"][
        "monitoringStats"
    ]

    # then
    by_level = dict(
        sql(
            f"SELECT level, count(*) FROM monitoring_monitoringlog WHERE {where} GROUP BY level",
            [start, end],
        )
    )
    assert (
        stats["total"]
        == sql(f"SELECT count(*) FROM monitoring_monitoringlog WHERE {where}", [start, end])[0][0]
    )
    assert stats["countByLevel"] == [
        {"level": level.label.upper(), "count": by_level.get(level.value, 0)} for level in Level
    ]
    by_source = sql(
        f"SELECT source, count(*) FROM monitoring_monitoringlog WHERE {where} "
        "GROUP BY source ORDER BY count(*) DESC, source",
        [start, end],
    )
    assert stats["countBySource"] == [{"source": s, "count": c} for s, c in by_source]
    errors = sql(
        f"SELECT source, count(*) FROM monitoring_monitoringlog WHERE {where} AND level >= 40 "
        "GROUP BY source ORDER BY count(*) DESC, source LIMIT 2",
        [start, end],
    )
    assert stats["topErrorSources"] == [{"source": s, "count": c} for s, c in errors]
    hours = []
    for h in range(3):
        a, b = T0 + timedelta(hours=h), T0 + timedelta(hours=h + 1)
        total, errs = sql(
            "SELECT count(*), count(*) FILTER (WHERE level >= 40) FROM monitoring_monitoringlog "
            "WHERE timestamp >= %s AND timestamp < %s",
            [a, b],
        )[0]
        hours.append(
            {
                "start": a.isoformat(),
                "total": total,
                "errors": errs,
                "rate": errs / total if total else None,
            }
        )
    assert stats["errorRate"] == hours


def test_empty_buckets_are_listed_with_zeros(reader_client, db):
    # given
    MonitoringLogFactory(level=Level.ERROR, timestamp=T0 + timedelta(minutes=1, seconds=5))
    MonitoringLogFactory(level=Level.INFO, timestamp=T0 + timedelta(minutes=1, seconds=9))

    # when
    result = reader_client.execute(
        "query ($range: MonitoringTimeRange!) { monitoringStats(range: $range) "
        "{ errorRate(bucket: MINUTE) { start total errors rate } } }",
        {"range": {"from": "2026-11-20T12:00:30Z", "to": "2026-11-20T12:03:00Z"}},
    )

    # then: the first bucket starts at the minute the range starts in
    assert result == {
        "data": {
            "monitoringStats": {
                "errorRate": [
                    {"start": "2026-11-20T12:00:00+00:00", "total": 0, "errors": 0, "rate": None},
                    {"start": "2026-11-20T12:01:00+00:00", "total": 2, "errors": 1, "rate": 0.5},
                    {"start": "2026-11-20T12:02:00+00:00", "total": 0, "errors": 0, "rate": None},
                ]
            }
        }
    }


def test_too_many_buckets_are_refused(reader_client, db):
    # when
    result = reader_client.execute(
        "query ($range: MonitoringTimeRange!) { monitoringStats(range: $range) "
        "{ errorRate(bucket: MINUTE) { total } } }",
        {"range": {"from": "2026-11-01T00:00:00Z", "to": "2026-11-03T00:00:00Z"}},
    )

    # then
    assert [e["message"] for e in result["errors"]] == [
        "errorRate: at most 2000 buckets; use a wider bucket or a shorter range."
    ]


def test_a_range_ending_before_it_starts_is_refused(reader_client, db):
    # when
    result = reader_client.execute(
        "query ($range: MonitoringTimeRange!) { monitoringStats(range: $range) { total } }",
        {"range": {"from": "2026-11-03T00:00:00Z", "to": "2026-11-03T00:00:00Z"}},
    )

    # then
    assert [e["message"] for e in result["errors"]] == [
        "monitoringStats: 'to' must be after 'from'."
    ]


def test_stats_include_the_latest_health(reader_client, db):
    # given
    SystemHealthFactory(component="db", status="down", checked_at=T0)
    SystemHealthFactory(component="db", status="up", checked_at=T0 + timedelta(minutes=1))

    # when
    result = reader_client.execute(
        "query ($range: MonitoringTimeRange!) { monitoringStats(range: $range) "
        "{ health { component status since } } }",
        {"range": RANGE},
    )

    # then
    assert result == {
        "data": {
            "monitoringStats": {
                "health": [
                    {"component": "db", "status": "UP", "since": "2026-11-20T12:01:00+00:00"}
                ]
            }
        }
    }


def test_day_buckets_follow_the_server_time_zone_across_a_dst_change(reader_client, db):
    # given: Berlin leaves summer time on 2026-10-25 (that day has 25 hours)
    MonitoringLogFactory(level=Level.ERROR, timestamp=datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    MonitoringLogFactory(level=Level.INFO, timestamp=datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    MonitoringLogFactory(level=Level.INFO, timestamp=datetime(2026, 10, 25, 23, 30, tzinfo=UTC))

    # when
    with timezone.override("Europe/Berlin"):
        result = reader_client.execute(
            "query ($range: MonitoringTimeRange!) { monitoringStats(range: $range) "
            "{ errorRate(bucket: DAY) { start total errors } } }",
            {"range": {"from": "2026-10-25T00:00:00+02:00", "to": "2026-10-27T00:00:00+01:00"}},
        )

    # then: local midnights; 22:30 UTC on the 25th is still the 25th in Berlin (23:30 CET)
    assert result["data"]["monitoringStats"]["errorRate"] == [
        {"start": "2026-10-24T22:00:00+00:00", "total": 2, "errors": 1},
        {"start": "2026-10-25T23:00:00+00:00", "total": 1, "errors": 0},
    ]


ALL_TIME = """
{ monitoringStats {
    from to total
    countByLevel { level count }
    countBySource(limit: 3) { source count }
    topErrorSources(limit: 3) { source count }
    errorRate(bucket: DAY) { start total errors }
} }
"""


def test_stats_without_a_range_cover_every_stored_log(reader_client, settings):
    # given: logs years apart, one of them in the future of the sender's clock
    settings.TIME_ZONE = "UTC"
    MonitoringLogFactory(timestamp=datetime(2024, 1, 1, 8, tzinfo=UTC), source="old")
    MonitoringLogFactory(timestamp=T0, source="api", level=Level.ERROR)
    MonitoringLogFactory(timestamp=T0 + timedelta(hours=1), source="api", level=Level.CRITICAL)
    MonitoringLogFactory(timestamp=datetime(2030, 1, 1, tzinfo=UTC), source="clock")

    # when
    result = reader_client.execute(ALL_TIME)

    # then: the span of the logs; a daily error rate over six years is refused as too many
    assert result["errors"][0]["message"] == (
        "errorRate: at most 2000 buckets; use a wider bucket or a shorter range."
    )
    result = reader_client.execute(
        ALL_TIME.replace("errorRate(bucket: DAY) { start total errors }", "")
    )
    assert result == {
        "data": {
            "monitoringStats": {
                "from": "2024-01-01T08:00:00+00:00",
                "to": "2030-01-01T00:00:00.000001+00:00",
                "total": 4,
                "countByLevel": [
                    {"level": "DEBUG", "count": 0},
                    {"level": "INFO", "count": 2},
                    {"level": "WARNING", "count": 0},
                    {"level": "ERROR", "count": 1},
                    {"level": "CRITICAL", "count": 1},
                ],
                "countBySource": [
                    {"source": "api", "count": 2},
                    {"source": "clock", "count": 1},
                    {"source": "old", "count": 1},
                ],
                "topErrorSources": [{"source": "api", "count": 2}],
            }
        }
    }


def test_stats_without_a_range_and_without_logs_are_empty(reader_client):
    # when
    result = reader_client.execute(
        "{ monitoringStats { total countBySource { source } topErrorSources { source } } }"
    )

    # then
    assert result == {
        "data": {"monitoringStats": {"total": 0, "countBySource": [], "topErrorSources": []}}
    }


def test_stats_over_all_time_read_in_a_fixed_number_of_queries(
    reader_client, django_assert_num_queries
):
    # given
    for day in range(5):
        MonitoringLogFactory(timestamp=T0 + timedelta(days=day), level=Level.ERROR)
    reader_client.execute("{ viewer { id } }")  # the key's last-used stamp is written once

    # when: key (1), span (1), levels (1), sources (1), error sources (1), error rate (1)
    with django_assert_num_queries(6):
        result = reader_client.execute(
            "{ monitoringStats { total countBySource { count } topErrorSources { count } "
            "errorRate(bucket: DAY) { errors } } }"
        )

    # then
    assert result["data"]["monitoringStats"]["errorRate"] == [{"errors": 1}] * 5
