from datetime import UTC, datetime

from monitoring.models import MonitoringLog
from tests.monitoring.factories import MonitoringLogFactory, log_input

INGEST = """
mutation Ingest($logs: [MonitoringLogInput!]!) {
  logIngest(logs: $logs) {
    ... on LogIngestResult { received inserted duplicates errors { index field message } }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""


def ingest(client, logs):
    return client.execute(INGEST, {"logs": logs})


def stored():
    return list(
        MonitoringLog.objects.order_by("client_id").values_list(
            "client_id", "timestamp", "level", "source", "message", "context"
        )
    )


def test_a_valid_batch_is_stored(writer_client):
    # given
    logs = [
        log_input(0, level="ERROR", context={"user": 7, "tags": ["a"]}),
        log_input(1, level="DEBUG", context=None),
        log_input(2, timestamp="2026-11-20T13:00:00"),
    ]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result == {
        "data": {"logIngest": {"received": 3, "inserted": 3, "duplicates": 0, "errors": []}}
    }
    assert stored() == [
        (
            "c-000000",
            datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            40,
            "svc-0",
            "request 0 served",
            {"user": 7, "tags": ["a"]},
        ),
        (
            "c-000001",
            datetime(2026, 11, 20, 12, 0, 0, 1000, tzinfo=UTC),
            10,
            "svc-1",
            "request 1 served",
            {},
        ),
        (
            "c-000002",
            datetime(2026, 11, 20, 13, 0, tzinfo=UTC),
            20,
            "svc-2",
            "request 2 served",
            {"n": 2, "path": "/api"},
        ),
    ]
    assert MonitoringLog.objects.values("received_at").distinct().count() == 1


def test_times_texts_and_context_are_stored_exactly(writer_client, settings):
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    # given: offsets, microseconds, a time without offset in a zone with summer time, texts
    # with quotes, backslashes, control characters and characters beyond the BMP
    settings.TIME_ZONE = "Europe/Berlin"
    logs = [
        log_input(0, timestamp="2026-07-01T10:11:12.123456+05:30"),
        log_input(1, timestamp="2026-07-01T10:11:12", context={"big": 2**70, "f": 0.1}),
        log_input(2, timestamp="1999-12-31T23:59:59.000001Z", source='s "q" \\ x'),
        log_input(
            3,
            message='line\nnext\t"quoted" \\ back \u00e9 \U0001f600 {"a": 1}',
            context={"nested": {"list": [None, True, -0.0, "\u00e9\U0001f600"]}, "e": ""},
        ),
    ]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result["data"]["logIngest"]["inserted"] == 4
    rows = stored()
    assert [row[1] for row in rows] == [
        datetime(2026, 7, 1, 10, 11, 12, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 7, 1, 10, 11, 12, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2026, 11, 20, 12, 0, 0, 3000, tzinfo=UTC),
    ]
    assert rows[1][5] == {"big": 2**70, "f": 0.1}
    assert rows[2][3] == 's "q" \\ x'
    assert rows[3][4:] == (
        'line\nnext\t"quoted" \\ back \u00e9 \U0001f600 {"a": 1}',
        {"nested": {"list": [None, True, -0.0, "\u00e9\U0001f600"]}, "e": ""},
    )


def test_an_invalid_log_names_its_index_and_field_and_nothing_is_written(writer_client):
    # given
    logs = [log_input(n) for n in range(6)]
    logs[2]["clientId"] = "  "
    logs[4]["source"] = "s" * 101
    logs[4]["context"] = ["not", "an", "object"]
    logs[5]["message"] = "nul \x00 inside"

    # when
    result = ingest(writer_client, logs)

    # then
    assert result == {
        "data": {
            "logIngest": {
                "received": 6,
                "inserted": 0,
                "duplicates": 0,
                "errors": [
                    {"index": 2, "field": "clientId", "message": "must not be empty"},
                    {
                        "index": 4,
                        "field": "source",
                        "message": "must be at most 100 characters (it has 101)",
                    },
                    {"index": 4, "field": "context", "message": "must be a JSON object"},
                    {"index": 5, "field": "message", "message": "must not contain NUL characters"},
                ],
            }
        }
    }
    assert MonitoringLog.objects.count() == 0


def test_context_that_jsonb_cannot_store_is_refused(writer_client):
    # given: a NUL in a string; an escaped backslash before "u0000" is fine
    logs = [log_input(0, context={"k": "a\x00b"}), log_input(1, context={"k": "\\u0000"})]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result["data"]["logIngest"]["errors"] == [
        {"index": 0, "field": "context", "message": "must not contain NUL characters"}
    ]
    assert MonitoringLog.objects.count() == 0


def test_an_unknown_level_is_refused_by_graphql_naming_the_position(writer_client):
    # given
    logs = [log_input(0), log_input(1, level="LOUD")]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [
        "Variable '$logs' has invalid value at [1].level: "
        "Value 'LOUD' does not exist in 'MonitoringLevel' enum."
    ]
    assert MonitoringLog.objects.count() == 0


def test_a_replayed_batch_adds_nothing_and_counts_duplicates(writer_client):
    # given
    logs = [log_input(n) for n in range(5)]
    ingest(writer_client, logs[:3])
    before = stored()

    # when
    result = ingest(writer_client, logs)

    # then
    assert result == {
        "data": {"logIngest": {"received": 5, "inserted": 2, "duplicates": 3, "errors": []}}
    }
    assert MonitoringLog.objects.count() == 5
    assert stored()[:3] == before


def test_a_client_id_repeated_in_a_batch_is_stored_once_first_wins(writer_client):
    # given
    logs = [log_input(0, message="first"), log_input(1), log_input(0, message="second")]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result["data"]["logIngest"] == {
        "received": 3,
        "inserted": 2,
        "duplicates": 1,
        "errors": [],
    }
    assert MonitoringLog.objects.get(client_id="c-000000").message == "first"


def test_5000_logs_take_one_insert(writer_client, django_assert_num_queries):
    # given
    MonitoringLogFactory(client_id="c-000007")
    logs = [log_input(n) for n in range(5000)]

    # when: API key with permissions and its stamp (2), the mutation's and the service's savepoints
    # with their releases (4), one INSERT … WHERE NOT EXISTS
    with django_assert_num_queries(7):
        result = ingest(writer_client, logs)

    # then
    assert result == {
        "data": {"logIngest": {"received": 5000, "inserted": 4999, "duplicates": 1, "errors": []}}
    }
    assert MonitoringLog.objects.count() == 5000


def test_more_than_5000_logs_are_refused(writer_client):
    # when
    result = ingest(writer_client, [log_input(n) for n in range(5001)])

    # then: refused by the schema's list caps, before the service
    assert result["data"] is None
    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        (
            "List too long: 'logs' has 5001 items, the maximum is 5000.",
            {"code": "LIST_TOO_LONG", "field": "logs"},
        )
    ]
    assert MonitoringLog.objects.count() == 0


def test_a_bad_time_is_refused_with_the_same_graphql_error(writer_client):
    # when: a time of the usual shape, out of range (read by isoparse: its words)
    result = writer_client.execute(
        INGEST, {"logs": [log_input(0, timestamp="2026-02-30T12:00:00")]}
    )

    # then
    assert result == {
        "data": None,
        "errors": [
            {
                "message": "Variable '$logs' has invalid value at [0].timestamp: Value cannot "
                'represent a DateTime: "2026-02-30T12:00:00". day is out of range for month',
                "locations": [{"line": 2, "column": 17}],
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }


def test_a_timestamp_outside_the_datetime_range_is_refused_and_nothing_is_stored(writer_client):
    # given: a valid log and one whose time is in year 10000 once moved to UTC
    logs = [log_input(0), log_input(1, timestamp="9999-12-31T23:59:59-14:00")]

    # when
    result = ingest(writer_client, logs)

    # then
    assert result["data"] is None
    assert [e["message"] for e in result["errors"]] == [
        "Variable '$logs' has invalid value at [1].timestamp: "
        'Value cannot represent a DateTime: "9999-12-31T23:59:59-14:00". '
        "Times must be from 1900-01-01T00:00:00Z up to, not including, 3000-01-01T00:00:00Z."
    ]
    assert stored() == []
