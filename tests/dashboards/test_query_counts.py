"""Each dashboard page runs a fixed number of queries, whatever the amount of data."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Level
from tests.chat.factories import ThreadFactory
from tests.dashboards.test_chat import audit
from tests.dashboards.test_students import predict
from tests.learn.factories import LearnItemFactory
from tests.monitoring.factories import MonitoringLogFactory, SystemHealthFactory
from tests.students.factories import StudentFactory

# The session and the user (2), then the page's own statements.
QUERIES = {"chat": 2 + 5, "monitoring": 2 + 6, "students": 2 + 4, "learn": 2 + 3}
# Shown only once the data has grown: the last model, component, band change and tag added.
GROWN = {"chat": "model-6-5", "monitoring": "c-6-5", "students": "<td>+7</td>", "learn": "6-5"}


def grow(user, n):
    """Add n of everything every dashboard shows (threads, models, keys, sources, components,
    students, learn items and tags), on several days."""
    # in the past at any time of day: the dashboards' windows end now
    recent = timezone.now() - timedelta(minutes=30)
    for i in range(n):
        day = recent - timedelta(days=i)
        tag = f"{n}-{i}"
        audit(user, day, f"model-{tag}", 10, "0.5", thread=ThreadFactory())
        MonitoringLogFactory(timestamp=day - timedelta(hours=i), level=Level.ERROR, source=tag)
        SystemHealthFactory(component=f"c-{tag}", status="up", checked_at=day - timedelta(hours=13))
        SystemHealthFactory(
            component=f"c-{tag}", status="down", checked_at=day - timedelta(hours=12)
        )
        predict(StudentFactory(), ["low", "high"])
        LearnItemFactory(created_at=day, tags=[tag], kind="bad" if i % 2 else "good")


@pytest.mark.parametrize("slug", list(QUERIES))
def test_each_dashboard_runs_the_same_queries_for_little_and_more_data(
    slug, client, make_user, django_assert_num_queries
):
    # given
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    grow(boss, 1)
    with django_assert_num_queries(QUERIES[slug]):
        small = client.get(f"/admin/dashboards/{slug}/")

    # when
    grow(boss, 6)
    with django_assert_num_queries(QUERIES[slug]):
        large = client.get(f"/admin/dashboards/{slug}/")

    # then
    assert small.status_code == large.status_code == 200
    assert GROWN[slug] not in small.content.decode()
    assert GROWN[slug] in large.content.decode()
