"""Deleting analysis results and health history by time range."""

from datetime import timedelta

import pytest

from monitoring import services
from monitoring.models import MonitoringLog, MonitoringResult, SystemHealth
from tests.monitoring.factories import (
    T0,
    MonitoringLogFactory,
    MonitoringResultFactory,
    SystemHealthFactory,
)

RESULTS_DELETE = """
mutation ($range: MonitoringTimeRange!) {
  monitoringResultsDelete(range: $range) {
    ... on MonitoringDeleteResult { deleted hasMore }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""
HEALTH_DELETE = """
mutation ($range: MonitoringTimeRange!, $component: String) {
  healthHistoryDelete(range: $range, component: $component) {
    ... on MonitoringDeleteResult { deleted hasMore }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def deleter_client(api_client, make_user):
    return api_client(
        make_user(
            "ops",
            perms=["monitoring.delete_monitoringresult", "monitoring.delete_systemhealth"],
        )
    )


def test_results_of_a_range_are_deleted_with_their_links(deleter_client):
    # given: results at minutes 0..5, the one at minute 2 linked to a log
    results = [MonitoringResultFactory(created_at=T0 + timedelta(minutes=m)) for m in range(6)]
    log = MonitoringLogFactory()
    results[2].logs.add(log)

    # when: [1, 4)
    result = deleter_client.execute(RESULTS_DELETE, {"range": {"from": at(1), "to": at(4)}})

    # then
    assert result == {"data": {"monitoringResultsDelete": {"deleted": 3, "hasMore": False}}}
    assert list(MonitoringResult.objects.order_by("created_at").values_list("pk", flat=True)) == [
        results[0].pk,
        results[4].pk,
        results[5].pk,
    ]
    assert MonitoringResult.logs.through.objects.count() == 0
    assert MonitoringLog.objects.count() == 1


def test_health_history_is_deleted_by_range_and_component(deleter_client):
    # given
    for minute in range(4):
        SystemHealthFactory(component="db", checked_at=T0 + timedelta(minutes=minute))
        SystemHealthFactory(component="api", checked_at=T0 + timedelta(minutes=minute))

    # when
    one = deleter_client.execute(
        HEALTH_DELETE, {"range": {"from": at(0), "to": at(2)}, "component": "db"}
    )
    every = deleter_client.execute(HEALTH_DELETE, {"range": {"from": at(3), "to": at(10)}})

    # then
    assert one == {"data": {"healthHistoryDelete": {"deleted": 2, "hasMore": False}}}
    assert every == {"data": {"healthHistoryDelete": {"deleted": 2, "hasMore": False}}}
    assert sorted(SystemHealth.objects.values_list("component", "checked_at")) == [
        ("api", T0),
        ("api", T0 + timedelta(minutes=1)),
        ("api", T0 + timedelta(minutes=2)),
        ("db", T0 + timedelta(minutes=2)),
    ]


def test_a_call_deletes_a_bounded_number_and_says_more_remain(db):
    # given
    for minute in range(7):
        SystemHealthFactory(checked_at=T0 + timedelta(minutes=minute))
    start, end = T0, T0 + timedelta(hours=1)

    # when
    first = services.health_history_delete(start=start, end=end, max_rows=5)
    second = services.health_history_delete(start=start, end=end, max_rows=5)

    # then
    assert first == services.DeleteOutcome(deleted=5, has_more=True)
    assert second == services.DeleteOutcome(deleted=2, has_more=False)
    assert SystemHealth.objects.count() == 0


def test_an_empty_range_is_refused_and_deletes_nothing(deleter_client):
    # given
    MonitoringResultFactory(created_at=T0)

    # when
    result = deleter_client.execute(RESULTS_DELETE, {"range": {"from": at(5), "to": at(0)}})

    # then
    assert result == {
        "data": {
            "monitoringResultsDelete": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "range.to",
                        "message": "monitoringResultsDelete: 'to' must be after 'from'.",
                    }
                ]
            }
        }
    }
    assert MonitoringResult.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "name", "perm"),
    [
        (RESULTS_DELETE, "monitoringResultsDelete", "monitoring.delete_monitoringresult"),
        (HEALTH_DELETE, "healthHistoryDelete", "monitoring.delete_systemhealth"),
    ],
)
def test_deleting_needs_the_delete_permission(query, name, perm, api_client, make_user):
    # given: may read and add everything, delete nothing
    client = api_client(
        make_user(
            "dashboard",
            perms=[
                f"monitoring.{action}_{model}"
                for model in ("monitoringlog", "monitoringresult", "systemhealth")
                for action in ("view", "add", "change")
            ],
        )
    )
    MonitoringResultFactory(created_at=T0)
    SystemHealthFactory(checked_at=T0)

    # when
    result = client.execute(query, {"range": {"from": at(-10), "to": at(10)}})

    # then
    assert result == {
        "data": {
            name: {
                "messages": [
                    {
                        "kind": "PERMISSION",
                        "field": None,
                        "message": f"You don't have permission to do this ({perm}).",
                    }
                ]
            }
        }
    }
    assert (MonitoringResult.objects.count(), SystemHealth.objects.count()) == (1, 1)
