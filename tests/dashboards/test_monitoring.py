"""The monitoring dashboard: error rate per hour for each of the sources with most errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Level
from tests.dashboards.conftest import chart
from tests.monitoring.factories import MonitoringLogFactory


@pytest.fixture
def logs(db):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    # (hours ago, source, errors, infos); "cron" has the fewest errors and no chart of its own
    for ago, source, errors, infos in [
        (0, "api", 1, 3),
        (2, "api", 2, 0),
        (0, "worker", 3, 1),
        (0, "db", 2, 2),
        (0, "cron", 1, 0),
        (30, "api", 5, 0),  # outside 24 h, inside 7 d
    ]:
        at = hour - timedelta(hours=ago)
        for n in range(errors + infos):
            MonitoringLogFactory(
                timestamp=at + timedelta(seconds=n),
                source=source,
                level=Level.ERROR if n < errors else Level.INFO,
            )
    return hour


def test_error_rate_per_hour_of_the_top_sources(boss_client, logs):
    # when
    response = boss_client.get("/admin/dashboards/monitoring/")

    # then: api 3 errors, worker 3, db 2 in 24 h (ties by name); each chart has 24 hours
    keys = [c.key for c in response.context["charts"]]
    assert keys == [
        "error-rate",
        "errors-by-source",
        "error-rate-api",
        "error-rate-worker",
        "error-rate-db",
    ]
    api, worker, db = (chart(response, k) for k in keys[2:])
    now, two_ago = f"{logs:%Y-%m-%d %H:00}", f"{logs - timedelta(hours=2):%Y-%m-%d %H:00}"
    assert len(api) == len(worker) == len(db) == 24
    assert {k: v for k, v in api.items() if v} == {two_ago: 100.0, now: 25.0}
    assert {k: v for k, v in worker.items() if v} == {now: 75.0}
    assert {k: v for k, v in db.items() if v} == {now: 50.0}


def test_error_rate_of_the_top_sources_over_seven_days(boss_client, logs):
    # when
    response = boss_client.get("/admin/dashboards/monitoring/", {"range": "7d"})

    # then: over 7 days api has 8 errors
    api = chart(response, "error-rate-api")
    thirty_ago = f"{logs - timedelta(hours=30):%Y-%m-%d %H:00}"
    assert len(api) == 168
    assert api[thirty_ago] == 100.0
    assert sum(1 for v in api.values() if v) == 3
