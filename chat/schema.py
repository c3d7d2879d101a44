"""GraphQL entry points of the chat app (merged into config/schema.py).

Every signed-in user owns threads, messages, usage and API keys and sees only their own;
staff holding a model permission (chat.view_thread, …) see and change everyone's. Someone
else's thread reads as "not found".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from django.conf import settings
from django.contrib.auth import get_user_model
from strawberry.scalars import JSON

from chat import selectors, services
from chat.models import ApiKey, ContextSnapshot, Thread, UserPreference
from chat.services.access import thread_for
from chat.types import (
    THREAD_MESSAGES,
    ApiKeyCreateResultType,
    ApiKeyType,
    ContextSnapshotSaveInput,
    ContextSnapshotType,
    InteractionRecordInput,
    InteractionRecordResultType,
    LLMRequestFilter,
    LLMRequestType,
    MessageAppendInput,
    MessageType,
    ThreadCreateInput,
    ThreadFilter,
    ThreadOrder,
    ThreadType,
    ThreadUpdateInput,
    UsageBucketType,
    UsageBy,
    UsagePeriod,
    UsageReportType,
    UsageTodayType,
    UserPreferenceType,
)
from chat.validation import is_possible_id
from config.compiler import compiled_object
from config.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    Offset,
    Ordering,
    connection,
)
from config.context import Info, require_user
from config.errors import NotFound, invalid
from config.inputs import aware, database_id, input_data
from config.text import is_storable

ThreadId = Annotated[strawberry.ID, strawberry.argument(description="Thread id (any string).")]
PreferenceKey = Annotated[
    str, strawberry.argument(description="Preference name: letters, digits and . _ : -.")
]
UsageUser = Annotated[
    str | None,
    strawberry.argument(
        description="Another user's username (staff with the view permission); default you."
    ),
]


def usage_subject(info: Info, username: str | None, perm: str):
    """The caller, or the named user for staff holding `perm`; anyone else reads as unknown."""
    caller = require_user(info)
    if username is None or username == caller.get_username():
        return caller
    found = None
    if caller.is_staff and caller.has_perm(perm) and is_storable(username):
        found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise NotFound(f"No user named {username[:150]!r}.")
    return found


@strawberry.type
class Query:
    @strawberry.field(
        description="Your threads (staff with chat.view_thread: everyone's), most recently "
        "active first unless `ordering` says otherwise; a page of them."
    )
    def threads(
        self,
        info: Info,
        filters: Annotated[
            ThreadFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        ordering: Ordering[ThreadOrder] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[ThreadType]:
        return connection(
            selectors.thread_list(user=require_user(info)),
            info,
            filters=filters,
            ordering=ordering,
            order_type=ThreadOrder,
            first=first,
            after=after,
            last=last,
            before=before,
            offset=offset,
        )

    @strawberry_django.field(description="One thread by id; null when there is none you may see.")
    def thread(self, info: Info, id: ThreadId) -> ThreadType | None:
        threads = Thread.objects.visible_to(require_user(info)).by_id(id)
        return compiled_object(threads, info) or threads

    @strawberry.field(description="Your usage of today and the daily caps.")
    def usage_today(self, info: Info, user: UsageUser = None) -> UsageTodayType:
        user = usage_subject(info, user, "chat.view_usagedaily")
        return UsageTodayType(
            usage=selectors.usage_today(user=user),
            token_cap=settings.DAILY_TOKEN_CAP,
            cost_cap=settings.DAILY_COST_CAP,
        )

    @strawberry.field(
        description="Your model calls, tokens and cost from `from` to `to` (days in the "
        f"server time zone, at most {selectors.USAGE_MAX_DAYS}), per period and optionally "
        "per model or API key, with totals."
    )
    def usage(
        self,
        info: Info,
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day (included).")],
        group_by: Annotated[
            UsagePeriod, strawberry.argument(description="Period length (default DAY).")
        ] = UsagePeriod.DAY,
        by: Annotated[
            UsageBy, strawberry.argument(description="Also group by this (default NONE).")
        ] = UsageBy.NONE,
        user: UsageUser = None,
    ) -> UsageReportType:
        user = usage_subject(info, user, "chat.view_llmrequest")
        if end < start:
            raise invalid("usage: 'to' must not be before 'from'.", field="to")
        if (end - start).days + 1 > selectors.USAGE_MAX_DAYS:
            raise invalid(
                f"usage: at most {selectors.USAGE_MAX_DAYS} days per request.", field="to"
            )
        rows = selectors.usage_rows(
            user=user, start=start, end=end, period=group_by.value, by=by.value
        )
        buckets = [
            UsageBucketType(
                period=row.period,
                model=row.model,
                api_key_prefix=row.api_key_prefix,
                requests=row.requests,
                tokens_in=row.tokens_in,
                tokens_out=row.tokens_out,
                tokens=row.tokens_in + row.tokens_out,
                cost=row.cost,
            )
            for row in rows
        ]
        return UsageReportType(
            buckets=buckets,
            requests=sum(b.requests for b in buckets),
            tokens=sum(b.tokens for b in buckets),
            cost=sum((b.cost for b in buckets), Decimal(0)),
        )

    @strawberry.field(
        description="The LLM audit: your model calls (staff with chat.view_llmrequest: "
        "everyone's), newest first; a page of them, with provider, model, tokens, cost, "
        "latency and error."
    )
    def llm_requests(
        self,
        info: Info,
        filters: Annotated[
            LLMRequestFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[LLMRequestType]:
        requests = selectors.llm_request_list(user=require_user(info))
        return connection(
            requests,
            info,
            filters=filters,
            first=first,
            after=after,
            last=last,
            before=before,
            offset=offset,
        )

    @strawberry_django.field(description="Your API keys, newest first (never their secrets).")
    def api_keys(self, info: Info) -> list[ApiKeyType]:
        return ApiKey.objects.filter(user=require_user(info)).order_by("-created_at", "-id")

    @strawberry_django.field(description="Your preferences, by key; only the given `keys` if any.")
    def preferences(
        self,
        info: Info,
        keys: Annotated[
            list[str] | None, strawberry.argument(description="Only these keys.")
        ] = None,
    ) -> list[UserPreferenceType]:
        preferences = UserPreference.objects.filter(user=require_user(info)).order_by("key")
        if keys is not None:
            preferences = preferences.filter(key__in=[key for key in keys if is_possible_id(key)])
        return preferences

    @strawberry.field(
        description="A thread's context snapshots, newest first; a page of them. A thread you "
        "may not see is not found (error code NOT_FOUND)."
    )
    def context_snapshots(
        self,
        info: Info,
        thread_id: ThreadId,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[ContextSnapshotType]:
        thread = thread_for(require_user(info), thread_id)
        snapshots = ContextSnapshot.objects.filter(thread=thread).order_by("-created_at", "-id")
        return connection(
            snapshots, info, first=first, after=after, last=last, before=before, offset=offset
        )


@strawberry.type
class Mutation:
    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Create a thread. Idempotent: the same client id returns your existing "
        "thread unchanged; an id used by someone else is refused.",
    )
    def thread_create(
        self,
        info: Info,
        input: Annotated[ThreadCreateInput, strawberry.argument(description="The new thread.")],
    ) -> ThreadType:
        return services.thread_create(owner=require_user(info), **input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True, description="Change a thread's title, agent type or metadata."
    )
    def thread_update(
        self,
        info: Info,
        id: ThreadId,
        input: Annotated[ThreadUpdateInput, strawberry.argument(description="The changes.")],
    ) -> ThreadType:
        return services.thread_update(
            user=require_user(info), thread_id=id, changes=input_data(input)
        )

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete a thread and its messages; returns it as it was, messages included.",
    )
    def thread_delete(self, info: Info, id: ThreadId) -> ThreadType:
        user = require_user(info)
        # The answer shows the messages as they were: lock the thread (until the mutation's
        # transaction ends) and read the pages the answer selects before deleting.
        thread = thread_for(user, id, action="delete", lock=True)
        THREAD_MESSAGES.preload(thread, info, type_name="Thread", field="messages")
        services.thread_delete(user=user, thread_id=id)
        return thread

    @strawberry_django.mutation(
        handle_django_errors=True, description="Delete every message of a thread; it stays."
    )
    def thread_clear(self, info: Info, id: ThreadId) -> ThreadType:
        return services.thread_clear(user=require_user(info), thread_id=id)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Add a message to a thread (moves its updatedAt to the message time, never "
        "backwards nor past now). Idempotent on the client "
        "id: a retry returns the stored message.",
    )
    def message_append(
        self,
        info: Info,
        thread_id: ThreadId,
        input: Annotated[MessageAppendInput, strawberry.argument(description="The message.")],
    ) -> MessageType:
        return services.message_append(
            user=require_user(info), thread_id=thread_id, **input_data(input)
        )

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Record one prompt in one transaction: the user message, one LLM request "
        "and response per call (several in compare mode), one assistant message, the thread's "
        "updatedAt and today's usage. Over a daily cap nothing is written and the answer is an "
        "OperationInfo with code DAILY_CAP_REACHED. Idempotent on userMessage.id: the same "
        "recording again returns the stored one, writing and counting nothing.",
    )
    def interaction_record(
        self,
        info: Info,
        input: Annotated[
            InteractionRecordInput, strawberry.argument(description="The interaction.")
        ],
    ) -> InteractionRecordResultType:
        user = require_user(info)
        recorded = services.interaction_record(
            user=user,
            api_key=getattr(info.context.request, "api_key", None),
            thread_id=input.thread_id,
            prompt=input.prompt,
            user_message=services.MessageData(**vars(input.user_message)),
            assistant_message=services.MessageData(**vars(input.assistant_message)),
            calls=[services.LLMCall(**vars(call)) for call in input.calls],
            route_mode=input.route_mode,
        )
        return InteractionRecordResultType(
            thread=recorded.thread,
            user_message=recorded.user_message,
            assistant_message=recorded.assistant_message,
            requests=recorded.requests,
        )

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Create an API key for yourself; the plaintext is in the answer only.",
    )
    def api_key_create(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="What the key is for.")],
        expires_at: Annotated[
            datetime | None, strawberry.argument(description="Expiry; null: never expires.")
        ] = None,
    ) -> ApiKeyCreateResultType:
        user = require_user(info)
        key, raw_key = services.api_key_create(
            user=user,
            name=name,
            expires_at=aware(expires_at) if expires_at else None,
            created_by=user,
        )
        return ApiKeyCreateResultType(api_key=key, key=raw_key)

    @strawberry_django.mutation(
        handle_django_errors=True, description="Revoke one of your API keys (idempotent)."
    )
    def api_key_revoke(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Key id.")]
    ) -> ApiKeyType:
        user = require_user(info)
        keys = ApiKey.objects.all()
        if not (user.is_staff and user.has_perm("chat.change_apikey")):
            keys = keys.filter(user=user)
        pk = database_id(id)
        key = keys.filter(pk=pk).first() if pk is not None else None
        if key is None:
            raise NotFound(f"No API key with id {str(id)[:40]!r}.")
        return services.api_key_revoke(key=key)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Set one of your preferences (created or replaced).",
    )
    def preference_set(
        self,
        info: Info,
        key: PreferenceKey,
        value: Annotated[JSON, strawberry.argument(description="Any JSON value but null.")],
    ) -> UserPreferenceType:
        return services.preference_set(user=require_user(info), key=key, value=value)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Remove one of your preferences; returns it as it was.",
    )
    def preference_delete(self, info: Info, key: PreferenceKey) -> UserPreferenceType:
        return services.preference_delete(user=require_user(info), key=key)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Save a snapshot of a thread's context. Idempotent on the client id: the "
        "same snapshot again returns the stored one; the id with another thread or context is "
        "refused.",
    )
    def context_snapshot_save(
        self,
        info: Info,
        thread_id: ThreadId,
        input: Annotated[
            ContextSnapshotSaveInput, strawberry.argument(description="The snapshot.")
        ],
    ) -> ContextSnapshotType:
        return services.context_snapshot_save(
            user=require_user(info), thread_id=thread_id, **input_data(input)
        )
