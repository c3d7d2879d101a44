"""Preparing a poll's events for all of a topic's subscribers at once.

Each topic may have one resolver: a plain function run in the process's thread for sync code,
with the ORM. It gets the poll's (subscriber, fresh events) pairs and returns, in the same
order, what each subscriber receives: the values its subscription yields (possibly none, when
every event was filtered out) or the error that ends its stream. It reads what it needs for all
of them in a fixed number of statements whatever their number, and builds one value per event
(and filter) that every subscriber allowed to see it shares (docs/realtime.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection, connections

if TYPE_CHECKING:
    from config.realtime.hub import Event, Subscriber

logger = logging.getLogger(__name__)

Wanted = list[tuple["Subscriber", list["Event"]]]
Resolver = Callable[[Wanted], list[list | BaseException]]


class Resolvers:
    """The topics' resolvers, and the statements they ran (with the poller's, the SQL per poll)."""

    def __init__(self):
        self.by_topic: dict[str, Resolver] = {}
        self.statements = 0
        self.runs = 0

    def register(self, topic: str, resolver: Resolver) -> None:
        self.by_topic[topic] = resolver

    async def prepare(self, topic: str, wanted: Wanted) -> list[list | BaseException]:
        """What each subscriber receives; a topic without a resolver gets the events as read."""
        resolver = self.by_topic.get(topic)
        if resolver is None:
            return [events for _, events in wanted]
        return await sync_to_async(self._run)(resolver, wanted)

    async def close(self) -> None:
        """Close the database connections of the thread the resolvers ran in."""
        await sync_to_async(connections.close_all)()

    def _run(self, resolver: Resolver, wanted: Wanted) -> list[list | BaseException]:
        def count(execute, sql, params, many, context):
            self.statements += 1
            return execute(sql, params, many, context)

        self.runs += 1
        try:
            with connection.execute_wrapper(count):
                prepared = resolver(wanted)
        except Exception:
            # The poller keeps its cursor and reads the events again; a connection the failure
            # left unusable is replaced on the next attempt.
            close_old_connections()
            raise
        if len(prepared) != len(wanted):
            raise RuntimeError(f"{resolver.__qualname__} answered {len(prepared)} of {len(wanted)}")
        return prepared
