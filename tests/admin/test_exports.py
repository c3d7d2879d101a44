import csv
import io
import json
from datetime import UTC, datetime
from io import StringIO

from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from chat.models import Message, Thread
from config.admin_utils import csv_rows
from tests.chat.factories import ThreadFactory

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_csv_export_runs_one_statement_per_batch_and_returns_every_row(
    db, django_assert_num_queries
):
    # given
    permissions = Permission.objects.filter(content_type__app_label__in=["chat", "students"])
    expected = [[str(p.pk), p.codename] for p in permissions.order_by("pk")]
    batches = len(expected) // 7 + 1

    # when
    with django_assert_num_queries(batches):
        body = "".join(csv_rows(permissions, ["id", "codename"], batch_size=7))

    # then
    assert list(csv.reader(io.StringIO(body))) == [["id", "codename"], *expected]


def test_admin_message_export_streams_the_selection(superuser):
    # given
    thread = ThreadFactory(id="t1", owner=superuser)
    Message.objects.bulk_create(
        [
            Message(id=f"m{n}", thread=thread, role="user", content=f"hi {n}", created_at=T0)
            for n in range(3)
        ]
    )
    client = Client()
    client.force_login(superuser)

    # when
    response = client.post(
        "/admin/chat/message/",
        {"action": "export_csv", "select_across": "1", "_selected_action": ["m0"]},
    )

    # then
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["id", "thread_id", "role", "type", "content", "created_at"],
        *[
            [f"m{n}", "t1", "USER", "message", f"hi {n}", "2026-11-02 09:30:00+00:00"]
            for n in range(3)
        ],
    ]


def test_export_threads_writes_metadata_as_json_objects(make_user):
    # given
    alice = make_user("alice")
    thread = ThreadFactory(id="t1", owner=alice, title="T", agent_type="a", metadata={"k": 1})
    Thread.objects.filter(pk="t1").update(created_at=T0, updated_at=T0)
    Message.objects.create(
        id="m1", thread=thread, role="user", content="hi", metadata={"n": [1]}, created_at=T0
    )
    out_jsonl, out_csv = StringIO(), StringIO()

    # when
    call_command("export_threads", "--format", "jsonl", stdout=out_jsonl, stderr=StringIO())
    call_command("export_threads", "--format", "csv", stdout=out_csv, stderr=StringIO())

    # then
    assert [json.loads(line) for line in out_jsonl.getvalue().splitlines()] == [
        {
            "id": "t1",
            "owner": "alice",
            "agent_type": "a",
            "title": "T",
            "metadata": {"k": 1},
            "created_at": "2026-11-02T09:30:00+00:00",
            "updated_at": "2026-11-02T09:30:00+00:00",
            "messages": [
                {
                    "id": "m1",
                    "type": "message",
                    "role": "USER",
                    "content": "hi",
                    "metadata": {"n": [1]},
                    "created_at": "2026-11-02T09:30:00+00:00",
                }
            ],
        }
    ]
    rows = list(csv.reader(io.StringIO(out_csv.getvalue())))
    assert rows[1][4] == '{"k": 1}'
    assert rows[1][9] == "USER"  # roles as the API spells them
    assert rows[1][11] == '{"n": [1]}'
