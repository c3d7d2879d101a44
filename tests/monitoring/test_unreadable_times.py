"""A stored time Python cannot hold (written by SQL or before DateTime input had a range) never
breaks a read: it reads as the nearest datetime."""

import pytest
from django.db import connection

from tests.monitoring.factories import MonitoringLogFactory

PAGE = """
query { logs(first: 10) { nodes { clientId timestamp } } }
"""


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("10000-01-01 09:59:59+00", "9999-12-31T23:59:59.999999+00:00"),
        ("infinity", "9999-12-31T23:59:59.999999+00:00"),
        ("0001-12-31 19:00:00+00 BC", "0001-01-01T00:00:00+00:00"),
        ("-infinity", "0001-01-01T00:00:00+00:00"),
    ],
)
def test_a_stored_time_python_cannot_hold_reads_as_the_nearest_one(reader_client, stored, read):
    # given: one row stored outside Python's range, beside an ordinary one
    log = MonitoringLogFactory(client_id="odd")
    MonitoringLogFactory(client_id="plain")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_monitoringlog SET timestamp = %s::timestamptz WHERE id = %s",
            [stored, log.pk],
        )

    # when
    result = reader_client.execute(PAGE)

    # then
    assert "errors" not in result
    nodes = {node["clientId"]: node["timestamp"] for node in result["data"]["logs"]["nodes"]}
    assert nodes["odd"] == read
    assert set(nodes) == {"odd", "plain"}
