"""The raw baselines make and read the API's cursors: the SQL that builds them gives the bytes
`config.connections.keyset.cursor_of` gives, and the baselines' decoder reads the values
`decode_cursor` reads."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from benchmarks import constants
from benchmarks.raw import chat, learn, monitoring, students
from benchmarks.sql import decode_cursor
from chat.models import Message, Thread
from config.connections import keyset
from learn.models import LearnItem
from monitoring.models import MonitoringLog
from students.models import Student

# (model, table, alias of the raw SQL, its cursor expression, the order of the API's list)
LISTS = [
    (MonitoringLog, "monitoring_monitoringlog", "l", monitoring.CURSOR, monitoring.LOG_ORDER),
    (Message, "chat_message", "m", chat.MESSAGE_CURSOR, chat.MESSAGE_ORDER),
    (Thread, "chat_thread", "t", chat.THREAD_CURSOR, chat.THREAD_ORDER),
    (LearnItem, "learn_learnitem", "i", learn.ITEM_CURSOR, "-created_at,-id"),
    (Student, "students_student", "s", students.STUDENT_CURSOR, "code,id"),
]


def sql_cursors(table: str, alias: str, expression: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {alias}.id, {expression} FROM {table} AS {alias}")
        return dict(cursor.fetchall())


@pytest.mark.parametrize("model, table, alias, expression, order", LISTS, ids=lambda v: str(v))
def test_raw_cursors_are_the_apis(seed, model, table, alias, expression, order):
    # given: the bench data, and a message whose id and time need escaping and microseconds
    seed(learn_items=60, logs=200, threads=3, students=20)
    Message.objects.create(
        id='odd "id" \\ é ✓',
        thread_id=constants.BIG_THREAD,
        role="user",
        created_at=datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC),
    )
    _, keys = keyset.order_keys(model.objects.all())
    rows = list(model.objects.all())

    # when
    made = sql_cursors(table, alias, expression)

    # then: the same order, the same cursor for every row, read back as the same values
    assert keyset.signature(keys) == order
    assert made == {row.pk: keyset.cursor_of(row, keys) for row in rows}
    for cursor in made.values():
        ours = decode_cursor(cursor, order)
        theirs = keyset.decode_cursor(cursor, keys, "after")
        assert [
            datetime.fromisoformat(value) if isinstance(expected, datetime) else value
            for value, expected in zip(ours, theirs, strict=True)
        ] == theirs


def test_raw_cursors_include_timestamps_with_and_without_microseconds(seed):
    # given
    seed(logs=200)
    MonitoringLog.objects.filter(pk=MonitoringLog.objects.order_by("pk").first().pk).update(
        timestamp=datetime(2026, 11, 1, 0, 0, 0, 5, tzinfo=UTC)
    )
    _, keys = keyset.order_keys(MonitoringLog.objects.all())

    # when
    made = sql_cursors("monitoring_monitoringlog", "l", monitoring.CURSOR)

    # then
    stamps = {decode_cursor(cursor, monitoring.LOG_ORDER)[0] for cursor in made.values()}
    assert {"." in stamp for stamp in stamps} == {True, False}
    assert made == {row.pk: keyset.cursor_of(row, keys) for row in MonitoringLog.objects.all()}


def test_raw_decoder_refuses_a_cursor_of_another_order():
    # given
    cursor = keyset.cursor_of(
        Message(id="m", seq=1, created_at=datetime(2026, 1, 1, tzinfo=UTC)),
        keyset.order_keys(Message.objects.all())[1],
    )

    # then
    assert decode_cursor(cursor, chat.MESSAGE_ORDER) == ["2026-01-01T00:00:00+00:00", 1, "m"]
    with pytest.raises(ValueError, match="Not a cursor of the order '-timestamp,-id'"):
        decode_cursor(cursor, monitoring.LOG_ORDER)
