"""One poller per topic and process, multiplexed over all its subscribers.

A poll is one statement whatever the number of subscribers: the events of the topic for the
subscribed keys after the poller's cursor and below the xmin of the current snapshot. Every
transaction below that xmin has ended, so an event is read once, after its transaction
committed, never skipped by a transaction that commits late (docs/realtime.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import defaultdict
from dataclasses import dataclass, field

import psycopg
from django.db import connections

from config.errors import BUSY, SLOW_CONSUMER, TOO_MANY_SUBSCRIPTIONS, UserError
from config.realtime.conf import LIMITS
from config.realtime.cursor import START, Cursor
from config.realtime.delivery import Resolvers, Wanted
from config.realtime.listener import Listener

logger = logging.getLogger(__name__)

# $1 topic, $2 keys (NULL: every key), $3/$4 the cursor, $5 the batch size. The snapshot row
# comes back even when there is no event, so the cursor moves up to its xmin.
POLL_SQL = """
    SELECT s.xmin::text, e.txid::text, e.id, e.key, e.kind, e.ref, e.data
    FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
    LEFT JOIN LATERAL (
        SELECT txid, id, key, kind, ref, data FROM realtime_event
        WHERE topic = %s AND (%s::text[] IS NULL OR key = ANY(%s::text[]))
          AND (txid, id) > (%s::text::xid8, %s::bigint) AND txid < s.xmin
        ORDER BY txid, id LIMIT %s
    ) e ON true
    ORDER BY e.txid, e.id
"""
# Catching a resuming subscriber up: its key's events between its cursor and the poller's.
# ORDER BY names the table's columns (e.txid): a bare `txid` would be the text output column,
# which sorts "1000" before "999".
CATCH_UP_SQL = """
    SELECT e.txid::text, e.id, e.key, e.kind, e.ref, e.data FROM realtime_event e
    WHERE e.topic = %s AND (%s::text[] IS NULL OR e.key = ANY(%s::text[]))
      AND (e.txid, e.id) > (%s::text::xid8, %s::bigint)
      AND (e.txid, e.id) <= (%s::text::xid8, %s::bigint)
    ORDER BY e.txid, e.id LIMIT %s
"""
XMIN_SQL = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"


@dataclass(frozen=True)
class Event:
    cursor: Cursor
    key: str
    kind: str
    ref: str
    data: dict


class SlowConsumer(UserError):
    """The subscriber let too many batches pile up; it may resume from its last cursor."""

    code = SLOW_CONSUMER

    def __init__(self):
        super().__init__("Events arrived faster than they were read; resume from your cursor.")


@dataclass(eq=False)
class Subscriber:
    topic: str
    key: str | None  # None: every key of the topic
    user_id: int
    last: Cursor
    # Who the events are prepared for, and the subscription's own arguments (filters): the
    # topic's resolver reads them (config.realtime.delivery); the hub does not.
    principal: object = None
    params: tuple = ()
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(LIMITS.queue_size))
    overflowed: bool = False
    ended: bool = False  # an error is queued: nothing more is prepared for it

    def fresh(self, events: list[Event]) -> list[Event]:
        """The events it has not been given yet (none once it overflowed or ended)."""
        if self.overflowed or self.ended:
            return []
        return [e for e in events if e.cursor > self.last]

    def put(self, last: Cursor, items: list | BaseException) -> None:
        """Queue what the events up to `last` gave: the values to deliver (possibly none: every
        event was filtered out), or the error that ends the stream."""
        if self.overflowed or self.ended:
            return
        self.last = max(self.last, last)
        if isinstance(items, BaseException):
            self.ended = True
        elif not items:
            return
        self.enqueue(items)

    def enqueue(self, items: list | BaseException) -> None:
        try:
            self.queue.put_nowait(items)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()  # make room for the wake-up below
            self.queue.put_nowait(None)

    async def batches(self):
        """Batches in order; SlowConsumer when the queue overflowed, the resolver's error
        (revoked key, lost visibility …) when the stream must end."""
        while True:
            batch = await self.queue.get()
            if batch is None or self.overflowed:
                raise SlowConsumer()
            if isinstance(batch, BaseException):
                raise batch
            yield batch


def connection_kwargs() -> dict:
    """psycopg.connect() arguments for the default database, with no prepared statements
    (transaction-mode poolers cannot keep them) and autocommit (one statement, one
    transaction: nothing held open between polls, so the compute may scale to zero)."""
    settings = connections["default"].settings_dict
    kwargs = {
        "dbname": settings["NAME"],
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
    }
    skip = {"pool", "server_side_binding", "isolation_level", "assume_role", "cursor_factory"}
    kwargs.update({k: v for k, v in settings.get("OPTIONS", {}).items() if k not in skip})
    kwargs.update(autocommit=True, prepare_threshold=None, application_name="realtime-poller")
    return {k: v for k, v in kwargs.items() if v is not None}


def _event(txid: str, event_id: int, key: str, kind: str, ref: str, data: dict) -> Event:
    return Event(Cursor(int(txid), event_id), key, kind, ref, data)


class Poller:
    def __init__(self, hub: Hub, topic: str):
        self.hub = hub
        self.topic = topic
        self.subscribers: dict[str | None, set[Subscriber]] = defaultdict(set)
        self.cursor: Cursor | None = None
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None
        self.polls = 0
        # Set by a notification (LISTEN/NOTIFY) or the last subscriber leaving: poll now.
        self.woken = asyncio.Event()

    async def add(self, subscriber: Subscriber) -> Cursor:
        """Register between two polls; the events after the returned cursor will be offered."""
        async with self.lock:
            if self.cursor is None:
                self.cursor = Cursor(int(await self.hub.fetch_value(XMIN_SQL)), 0)
            self.subscribers[subscriber.key].add(subscriber)
            if not self.running:
                # A context of its own, not the first subscriber's: the poller outlives it, so
                # its resolvers run in the process's thread for sync code, never in the thread
                # of a request context (asgiref's ThreadSensitiveContext), closed with it.
                self.task = asyncio.create_task(
                    self.run(), name=f"realtime-poller-{self.topic}", context=contextvars.Context()
                )
                self.hub.poller_started()
            return self.cursor

    def remove(self, subscriber: Subscriber) -> None:
        """Unregister; the poller stops at its next turn when nobody is left."""
        keyed = self.subscribers.get(subscriber.key)
        if keyed is not None:
            keyed.discard(subscriber)
            if not keyed:
                del self.subscribers[subscriber.key]
            if not self.subscribers:
                self.woken.set()  # stop now rather than after a long interval

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def run(self) -> None:
        while True:
            failed = False
            async with self.lock:
                if not self.subscribers:
                    # Nobody left: stop; a later first subscriber starts from its own present.
                    self.task = None
                    self.cursor = None
                    await self.hub.poller_stopped()
                    return
                self.woken.clear()
                try:
                    full = await self.poll_once()
                except Exception as exc:  # an outage: keep the cursor, retry a little later
                    logger.warning("realtime poll of %s failed: %s", self.topic, type(exc).__name__)
                    await self.hub.reset_connection()
                    failed, full = True, False
            if failed:
                await asyncio.sleep(min(5.0, LIMITS.poll_interval * 8))
            elif not full:
                await self._nap(LIMITS.poll_interval)

    async def _nap(self, seconds: float) -> None:
        """Sleep until the next poll, or less when woken (a notification arrived meanwhile,
        even during the poll itself)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.woken.wait(), seconds)

    async def poll_once(self) -> bool:
        """One statement, then the events prepared for all their subscribers at once and
        queued. True if the batch was full. The cursor moves only once they are queued: a poll
        whose preparation failed is read again."""
        keys = None if None in self.subscribers else sorted(self.subscribers)
        cursor = self.cursor or START
        rows = await self.hub.fetch(
            POLL_SQL,
            (self.topic, keys, keys, str(cursor.txid), cursor.id, LIMITS.poll_batch),
        )
        self.polls += 1
        events = [_event(*row[1:]) for row in rows if row[1] is not None]
        full = len(events) >= LIMITS.poll_batch
        if events:
            await self.deliver(events)
        if full:
            self.cursor = events[-1].cursor
        else:
            self.cursor = max(cursor, Cursor(int(rows[0][0]), 0), *(e.cursor for e in events[-1:]))
        return full

    async def deliver(self, events: list[Event]) -> None:
        """Prepare the events for the subscribers that have not had them, in one call of the
        topic's resolver, and queue what each one receives."""
        by_key: dict[str, list[Event]] = defaultdict(list)
        for event in events:
            by_key[event.key].append(event)
        wanted: Wanted = []
        for key, keyed in by_key.items():
            wanted.extend((s, keyed) for s in self.subscribers.get(key, ()))
        wanted.extend((s, events) for s in self.subscribers.get(None, ()))
        wanted = [(s, fresh) for s, batch in wanted if (fresh := s.fresh(batch))]
        if not wanted:
            return
        prepared = await self.hub.resolvers.prepare(self.topic, wanted)
        for (subscriber, fresh), items in zip(wanted, prepared, strict=True):
            subscriber.put(fresh[-1].cursor, items)


class Hub:
    """The process's pollers, its database connection for them and, with a direct URL, the
    listener that wakes them."""

    def __init__(self, direct_url: str | None = None):
        self.pollers: dict[str, Poller] = {}
        url = LIMITS.direct_url if direct_url is None else direct_url
        self.listener = Listener(url, self.wake) if url else None
        self.per_user: dict[int, int] = defaultdict(int)
        self.total = 0
        self._conn: psycopg.AsyncConnection | None = None
        self._conn_lock = asyncio.Lock()
        self.poll_statements = 0
        # Per topic, what turns its events into what subscribers receive (chat.subscriptions,
        # monitoring.subscriptions register theirs).
        self.resolvers = Resolvers()

    @property
    def statements(self) -> int:
        """SQL statements run so far: the polls and catch-ups, and their resolvers'."""
        return self.poll_statements + self.resolvers.statements

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(**connection_kwargs())
        return self._conn

    async def reset_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None

    async def fetch(self, sql: str, params: tuple) -> list[tuple]:
        async with self._conn_lock:
            conn = await self._connection()
            self.poll_statements += 1
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def fetch_value(self, sql: str):
        rows = await self.fetch(sql, ())
        return rows[0][0]

    def wake(self, topic: str | None) -> None:
        """Poll the topic (None: every topic) now: its events may have committed."""
        for name, poller in self.pollers.items():
            if topic is None or name == topic:
                poller.woken.set()

    def poller_started(self) -> None:
        if self.listener is not None:
            self.listener.start()

    async def poller_stopped(self) -> None:
        """With no poller left, the listener's connection closes too (the compute may sleep)."""
        if self.listener is not None and not any(p.running for p in self.pollers.values()):
            await self.listener.stop()

    def poller(self, topic: str) -> Poller:
        if topic not in self.pollers:
            self.pollers[topic] = Poller(self, topic)
        return self.pollers[topic]

    @contextlib.asynccontextmanager
    async def subscribe(
        self,
        *,
        topic: str,
        key: str | None,
        user_id: int,
        after: Cursor | None,
        principal: object = None,
        params: tuple = (),
    ):
        """A Subscriber that receives the events after `after` (or from now), in order, as the
        topic's resolver prepares them for `principal` and `params`."""
        if self.total >= LIMITS.max_per_process:
            raise UserError("Too many subscriptions on this server; retry later.", code=BUSY)
        if self.per_user[user_id] >= LIMITS.max_per_user:
            raise UserError(
                f"At most {LIMITS.max_per_user} subscriptions per user.",
                code=TOO_MANY_SUBSCRIPTIONS,
            )
        self.total += 1
        self.per_user[user_id] += 1
        poller = self.poller(topic)
        subscriber = Subscriber(
            topic=topic,
            key=key,
            user_id=user_id,
            last=after or START,
            principal=principal,
            params=params,
        )
        try:
            present = await poller.add(subscriber)
            if after is None:
                subscriber.last = present
            elif after < present:
                await self._catch_up(subscriber, present)
            yield subscriber
        finally:
            poller.remove(subscriber)
            self.total -= 1
            self.per_user[user_id] -= 1
            if not self.per_user[user_id]:
                del self.per_user[user_id]

    async def _catch_up(self, subscriber: Subscriber, present: Cursor) -> None:
        """Put the events between the subscriber's cursor and the poller's first in its queue."""
        caught_up: list[Event] = []
        after = subscriber.last
        keys = None if subscriber.key is None else [subscriber.key]
        while True:
            rows = await self.fetch(
                CATCH_UP_SQL,
                (
                    subscriber.topic,
                    keys,
                    keys,
                    str(after.txid),
                    after.id,
                    str(present.txid),
                    present.id,
                    LIMITS.poll_batch,
                ),
            )
            caught_up.extend(_event(*row) for row in rows)
            if len(rows) < LIMITS.poll_batch:
                break
            after = caught_up[-1].cursor
        prepared = []
        if caught_up:
            (prepared,) = await self.resolvers.prepare(subscriber.topic, [(subscriber, caught_up)])
        # Ahead of whatever the poller queued meanwhile, which is all after `present`.
        pending = []
        while not subscriber.queue.empty():
            pending.append(subscriber.queue.get_nowait())
        if caught_up:
            subscriber.last = max(subscriber.last, caught_up[-1].cursor)
        if isinstance(prepared, BaseException):
            subscriber.ended = True
            subscriber.enqueue(prepared)
        elif prepared:
            subscriber.enqueue(prepared)
        for batch in pending:
            subscriber.enqueue(batch)


hub = Hub()
