"""The agent chat backend's workflow (chat_sessions / chat_messages) through GraphQL."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from chat.models import Message, Thread
from tests.chat.graphql import (
    MESSAGE_APPEND,
    THREAD,
    THREAD_CLEAR,
    THREAD_CREATE,
    thread_ids,
)


def get_or_create_session(client, session_id):
    return client.execute(
        THREAD_CREATE, {"input": {"id": session_id, "agentType": "inventory_intelligence"}}
    )["data"]["threadCreate"]


def test_session_history_in_order_then_clear(alice_client):
    # given: a session, created twice (get-or-create)
    first = get_or_create_session(alice_client, "neon-test-session")
    again = get_or_create_session(alice_client, "neon-test-session")

    # when: 2 user and 2 model messages
    for role, content in [
        ("USER", "How many units are left?"),
        ("MODEL", "42 units of SKU-1."),
        ("USER", "Reorder point?"),
        ("MODEL", "Reorder at 10 units."),
    ]:
        alice_client.execute(
            MESSAGE_APPEND,
            {"threadId": "neon-test-session", "input": {"role": role, "content": content}},
        )
    history = alice_client.execute(THREAD, {"id": "neon-test-session"})
    cleared = alice_client.execute(THREAD_CLEAR, {"id": "neon-test-session"})

    # then
    assert (
        first
        == again
        == {
            "id": "neon-test-session",
            "title": "",
            "agentType": "inventory_intelligence",
            "metadata": {},
            "owner": {"username": "alice"},
        }
    )
    messages = history["data"]["thread"]["messages"]["nodes"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("USER", "How many units are left?"),
        ("MODEL", "42 units of SKU-1."),
        ("USER", "Reorder point?"),
        ("MODEL", "Reorder at 10 units."),
    ]
    assert all(m["id"].startswith("msg_") for m in messages)
    assert cleared == {
        "data": {"threadClear": {"id": "neon-test-session", "history": {"nodes": []}}}
    }
    assert Thread.objects.filter(pk="neon-test-session").exists()
    assert Message.objects.count() == 0


def test_appending_bumps_the_session_activity(alice, alice_client):
    # given
    get_or_create_session(alice_client, "s1")
    Thread.objects.filter(pk="s1").update(updated_at=timezone.now() - timedelta(days=3))
    before = Thread.objects.get(pk="s1").updated_at

    # when
    alice_client.execute(
        MESSAGE_APPEND, {"threadId": "s1", "input": {"role": "USER", "content": "hi"}}
    )

    # then
    assert Thread.objects.get(pk="s1").updated_at > before + timedelta(days=2)


def test_list_active_sessions_most_recent_first(alice_client):
    # given: three sessions, the oldest one written to last
    for session_id in ["a", "b", "c"]:
        get_or_create_session(alice_client, session_id)
    now = timezone.now()
    for days, session_id in [(40, "a"), (2, "b"), (1, "c")]:
        Thread.objects.filter(pk=session_id).update(updated_at=now - timedelta(days=days))
    alice_client.execute(
        MESSAGE_APPEND, {"threadId": "a", "input": {"role": "USER", "content": "x"}}
    )

    # when
    everything = thread_ids(alice_client)
    active_this_week = thread_ids(
        alice_client, {"updatedFrom": (now - timedelta(days=7)).isoformat()}
    )
    idle_for_a_month = thread_ids(
        alice_client, {"updatedBefore": (now - timedelta(days=30)).isoformat()}
    )

    # then
    assert everything == (3, ["a", "c", "b"])
    assert active_this_week == (3, ["a", "c", "b"])
    assert idle_for_a_month == (0, [])


def test_sessions_older_than_30_days_are_purged(alice_client):
    # given: an old session with messages and a recent one
    for session_id in ["old", "recent"]:
        get_or_create_session(alice_client, session_id)
        alice_client.execute(
            MESSAGE_APPEND, {"threadId": session_id, "input": {"role": "USER", "content": "hi"}}
        )
    Thread.objects.filter(pk="old").update(updated_at=timezone.now() - timedelta(days=31))

    # when
    out = StringIO()
    call_command("purge_threads", "--older-than", "30d", "--yes", stdout=out)

    # then
    assert out.getvalue().startswith("Deleted 1 thread(s) and 1 message(s)")
    assert thread_ids(alice_client) == (1, ["recent"])
