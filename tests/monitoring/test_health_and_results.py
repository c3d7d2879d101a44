from datetime import timedelta

import pytest

from monitoring.models import MonitoringResult, SystemHealth
from tests.monitoring.factories import (
    T0,
    MonitoringLogFactory,
    MonitoringResultFactory,
    SystemHealthFactory,
)

REPORT = """
mutation Report($input: HealthReportInput!) {
  healthReport(input: $input) {
    ... on SystemHealthCheck { component status latencyMs details checkedAt }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""
RECORD = """
mutation Record($input: MonitoringResultRecordInput!) {
  resultRecord(input: $input) {
    ... on MonitoringResult { target checkName status score details createdAt logs { clientId } }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""
LATEST = "{ systemHealth { component status since latencyMs checkedAt } }"


def test_health_report_is_stored(writer_client):
    # when
    result = writer_client.execute(
        REPORT,
        {
            "input": {
                "component": "db",
                "status": "DEGRADED",
                "latencyMs": 812.5,
                "details": {"replica": "lagging"},
                "checkedAt": "2026-11-20T12:00:00Z",
            }
        },
    )

    # then
    assert result == {
        "data": {
            "healthReport": {
                "component": "db",
                "status": "DEGRADED",
                "latencyMs": 812.5,
                "details": {"replica": "lagging"},
                "checkedAt": "2026-11-20T12:00:00+00:00",
            }
        }
    }
    assert SystemHealth.objects.count() == 1


def test_a_bad_health_report_names_the_field_and_stores_nothing(writer_client):
    # when
    result = writer_client.execute(
        REPORT, {"input": {"component": "", "status": "UP", "latencyMs": -1}}
    )

    # then
    assert result == {
        "data": {
            "healthReport": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "component",
                        "message": "This field cannot be blank.",
                    },
                    {
                        "kind": "VALIDATION",
                        "field": "latencyMs",
                        "message": "Ensure this value is greater than or equal to 0.",
                    },
                ]
            }
        }
    }
    assert SystemHealth.objects.count() == 0


def test_latest_status_per_component_with_since_when(reader_client, db):
    # given: db went down, came back and stayed up; cache was always up; queue is new
    for minute, status in enumerate(["up", "down", "down", "up", "up", "up"]):
        SystemHealthFactory(
            component="db", status=status, checked_at=T0 + timedelta(minutes=minute)
        )
    for minute in range(3):
        SystemHealthFactory(
            component="cache", status="up", checked_at=T0 + timedelta(minutes=minute)
        )
    SystemHealthFactory(component="queue", status="degraded", latency_ms=None, checked_at=T0)

    # when
    result = reader_client.execute(LATEST)

    # then
    assert result == {
        "data": {
            "systemHealth": [
                {
                    "component": "cache",
                    "status": "UP",
                    "since": "2026-11-20T12:00:00+00:00",
                    "latencyMs": 12.5,
                    "checkedAt": "2026-11-20T12:02:00+00:00",
                },
                {
                    "component": "db",
                    "status": "UP",
                    "since": "2026-11-20T12:03:00+00:00",
                    "latencyMs": 12.5,
                    "checkedAt": "2026-11-20T12:05:00+00:00",
                },
                {
                    "component": "queue",
                    "status": "DEGRADED",
                    "since": "2026-11-20T12:00:00+00:00",
                    "latencyMs": None,
                    "checkedAt": "2026-11-20T12:00:00+00:00",
                },
            ]
        }
    }


@pytest.mark.parametrize("components", [1, 5])
def test_latest_health_is_one_query(components, reader_client, django_assert_num_queries):
    # given
    for c in range(components):
        SystemHealthFactory.create_batch(3, component=f"c{c}")

    # when: API key with permissions and its stamp (2), the health query (1)
    with django_assert_num_queries(3):
        result = reader_client.execute(LATEST)

    # then
    assert len(result["data"]["systemHealth"]) == components


def test_health_history_of_one_component_in_a_range(reader_client, db):
    # given
    for minute in range(5):
        SystemHealthFactory(component="db", checked_at=T0 + timedelta(minutes=minute))
    SystemHealthFactory(component="cache", checked_at=T0 + timedelta(minutes=2))

    # when
    result = reader_client.execute(
        'query ($range: MonitoringTimeRange!) { healthHistory(component: "db", range: $range) '
        "{ totalCount nodes { checkedAt } } }",
        {"range": {"from": "2026-11-20T12:01:00Z", "to": "2026-11-20T12:04:00Z"}},
    )

    # then
    assert result == {
        "data": {
            "healthHistory": {
                "totalCount": 3,
                "nodes": [
                    {"checkedAt": "2026-11-20T12:03:00+00:00"},
                    {"checkedAt": "2026-11-20T12:02:00+00:00"},
                    {"checkedAt": "2026-11-20T12:01:00+00:00"},
                ],
            }
        }
    }


def test_result_record_links_logs(writer_client):
    # given
    first, second = MonitoringLogFactory(client_id="x1"), MonitoringLogFactory(client_id="x2")

    # when
    result = writer_client.execute(
        RECORD,
        {
            "input": {
                "target": "api",
                "checkName": "error-spike",
                "status": "CRITICAL",
                "score": 0.93,
                "details": {"window": "5m"},
                "createdAt": "2026-11-20T12:00:00Z",
                "logIds": [str(second.pk), str(first.pk)],
            }
        },
    )

    # then: the writer may not read logs, but the result it wrote comes back whole
    assert result == {
        "data": {
            "resultRecord": {
                "target": "api",
                "checkName": "error-spike",
                "status": "CRITICAL",
                "score": 0.93,
                "details": {"window": "5m"},
                "createdAt": "2026-11-20T12:00:00+00:00",
                "logs": [{"clientId": "x2"}, {"clientId": "x1"}],
            }
        }
    }


def test_result_with_an_unknown_log_names_its_position_and_stores_nothing(writer_client):
    # given
    log = MonitoringLogFactory()

    # when
    result = writer_client.execute(
        RECORD,
        {
            "input": {
                "target": "api",
                "checkName": "c",
                "status": "OK",
                "logIds": [str(log.pk), "999999", "abc"],
            }
        },
    )

    # then
    assert result == {
        "data": {
            "resultRecord": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "logIds",
                        "message": "logIds[1]: no log with id '999999'",
                    },
                    {
                        "kind": "VALIDATION",
                        "field": "logIds",
                        "message": "logIds[2]: no log with id 'abc'",
                    },
                ]
            }
        }
    }
    assert MonitoringResult.objects.count() == 0


def test_results_filter_order_and_paginate(reader_client, db):
    # given
    MonitoringResultFactory(check_name="a", status="ok", score=0.1)
    MonitoringResultFactory(check_name="b", status="critical", score=0.9)
    MonitoringResultFactory(check_name="c", status="critical", score=0.5)

    # when
    result = reader_client.execute(
        "query { monitoringResults(filters: {status: CRITICAL}, ordering: [{score: ASC}], "
        "first: 1) { totalCount nodes { checkName score } } }"
    )

    # then
    assert result == {
        "data": {
            "monitoringResults": {"totalCount": 2, "nodes": [{"checkName": "c", "score": 0.5}]}
        }
    }


@pytest.mark.parametrize("rows", [2, 10])
def test_results_with_nested_logs_take_constant_queries(
    rows, reader_client, django_assert_num_queries
):
    # given
    for _n in range(rows):
        result = MonitoringResultFactory()
        result.logs.add(MonitoringLogFactory(), MonitoringLogFactory())

    # when: API key with permissions and its stamp (2), count (1), results (1), their logs (1)
    with django_assert_num_queries(5):
        data = reader_client.execute(
            "{ monitoringResults { totalCount nodes { checkName logs { clientId level } } } }"
        )["data"]["monitoringResults"]

    # then
    assert data["totalCount"] == rows
    assert all(len(r["logs"]) == 2 for r in data["nodes"])


UNSTORABLE_TEXTS = pytest.mark.parametrize("text", ["a\x00pi", "a\ud800pi"], ids=["nul", "s"])


@UNSTORABLE_TEXTS
def test_text_the_database_cannot_hold_matches_no_result_log_or_health(text, reader_client):
    # given
    MonitoringResultFactory()
    MonitoringLogFactory()
    SystemHealthFactory()

    # when
    results = [
        reader_client.execute(
            "query ($f: MonitoringResultFilter) { monitoringResults(filters: $f) "
            "{ totalCount nodes { target } } }",
            {"f": {name: text}},
        )
        for name in ("target", "checkName")
    ]
    logs = [
        reader_client.execute(
            "query ($f: MonitoringLogFilter) { logs(filters: $f, first: 10) "
            "{ edges { node { source } } } }",
            {"f": filters},
        )
        for filters in ({"source": text}, {"search": text}, {"contextContains": {"k": text}})
    ]
    history = reader_client.execute(
        "query ($c: String!, $range: MonitoringTimeRange!) { healthHistory(component: $c, "
        "range: $range) { totalCount nodes { checkedAt } } }",
        {"c": text, "range": {"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"}},
    )

    # then
    no_result = {"data": {"monitoringResults": {"totalCount": 0, "nodes": []}}}
    assert results == [no_result, no_result]
    assert logs == [{"data": {"logs": {"edges": []}}}] * 3
    assert history == {"data": {"healthHistory": {"totalCount": 0, "nodes": []}}}
