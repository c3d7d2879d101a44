"""The optional LISTEN/NOTIFY wake-up: with a direct (non-pooler) URL configured, one listening
connection per process wakes the pollers as soon as events commit. Polling stays the source of
truth: a lost or missed notification only costs latency, never an event (docs/realtime.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg

logger = logging.getLogger(__name__)

CHANNEL = "realtime"
# The event trigger notifies only while a connection with this name is open in the database.
APPLICATION_NAME = "realtime-listener"
# Seconds without a notification after which the connection is checked with a statement.
KEEPALIVE = 30.0
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


class Listener:
    def __init__(self, url: str, wake: Callable[[str | None], None]):
        self.url = url
        self.wake = wake  # wake(topic), or wake(None) for every topic
        self.task: asyncio.Task | None = None
        self.connections = 0  # connections that reached LISTEN, reconnections included

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        if not self.running:
            self.task = asyncio.create_task(self.run(), name="realtime-listener")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def run(self) -> None:
        """Listen; after a failure retry with a growing delay, polling meanwhile."""
        delay = RETRY_FIRST
        while True:
            try:
                async for _ in self._listen():
                    delay = RETRY_FIRST
            except Exception as exc:  # an outage or a dropped connection
                logger.warning(
                    "realtime listener lost (%s); polling only, retry in %.1f s",
                    type(exc).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _listen(self):
        """Yields once connected and listening, then wakes the pollers per notification."""
        conn = await psycopg.AsyncConnection.connect(
            self.url,
            autocommit=True,
            prepare_threshold=None,
            application_name=APPLICATION_NAME,
            connect_timeout=10,
        )
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.connections += 1
            yield
            # Whatever committed while no listener was connected.
            self.wake(None)
            while True:
                async for notification in conn.notifies(timeout=KEEPALIVE):
                    self.wake(notification.payload or None)
                await conn.execute("SELECT 1")  # a silently dead server or network shows here
