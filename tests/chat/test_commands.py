import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chat.models import ContextSnapshot, LLMRequest, LLMResponse, Message, Thread, UsageDaily
from tests.chat.factories import MessageFactory, ThreadFactory


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def aged(alice):
    """Two threads idle for 40 days (3 messages, an audit row, a snapshot), one active today."""
    now = timezone.now()
    old = {}
    for thread_id in ["old1", "old2"]:
        thread = old[thread_id] = ThreadFactory(id=thread_id, owner=alice)
        Thread.objects.filter(pk=thread_id).update(updated_at=now - timedelta(days=40))
        ContextSnapshot.objects.create(user=alice, thread=thread, context={"k": 1})
    MessageFactory(thread=old["old1"], id="o1a")
    message = MessageFactory(thread=old["old1"], id="o1b")
    MessageFactory(thread=old["old2"], id="o2a")
    request = LLMRequest.objects.create(
        user=alice, thread_id="old1", message=message, provider="p", model="m", prompt_sha256="0"
    )
    LLMResponse.objects.create(request=request, tokens_in=1, cost=Decimal("0.1"))
    UsageDaily.objects.create(user=alice, day=now.date(), requests=1, tokens_in=1)
    fresh = ThreadFactory(id="fresh", owner=alice)
    Thread.objects.filter(pk="fresh").update(updated_at=now)
    MessageFactory(thread=fresh, id="f1")


def test_purge_is_a_dry_run_by_default(aged):
    # when
    out, _ = run("purge_threads", "--older-than", "30d")

    # then
    assert out.startswith("Dry run: would delete 2 thread(s) and 3 message(s) inactive since ")
    assert Thread.objects.count() == 3


def test_purge_deletes_old_threads_and_keeps_audit_and_usage(aged):
    # when
    out, _ = run("purge_threads", "--older-than", "30d", "--yes", "--batch-size", "1")

    # then
    assert out.startswith("Deleted 2 thread(s) and 3 message(s) inactive since ")
    assert list(Thread.objects.values_list("id", flat=True)) == ["fresh"]
    assert list(Message.objects.values_list("id", flat=True)) == ["f1"]
    assert ContextSnapshot.objects.count() == 0
    assert list(LLMRequest.objects.values_list("thread_id", "message_id")) == [(None, None)]
    assert (LLMResponse.objects.count(), UsageDaily.objects.count()) == (1, 1)


def test_purge_shows_progress_when_asked(aged):
    _, err = run("purge_threads", "--older-than", "30d", "--yes", "--progress")
    assert "2/2" in err


@pytest.mark.parametrize("age", ["30", "2w", "720h", "43200m"])
def test_purge_ages(aged, age):
    out, _ = run("purge_threads", "--older-than", age)
    assert "would delete 2 thread(s)" in out


def test_purge_refuses_a_bad_age(db):
    with pytest.raises(CommandError, match="expected an age such as 30d"):
        run("purge_threads", "--older-than", "a month")


def test_export_jsonl_one_thread_per_line_with_messages_in_order(aged):
    # when
    out, _ = run("export_threads", "--format", "jsonl", "--batch-size", "2")

    # then
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(t["id"], [m["id"] for m in t["messages"]]) for t in lines] == [
        ("fresh", ["f1"]),
        ("old1", ["o1a", "o1b"]),
        ("old2", ["o2a"]),
    ]
    assert set(lines[0]) == {
        "id",
        "owner",
        "agent_type",
        "title",
        "metadata",
        "created_at",
        "updated_at",
        "messages",
    }
    assert lines[1]["messages"][0]["content"].startswith("message ")


def test_export_csv_one_row_per_message_since_a_date(aged, tmp_path):
    # given
    ThreadFactory(id="empty", owner=Thread.objects.first().owner)
    target = tmp_path / "threads.csv"
    since = (timezone.now() - timedelta(days=1)).date().isoformat()

    # when
    _, err = run("export_threads", "--format", "csv", "--since", since, "-o", str(target))

    # then
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["thread_id"], r["message_id"]) for r in rows] == [("fresh", "f1")]
    assert err == f"Exported 1 thread(s) to {target}.\n"


def test_export_csv_lists_threads_without_messages(db, alice):
    # given
    ThreadFactory(id="empty", owner=alice)

    # when
    out, _ = run("export_threads", "--format", "csv")

    # then
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["thread_id"], r["message_id"], r["owner"]) for r in rows] == [("empty", "", "alice")]


def test_export_pages_through_many_messages(alice):
    # given: more messages than one page of the message reader
    thread = ThreadFactory(id="big", owner=alice)
    Message.objects.bulk_create(
        [Message(id=f"m{n:05d}", thread=thread, role="user", content="x") for n in range(2500)]
    )

    # when
    out, _ = run("export_threads", "--format", "jsonl")

    # then
    (line,) = out.splitlines()
    assert len(json.loads(line)["messages"]) == 2500
