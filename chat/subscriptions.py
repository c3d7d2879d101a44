"""Chat subscriptions: a thread's new messages and events, and the caller's thread list.

Visibility is the queries' own (Thread.objects.visible_to), checked when the stream starts and
again, with the caller's key and account, before every batch of events: for all of a poll's
subscribers at once (a fixed number of statements), each event built once and shared by every
subscriber who may see it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from strawberry.tools import merge_types

from chat.models import Message, Thread
from chat.types import MessageType
from config.errors import NotFound
from config.realtime.auth import Principal, Standing, principal_of, standings
from config.realtime.cursor import Cursor, parse_cursor
from config.realtime.delivery import Wanted
from config.realtime.hub import Event, hub
from config.realtime.rendering import shared
from config.realtime.ws import held_open


@strawberry.enum(name="ThreadEventKind", description="What happened to the thread.")
class ThreadEventKind(Enum):
    MESSAGE_ADDED = strawberry.enum_value("message_added", description="A message was appended.")
    THREAD_CREATED = strawberry.enum_value("thread_created", description="The thread was created.")
    THREAD_UPDATED = strawberry.enum_value(
        "thread_updated", description="Its title, agent type or metadata changed."
    )
    THREAD_CLEARED = strawberry.enum_value(
        "thread_cleared", description="Its messages were deleted (threadClear); no message."
    )
    THREAD_DELETED = strawberry.enum_value(
        "thread_deleted", description="The thread was deleted; the stream ends."
    )


@strawberry.type(name="ThreadEvent", description="One event of a thread, in commit order.")
class ThreadEventType:
    cursor: str = strawberry.field(
        description="Pass back as `cursor` to resume after this event without gaps."
    )
    kind: ThreadEventKind = strawberry.field(description="What happened.")
    thread_id: strawberry.ID = strawberry.field(description="The thread's id.")
    message: MessageType | None = strawberry.field(description="The new message (MESSAGE_ADDED).")


CursorArg = Annotated[
    str | None,
    strawberry.argument(description="Resume after this event's cursor (from a previous stream)."),
]


def _visible_thread(principal: Principal, thread_id: str) -> None:
    user = principal.user()
    if not Thread.objects.visible_to(user).by_id(thread_id).exists():
        raise NotFound("messageAdded: no thread with this id that you may see.")


VIEW_THREAD = "chat.view_thread"


def _sees(standing: Standing, owner_id: int | None) -> bool:
    """Thread.objects.visible_to(user) for one thread, from a standing read for many users at
    once: own threads; every thread for staff holding chat.view_thread (a test compares the
    two for every kind of user)."""
    if owner_id is None:
        return False
    return owner_id == standing.user_id or (standing.is_staff and standing.has_perm(VIEW_THREAD))


def _thread_events(wanted: Wanted) -> list[list | BaseException]:
    """A poll of the thread topic for all its subscribers, in three statements: their standing,
    the threads' owners, the new messages. Each event becomes one ThreadEvent, shared."""
    by_principal = standings({s.principal for s, _ in wanted}, [VIEW_THREAD])
    owners = dict(
        Thread.objects.filter(pk__in={s.key for s, _ in wanted}).values_list("pk", "owner_id")
    )
    ids = {e.ref for _, batch in wanted for e in batch if e.kind == "message_added"}
    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids)} if ids else {}
    values: dict[Cursor, ThreadEventType | None] = {}

    def built(event: Event) -> ThreadEventType | None:
        if event.cursor not in values:
            added = event.kind == "message_added"
            message = messages.get(event.ref) if added else None
            if added and (message is None or message.thread_id != event.key):
                values[event.cursor] = None  # appended, then deleted before we read it
            else:
                values[event.cursor] = shared(
                    ThreadEventType(
                        cursor=str(event.cursor),
                        kind=ThreadEventKind(event.kind),
                        thread_id=event.key,
                        message=message,
                    )
                )
        return values[event.cursor]

    prepared: list[list | BaseException] = []
    for subscriber, batch in wanted:
        standing = by_principal[subscriber.principal]
        deleted = any(e.kind == "thread_deleted" for e in batch)
        if not isinstance(standing, Standing):
            prepared.append(standing)
        elif not deleted and not _sees(standing, owners.get(subscriber.key)):
            prepared.append(PermissionDenied("messageAdded: you may no longer see this thread."))
        else:
            prepared.append([e for e in map(built, batch) if e is not None])
    return prepared


@strawberry.type
class ThreadSubscription:
    @strawberry.subscription(
        description="The thread's new messages in order, and its own events (updated, cleared, "
        "deleted: then the stream ends). Errors: UNAUTHENTICATED (no key, or the key or the "
        "account stopped being valid), NOT_FOUND (no such thread you may see), FORBIDDEN "
        "(visibility lost), SLOW_CONSUMER, TOO_MANY_SUBSCRIPTIONS."
    )
    async def message_added(
        self,
        info: strawberry.Info,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
        cursor: CursorArg = None,
    ) -> AsyncGenerator[ThreadEventType, None]:
        context = info.context
        principal = principal_of(context)
        after = parse_cursor(cursor or _last_event_id(context), field="messageAdded.cursor")
        await sync_to_async(_visible_thread)(principal, thread_id)
        async with (
            hub.subscribe(
                topic="thread",
                key=str(thread_id),
                user_id=principal.user_id,
                after=after,
                principal=principal,
            ) as subscriber,
            held_open(context),
        ):
            async for batch in subscriber.batches():
                for event in batch:
                    _remember(context, event.cursor)
                    yield event
                    if event.kind is ThreadEventKind.THREAD_DELETED:
                        return


def _thread_list_key(principal: Principal) -> str | None:
    """The owner whose threads the caller sees; None when visible_to leaves every thread
    visible (staff), so the rule stays the queries' own. Each batch is filtered by it again."""
    user = principal.user()
    return None if not Thread.objects.visible_to(user).query.has_filters() else str(user.pk)


def _thread_changes(wanted: Wanted) -> list[list | BaseException]:
    """A poll of the owner topic for all its subscribers, in two statements: their standing and
    the changed threads' owners. Each event is delivered to those who may see the thread."""
    by_principal = standings({s.principal for s, _ in wanted}, [VIEW_THREAD])
    changed = {e.ref for _, batch in wanted for e in batch if e.kind != "thread_deleted"}
    owners = dict(Thread.objects.filter(pk__in=changed).values_list("pk", "owner_id"))
    values: dict[Cursor, ThreadEventType] = {}

    def built(event: Event) -> ThreadEventType:
        if event.cursor not in values:
            values[event.cursor] = shared(
                ThreadEventType(
                    cursor=str(event.cursor),
                    kind=ThreadEventKind(event.kind),
                    thread_id=event.ref,
                    message=None,
                )
            )
        return values[event.cursor]

    prepared: list[list | BaseException] = []
    for subscriber, batch in wanted:
        standing = by_principal[subscriber.principal]
        if not isinstance(standing, Standing):
            prepared.append(standing)
            continue
        prepared.append(
            [
                built(e)
                for e in batch
                if e.kind == "thread_deleted" or _sees(standing, owners.get(e.ref))
            ]
        )
    return prepared


@strawberry.type
class ThreadListSubscription:
    @strawberry.subscription(
        description="Your thread list changing (THREAD_CREATED, THREAD_UPDATED, THREAD_DELETED), "
        "for sidebars; staff with chat.view_thread hear of everyone's. Errors as messageAdded."
    )
    async def thread_changed(
        self, info: strawberry.Info, cursor: CursorArg = None
    ) -> AsyncGenerator[ThreadEventType, None]:
        context = info.context
        principal = principal_of(context)
        after = parse_cursor(cursor or _last_event_id(context), field="threadChanged.cursor")
        key = await sync_to_async(_thread_list_key)(principal)
        async with (
            hub.subscribe(
                topic="owner", key=key, user_id=principal.user_id, after=after, principal=principal
            ) as subscriber,
            held_open(context),
        ):
            async for batch in subscriber.batches():
                for event in batch:
                    _remember(context, event.cursor)
                    yield event


def _last_event_id(context) -> str | None:
    return context.get("last_event_id") if isinstance(context, dict) else None


def _remember(context, cursor: str) -> None:
    if isinstance(context, dict):
        context["cursor"] = cursor


hub.resolvers.register("thread", _thread_events)
hub.resolvers.register("owner", _thread_changes)

Subscription = merge_types("ChatSubscription", (ThreadSubscription, ThreadListSubscription))
