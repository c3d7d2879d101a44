"""The learn dashboard: items per day split by kind."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from learn.selectors import learn_items_per_day_by_kind
from tests.dashboards.conftest import chart
from tests.learn.factories import LearnItemFactory


def test_items_per_day_are_stacked_by_kind(boss_client):
    # given: today 2 good and 1 bad, two days ago 1 bad, 31 days ago (outside) 1 good
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.combine(today, time(12)))
    for days, kind in [(0, "good"), (0, "good"), (0, "bad"), (2, "bad"), (31, "good")]:
        LearnItemFactory(kind=kind, created_at=noon - timedelta(days=days))

    # when
    response = boss_client.get("/admin/dashboards/learn/")

    # then: 30 days listed, segments only where a kind has items, kinds spelled as in the API
    assert response.status_code == 200
    assert chart(response, "items-per-day-by-kind") == {
        f"{today - timedelta(days=2)} BAD": 1,
        f"{today} GOOD": 2,
        f"{today} BAD": 1,
    }
    assert len(chart(response, "items-per-day")) == 30
    assert chart(response, "items-per-day")[f"{today}"] == 3


def test_items_per_day_by_kind_lists_every_day_and_kind(db):
    # given
    today = timezone.localdate()
    LearnItemFactory(kind="bad", created_at=timezone.make_aware(datetime.combine(today, time(1))))

    # when
    days = learn_items_per_day_by_kind(start=today - timedelta(days=2), end=today)

    # then
    assert [(d.day, d.counts) for d in days] == [
        (today - timedelta(days=2), {"good": 0, "bad": 0}),
        (today - timedelta(days=1), {"good": 0, "bad": 0}),
        (today, {"good": 0, "bad": 1}),
    ]
