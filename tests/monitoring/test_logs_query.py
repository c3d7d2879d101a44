from datetime import timedelta

import pytest

from monitoring.models import Level
from tests.monitoring.factories import T0, MonitoringLogFactory

PAGE = """
query Page($filters: MonitoringLogFilter, $first: Int!, $after: String) {
  logs(filters: $filters, first: $first, after: $after) {
    edges { cursor node { clientId } }
    nodes { clientId level source message context timestamp }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def page(client, first=100, after=None, filters=None):
    variables = {"filters": filters, "first": first, "after": after}
    return client.execute(PAGE, variables)["data"]["logs"]


def client_ids(client, filters):
    return [node["clientId"] for node in page(client, filters=filters)["nodes"]]


@pytest.fixture
def logs(db):
    """Five logs one second apart, in this order."""
    rows = [
        ("a", Level.DEBUG, "api", "cache warm", {"user": 1}),
        ("b", Level.ERROR, "worker", "job failed: Timeout", {"user": 2, "job": "x"}),
        ("c", Level.WARNING, "api", "slow request", {"user": 2}),
        ("d", Level.CRITICAL, "api", "database down", {}),
        ("e", Level.INFO, "worker", "job done", {"job": "x"}),
    ]
    for n, (client_id, level, source, message, context) in enumerate(rows):
        MonitoringLogFactory(
            client_id=client_id,
            level=level,
            source=source,
            message=message,
            context=context,
            timestamp=T0 + timedelta(seconds=n),
        )


def test_newest_first_with_all_fields(logs, reader_client):
    # when
    result = page(reader_client, first=2)

    # then
    assert result["nodes"] == [
        {
            "clientId": "e",
            "level": "INFO",
            "source": "worker",
            "message": "job done",
            "context": {"job": "x"},
            "timestamp": "2026-11-20T12:00:04+00:00",
        },
        {
            "clientId": "d",
            "level": "CRITICAL",
            "source": "api",
            "message": "database down",
            "context": {},
            "timestamp": "2026-11-20T12:00:03+00:00",
        },
    ]
    assert result["pageInfo"] == {"hasNextPage": True, "endCursor": result["edges"][1]["cursor"]}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"level": "ERROR"}, ["b"]),
        ({"minLevel": "WARNING"}, ["d", "c", "b"]),
        ({"source": "worker"}, ["e", "b"]),
        (
            {"timestampFrom": "2026-11-20T12:00:01Z", "timestampBefore": "2026-11-20T12:00:03Z"},
            ["c", "b"],
        ),
        ({"search": "JOB"}, ["e", "b"]),
        ({"contextContains": {"user": 2}}, ["c", "b"]),
        ({"contextContains": {"job": "x", "user": 2}}, ["b"]),
        ({"minLevel": "WARNING", "source": "api"}, ["d", "c"]),
    ],
)
def test_filters(filters, expected, logs, reader_client):
    assert client_ids(reader_client, filters) == expected


def test_every_row_exactly_once_across_pages_while_logs_arrive(reader_client):
    # given: 25 logs, several sharing a timestamp (ties go by id)
    for n in range(25):
        MonitoringLogFactory(client_id=f"old-{n:02d}", timestamp=T0 + timedelta(seconds=n // 3))
    seen, after, pages = [], None, 0

    # when: a page of 4 at a time, with newer and older logs arriving between pages
    while True:
        result = page(reader_client, first=4, after=after)
        seen += [node["clientId"] for node in result["nodes"]]
        pages += 1
        MonitoringLogFactory(client_id=f"new-{pages}", timestamp=T0 + timedelta(hours=1))
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]

    # then: every log there at the start, once, in order; newer arrivals are not mixed in
    expected = [f"old-{n:02d}" for n in reversed(range(25))]
    assert seen == expected
    assert pages == 7


def test_a_late_log_older_than_the_cursor_shows_up_once_on_a_later_page(reader_client):
    # given
    for n in range(6):
        MonitoringLogFactory(client_id=f"l{n}", timestamp=T0 + timedelta(seconds=10 * n))
    first = page(reader_client, first=3)

    # when: a log logged earlier arrives late
    MonitoringLogFactory(client_id="late", timestamp=T0 + timedelta(seconds=5))
    rest = page(reader_client, first=10, after=first["pageInfo"]["endCursor"])

    # then
    assert [n["clientId"] for n in first["nodes"] + rest["nodes"]] == [
        "l5",
        "l4",
        "l3",
        "l2",
        "l1",
        "late",
        "l0",
    ]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_an_empty_page(reader_client, db):
    # when
    result = page(reader_client)

    # then
    assert result == {
        "edges": [],
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


@pytest.mark.parametrize("cursor", ["nonsense", "bm9wZQ", "MjAyNi0xMS0yMFQxMjowMDowMHwx"])
def test_a_bad_cursor_is_refused(cursor, reader_client, db):
    # when
    result = reader_client.execute(PAGE, {"first": 5, "after": cursor})

    # then
    assert result["data"] is None
    assert [
        (e["message"][:32], e["extensions"]["code"], e["extensions"]["field"])
        for e in result["errors"]
    ] == [("after: Not a cursor of this list", "VALIDATION_ERROR", "after")]


def test_page_size_is_capped(reader_client, db):
    # when
    result = reader_client.execute(PAGE, {"first": 101})

    # then
    assert [e["message"] for e in result["errors"]] == [
        "Page size too large: 'first' is 101, the maximum is 100."
    ]


@pytest.mark.parametrize("rows", [2, 20])
def test_a_page_takes_constant_queries(rows, reader_client, django_assert_num_queries):
    # given
    MonitoringLogFactory.create_batch(rows)

    # when: API key with permissions and its stamp (2), the page (1)
    with django_assert_num_queries(3):
        result = page(reader_client, first=50)

    # then
    assert len(result["nodes"]) == rows


def test_page_size_must_not_be_negative(reader_client, db):
    # when
    empty = reader_client.execute(PAGE, {"first": 0})
    negative = reader_client.execute(PAGE, {"first": -1})

    # then
    assert empty["data"]["logs"]["nodes"] == []
    assert [e["message"] for e in negative["errors"]] == [
        "Page size must be 0 or more: 'first' is -1."
    ]


def test_context_contains_must_be_an_object(reader_client, db):
    # when
    result = reader_client.execute(PAGE, {"first": 5, "filters": {"contextContains": [1]}})

    # then
    assert [e["message"] for e in result["errors"]] == [
        "logs: 'contextContains' must be a JSON object."
    ]
