"""The hub catching a resuming subscriber up while its topic's poller has already advanced."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection

from chat import services as chat_services
from config.realtime.cursor import Cursor
from config.realtime.hub import Hub
from tests.realtime.test_message_added import _append, in_thread


def _old_event(thread_id: str, txid: int, ref: str) -> None:
    """An event of an earlier transaction, as a database whose transaction ids have passed
    9, 99, 999… holds them (the triggers write the current one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO realtime_event (txid, topic, key, kind, ref, data) "
            "VALUES (%s::text::xid8, 'thread', %s, 'message_added', %s, '{}')",
            [str(txid), thread_id, ref],
        )


@pytest.mark.django_db(transaction=True)
def test_a_resuming_subscriber_gets_the_events_it_missed_in_order_then_the_live_ones(make_user):
    # given
    alice = make_user("alice")
    thread = chat_services.thread_create(owner=alice, title="t")
    for txid, ref in [(9, "nine"), (10, "ten"), (99, "ninety-nine"), (100, "hundred")]:
        _old_event(thread.pk, txid, ref)
    hub = Hub()

    async def scenario():
        async with hub.subscribe(
            topic="thread", key=thread.pk, user_id=alice.pk, after=None
        ) as listening:
            await in_thread(_append)(thread, "missed")
            missed = await asyncio.wait_for(listening.queue.get(), 10)
            async with hub.subscribe(
                topic="thread", key=thread.pk, user_id=alice.pk, after=Cursor(1, 0)
            ) as resuming:
                caught_up = resuming.queue.get_nowait()
                await in_thread(_append)(thread, "live")
                live = await asyncio.wait_for(resuming.queue.get(), 10)
        await hub.reset_connection()
        return missed, caught_up, live

    # when
    missed, caught_up, live = asyncio.run(scenario())

    # then
    assert [e.cursor.txid for e in caught_up[:4]] == [9, 10, 99, 100]
    assert [e.ref for e in caught_up[:4]] == ["nine", "ten", "ninety-nine", "hundred"]
    assert caught_up[4:] == missed
    assert [e.cursor for e in caught_up] == sorted(e.cursor for e in caught_up)
    assert len(live) == 1 and live[0].cursor > caught_up[-1].cursor
