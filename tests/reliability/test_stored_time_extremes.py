"""Times PostgreSQL holds but Python cannot never break a list for its readers.

A row written by SQL, a restore or an import may hold `infinity`, a year after 9999 or a BC
date; the API reads such a value as the nearest representable instant (config.dbtypes) and
every other row of the list stays readable. The API itself refuses such input
(test_time_input_range).
"""

import pytest
from django.db import connection

from config.dbtypes import DISTANT_FUTURE, DISTANT_PAST
from tests.chat.factories import MessageFactory, ThreadFactory
from tests.learn.factories import LearnItemFactory
from tests.monitoring.factories import (
    MonitoringLogFactory,
    MonitoringResultFactory,
    SystemHealthFactory,
)
from tests.students.factories import StudentFactory

EXTREMES = {
    "year 10000": ("10000-01-01 13:59:59+00", DISTANT_FUTURE),
    "infinity": ("infinity", DISTANT_FUTURE),
    "-infinity": ("-infinity", DISTANT_PAST),
    "year 1 BC": ("0001-12-31 19:00:00+00 BC", DISTANT_PAST),
}
READS = {
    "logs": ("{ logs(first: 10) { edges { node { timestamp receivedAt } } } }", ["timestamp"]),
    "systemHealth": ("{ systemHealth { component since checkedAt } }", ["checked_at"]),
    "monitoringResults": ("{ monitoringResults { nodes { createdAt } } }", ["created_at"]),
    "learnItems": ("{ learnItems { nodes { createdAt } } }", ["created_at"]),
    "students": ("{ students { nodes { code enrolledAt } } }", ["enrolled_at"]),
    "threads": ("{ threads { nodes { id createdAt updatedAt } } }", ["created_at", "updated_at"]),
    "messages": (
        '{ thread(id: "t1") { messages(last: 5) { nodes { createdAt } } } }',
        ["created_at"],
    ),
}
TABLES = {
    "logs": "monitoring_monitoringlog",
    "systemHealth": "monitoring_systemhealth",
    "monitoringResults": "monitoring_monitoringresult",
    "learnItems": "learn_learnitem",
    "students": "students_student",
    "threads": "chat_thread",
    "messages": "chat_message",
}


@pytest.fixture
def stored_rows(superuser):
    MonitoringLogFactory.create_batch(2)
    SystemHealthFactory(component="db")
    MonitoringResultFactory.create_batch(2)
    LearnItemFactory.create_batch(2)
    StudentFactory.create_batch(2)
    thread = ThreadFactory(id="t1", owner=superuser)
    MessageFactory.create_batch(2, thread=thread)


@pytest.mark.parametrize("text,expected", EXTREMES.values(), ids=EXTREMES.keys())
@pytest.mark.parametrize("read", READS, ids=READS.keys())
def test_a_stored_extreme_time_does_not_break_the_list(
    api_client, superuser, stored_rows, read, text, expected
):
    # given one row of the list holding a time Python cannot represent
    query, columns = READS[read]
    with connection.cursor() as cursor:
        for column in columns:
            cursor.execute(
                f"UPDATE {TABLES[read]} SET {column} = %s::timestamptz "
                f"WHERE id = (SELECT min(id) FROM {TABLES[read]})",
                [text],
            )

    # when any reader reads the list
    result = api_client(superuser).execute(query)

    # then it answers, every row included, the extreme one at the nearest representable time
    assert "errors" not in result, result
    shown = str(result["data"])
    assert expected.isoformat() in shown


def test_a_stored_infinite_day_reads_as_a_distant_day(api_client, superuser):
    # given a usage row whose day is infinity (a date column)
    from chat.models import UsageDaily

    UsageDaily.objects.create(user=superuser, day="2026-01-05", tokens_in=1, requests=1)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_usagedaily SET day = 'infinity'")

    # when
    [row] = UsageDaily.objects.values_list("day", flat=True)

    # then
    assert row == DISTANT_FUTURE.date()


def test_an_unparsable_time_still_fails_loudly():
    # the loader replaces only values beyond Python's range, never text it cannot read
    from config.dbtypes import _beyond_python

    assert _beyond_python(b"2026-13-45 99:00:00+00") is None
    assert _beyond_python(b"infinity") == DISTANT_FUTURE
