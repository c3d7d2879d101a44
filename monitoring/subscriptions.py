"""Monitoring subscriptions: component status transitions and arriving logs.

The permissions are the queries' own (monitoring.view_systemhealth, monitoring.view_monitoringlog),
checked when the stream starts and again before every batch of events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied

from config.realtime.auth import Principal, principal_of
from config.realtime.cursor import parse_cursor
from config.realtime.hub import Event, hub
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


def _health_changes(principal: Principal, batch: list[Event]) -> list[HealthChangeType]:
    _user_with(principal, VIEW_HEALTH, "healthChanged")
    return [
        HealthChangeType(
            cursor=str(e.cursor),
            component=e.key,
            status=HealthStatus(e.data["status"]),
            previous_status=HealthStatus(e.data["previous"]) if e.data.get("previous") else None,
        )
        for e in batch
    ]


def _log_batches(principal, batch, min_level, source) -> list[LogBatchType]:
    _user_with(principal, VIEW_LOG, "logsAdded")
    batches = []
    for event in batch:
        logs = MonitoringLog.objects.filter(id__in=event.data["ids"]).order_by("id")
        if min_level is not None:
            logs = logs.filter(level__gte=min_level.value)
        if source is not None:
            logs = logs.filter(source=source)
        rows = list(logs.values_list("id", "message"))
        if rows:
            batches.append(
                LogBatchType(
                    cursor=str(event.cursor),
                    ids=[str(i) for i, _ in rows],
                    messages=[m for _, m in rows],
                )
            )
    return batches


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
                topic="health", key=component, user_id=principal.user_id, after=after
            ) as subscriber,
            held_open(info.context),
        ):
            async for batch in subscriber.batches():
                for change in await sync_to_async(_health_changes)(principal, batch):
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
                topic="logs", key="", user_id=principal.user_id, after=after
            ) as subscriber,
            held_open(info.context),
        ):
            async for batch in subscriber.batches():
                for logs in await sync_to_async(_log_batches)(principal, batch, min_level, source):
                    yield logs
