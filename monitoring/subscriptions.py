"""Monitoring subscriptions: component status transitions and arriving logs.

The permissions are the queries' own (monitoring.view_systemhealth, monitoring.view_monitoringlog),
checked when the stream starts and again before every batch of events: for all of a poll's
subscribers at once (a fixed number of statements), each event built once per filter and shared.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied

from config.realtime.auth import Principal, Standing, principal_of, standings
from config.realtime.cursor import Cursor, parse_cursor
from config.realtime.delivery import Wanted
from config.realtime.hub import Event, hub
from config.realtime.rendering import shared
from config.realtime.ws import held_open
from monitoring.models import MonitoringLog
from monitoring.schema import VIEW_HEALTH, VIEW_LOG
from monitoring.types import HealthStatus, MonitoringLevel


@strawberry.type(name="HealthChange", description="A component's status changed.")
class HealthChangeType:
    cursor: str = strawberry.field(description="Pass back as `cursor` to resume after it.")
    component: str = strawberry.field(description="The component.")
    status: HealthStatus = strawberry.field(description="Its new state.")
    previous_status: HealthStatus | None = strawberry.field(
        description="Its state before; null for its first check."
    )


@strawberry.type(name="LogBatch", description="Logs that arrived together, oldest first.")
class LogBatchType:
    cursor: str = strawberry.field(description="Pass back as `cursor` to resume after it.")
    ids: list[strawberry.ID] = strawberry.field(description="Ids of the matching logs.")
    messages: list[str] = strawberry.field(description="Their messages, in the same order.")


def _user_with(principal: Principal, perm: str, field: str):
    user = principal.user()
    if not user.has_perm(perm):
        raise PermissionDenied(f"{field}: you don't have permission to do this ({perm}).")
    return user


def _refusal(standing: Standing | Exception, perm: str, field: str) -> Exception | None:
    """The error that ends the stream of a principal without `perm` (as _user_with), or None."""
    if not isinstance(standing, Standing):
        return standing
    if not standing.has_perm(perm):
        return PermissionDenied(f"{field}: you don't have permission to do this ({perm}).")
    return None


def _health_changes(wanted: Wanted) -> list[list | BaseException]:
    """A poll of the health topic for all its subscribers: one statement, their standing."""
    by_principal = standings({s.principal for s, _ in wanted}, [VIEW_HEALTH])
    values: dict[Cursor, HealthChangeType] = {}

    def built(e: Event) -> HealthChangeType:
        if e.cursor not in values:
            previous = e.data.get("previous")
            values[e.cursor] = shared(
                HealthChangeType(
                    cursor=str(e.cursor),
                    component=e.key,
                    status=HealthStatus(e.data["status"]),
                    previous_status=HealthStatus(previous) if previous else None,
                )
            )
        return values[e.cursor]

    return [
        _refusal(by_principal[s.principal], VIEW_HEALTH, "healthChanged") or list(map(built, batch))
        for s, batch in wanted
    ]


def _log_batches(wanted: Wanted) -> list[list | BaseException]:
    """A poll of the logs topic for all its subscribers, in two statements: their standing and
    the new logs. Each ingest becomes one LogBatch per distinct filter (minLevel, source)."""
    by_principal = standings({s.principal for s, _ in wanted}, [VIEW_LOG])
    refusals = [_refusal(by_principal[s.principal], VIEW_LOG, "logsAdded") for s, _ in wanted]
    ids = {
        i
        for (_, batch), no in zip(wanted, refusals, strict=True)
        if no is None
        for e in batch
        for i in e.data["ids"]
    }
    logs = (
        MonitoringLog.objects.filter(id__in=ids)
        .order_by("id")
        .values_list("id", "level", "source", "message")
        if ids
        else []
    )
    found = {row[0]: row for row in logs}
    values: dict[tuple[Cursor, tuple], LogBatchType | None] = {}

    def built(e: Event, params: tuple) -> LogBatchType | None:
        if (e.cursor, params) not in values:
            min_level, source = params
            rows = [
                found[i]
                for i in sorted(int(i) for i in e.data["ids"])
                if i in found
                and (min_level is None or found[i][1] >= min_level.value)
                and (source is None or found[i][2] == source)
            ]
            values[e.cursor, params] = (
                shared(
                    LogBatchType(
                        cursor=str(e.cursor),
                        ids=[str(row[0]) for row in rows],
                        messages=[row[3] for row in rows],
                    )
                )
                if rows
                else None
            )
        return values[e.cursor, params]

    return [
        no or [b for b in (built(e, s.params) for e in batch) if b is not None]
        for (s, batch), no in zip(wanted, refusals, strict=True)
    ]


CursorArg = Annotated[
    str | None, strawberry.argument(description="Resume after this event's cursor.")
]


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Status transitions of one component, or of all. Errors: UNAUTHENTICATED, "
        "FORBIDDEN (no monitoring.view_systemhealth, or lost), SLOW_CONSUMER."
    )
    async def health_changed(
        self,
        info: strawberry.Info,
        component: Annotated[
            str | None, strawberry.argument(description="Only this component.")
        ] = None,
        cursor: CursorArg = None,
    ) -> AsyncGenerator[HealthChangeType, None]:
        principal = principal_of(info.context)
        after = parse_cursor(cursor, field="healthChanged.cursor")
        await sync_to_async(_user_with)(principal, VIEW_HEALTH, "healthChanged")
        async with (
            hub.subscribe(
                topic="health",
                key=component,
                user_id=principal.user_id,
                after=after,
                principal=principal,
            ) as subscriber,
            held_open(info.context),
        ):
            async for batch in subscriber.batches():
                for change in batch:
                    yield change

    @strawberry.subscription(
        description="Logs arriving that match a minimum level and/or a source, in batches. "
        "Errors: UNAUTHENTICATED, FORBIDDEN (no monitoring.view_monitoringlog), SLOW_CONSUMER."
    )
    async def logs_added(
        self,
        info: strawberry.Info,
        min_level: Annotated[
            MonitoringLevel | None, strawberry.argument(description="At least this level.")
        ] = None,
        source: Annotated[str | None, strawberry.argument(description="Only this source.")] = None,
        cursor: CursorArg = None,
    ) -> AsyncGenerator[LogBatchType, None]:
        principal = principal_of(info.context)
        after = parse_cursor(cursor, field="logsAdded.cursor")
        await sync_to_async(_user_with)(principal, VIEW_LOG, "logsAdded")
        async with (
            hub.subscribe(
                topic="logs",
                key="",
                user_id=principal.user_id,
                after=after,
                principal=principal,
                params=(min_level, source),
            ) as subscriber,
            held_open(info.context),
        ):
            async for batch in subscriber.batches():
                for logs in batch:
                    yield logs


hub.resolvers.register("health", _health_changes)
hub.resolvers.register("logs", _log_batches)
