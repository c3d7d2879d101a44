"""GraphQL types of the chat app: threads, messages, usage, API keys; filters and inputs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.contrib.auth import get_user_model
from django.db.models import Q
from strawberry import UNSET, auto
from strawberry.scalars import JSON

from chat import selectors
from chat.models import (
    ApiKey,
    ContextSnapshot,
    LLMRequest,
    Message,
    Thread,
    UsageDaily,
    UserPreference,
)
from config.connections import NestedList, nested_connection
from config.enums import choices_enum
from config.inputs import aware
from config.text import nothing_if_unstorable, nothing_if_unstorable_json

MessageRole = choices_enum(
    Message.Role,
    name="MessageRole",
    description="Who wrote a message.",
    values={
        "USER": "The person chatting.",
        "ASSISTANT": "The assistant's answer.",
        "MODEL": "A model's answer (agent backends).",
        "SYSTEM": "Instructions.",
        "TOOL": "A tool's output.",
    },
)


@strawberry_django.type(get_user_model(), name="ChatUser", description="A thread's owner.")
class ChatUserType:
    id: strawberry.ID = strawberry_django.field(description="User id.")
    username: str = strawberry_django.field(description="Login name.")


@strawberry.type(name="Message", description="One item of a thread.")
class MessageType:
    """A plain (not strawberry-django) type: its fields are read as attributes without a
    resolver each, which keeps long message lists cheap."""

    id: strawberry.ID = strawberry.field(description="Message id (any string).")
    thread_id: strawberry.ID = strawberry.field(description="The thread's id.")
    type: str = strawberry.field(description="Item type, e.g. 'message'.")
    role: MessageRole = strawberry.field(description="Who wrote it.")
    content: str = strawberry.field(description="The text.")
    metadata: JSON = strawberry.field(description="Free JSON object.")
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, (cls, Message))


# A thread's messages in their order, served by the index chat_message_thread_order.
THREAD_MESSAGES = NestedList(
    rows=lambda: Message.objects.order_by("created_at", "seq"), link="thread_id"
)


@strawberry_django.type(Thread, name="Thread", description="A conversation and its messages.")
class ThreadType:
    id: strawberry.ID = strawberry_django.field(description="Thread id (any string).")
    title: str = strawberry_django.field(description="Display title; may be empty.")
    agent_type: str = strawberry_django.field(description="Which agent serves it; may be empty.")
    metadata: JSON = strawberry_django.field(description="Free JSON object.")
    owner: ChatUserType = strawberry_django.field(description="The user it belongs to.")
    created_at: datetime = strawberry_django.field(description="When it was created.")
    updated_at: datetime = strawberry_django.field(
        description="Last activity: a change or a new message."
    )

    messages = nested_connection(
        THREAD_MESSAGES,
        MessageType,
        description="Messages in order, oldest first; a page of them (`first`/`after` from the "
        "oldest, `last`/`before` from the newest). Read for a whole list of threads in one "
        "statement, and at the same cost at any depth of a thread.",
    )


@strawberry_django.filter_type(
    Thread,
    name="ThreadFilter",
    description="Conditions a thread must all meet (fields left out do not filter).",
)
class ThreadFilter:
    @strawberry_django.filter_field(description="Exactly this agent type.")
    def agent_type(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}agent_type": value})

    @strawberry_django.filter_field(description="Threads of the user with this username.")
    def owner(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}owner__username": value})

    @strawberry_django.filter_field(
        description='Metadata containing this JSON object (e.g. {"mode": "full_book"}).'
    )
    def metadata_contains(self, value: JSON, prefix: str) -> Q:
        return nothing_if_unstorable_json(value) or Q(**{f"{prefix}metadata__contains": value})

    @strawberry_django.filter_field(
        description="Full-text search over message content: words (all must occur), "
        '"a phrase", -excluded, or. Case- and accent-sensitive stemming is not applied.'
    )
    def search(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or selectors.message_search_q(value, prefix)

    @strawberry_django.filter_field(description="Created at or after this time.")
    def created_from(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__gte": aware(value)})

    @strawberry_django.filter_field(description="Created strictly before this time.")
    def created_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__lt": aware(value)})

    @strawberry_django.filter_field(description="Active (updated) at or after this time.")
    def updated_from(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}updated_at__gte": aware(value)})

    @strawberry_django.filter_field(description="Last active strictly before this time.")
    def updated_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}updated_at__lt": aware(value)})


@strawberry_django.order_type(
    Thread,
    name="ThreadOrder",
    description="One sort key; pass a list for several. Default: most recently active first.",
)
class ThreadOrder:
    updated_at: auto = strawberry_django.order_field(description="By last activity.")
    created_at: auto = strawberry_django.order_field(description="By creation time.")
    title: auto = strawberry_django.order_field(description="By title.")
    id: auto = strawberry_django.order_field(description="By id.")


@strawberry.input(name="ThreadCreateInput", description="A new thread.")
class ThreadCreateInput:
    id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="Client id (e.g. 'thread_abc123def456'); generated when left out. "
        "Sending the same id again returns the existing thread.",
    )
    title: str | None = strawberry.field(
        default=UNSET, description="Display title; left out or null: empty."
    )
    agent_type: str | None = strawberry.field(
        default=UNSET, description="Which agent; left out or null: empty."
    )
    metadata: JSON | None = strawberry.field(
        default=UNSET, description="A JSON object; left out or null: {}."
    )
    created_at: datetime | None = strawberry.field(
        default=UNSET,
        description="When it was created, for backfills; left out or null: now. Not in the future.",
    )
    updated_at: datetime | None = strawberry.field(
        default=UNSET,
        description="Its last activity, for backfills; left out or null: createdAt. Not in the "
        "future nor before createdAt.",
    )


@strawberry.input(
    name="ThreadUpdateInput", description="Fields to change; fields left out stay as they are."
)
class ThreadUpdateInput:
    title: str | None = strawberry.field(
        default=UNSET, description="Display title; null clears it to empty."
    )
    agent_type: str | None = strawberry.field(
        default=UNSET, description="Which agent; null clears it to empty."
    )
    metadata: JSON | None = strawberry.field(
        default=UNSET, description="Replaces the metadata; null clears it to {}."
    )


@strawberry.input(name="MessageAppendInput", description="A new message.")
class MessageAppendInput:
    role: MessageRole = strawberry.field(description="Who wrote it.")
    content: str = strawberry.field(description="The text.")
    id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="Client id; generated when left out. Sending the same id again returns "
        "the stored message.",
    )
    type: str | None = strawberry.field(default=UNSET, description="Item type (default message).")
    metadata: JSON | None = strawberry.field(default=UNSET, description="A JSON object.")
    created_at: datetime | None = strawberry.field(
        default=UNSET,
        description="When it was written; default now (set it when importing). The "
        "thread's updatedAt moves to this time (never backwards, never past now).",
    )


@strawberry.input(name="InteractionMessageInput", description="A message of an interaction.")
class InteractionMessageInput:
    content: str = strawberry.field(description="The text.")
    id: strawberry.ID | None = strawberry.field(default=None, description="Client id.")
    type: str = strawberry.field(default="message", description="Item type.")
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")


@strawberry.input(name="LLMCallInput", description="One model's answer, as measured by the client.")
class LLMCallInput:
    provider: str = strawberry.field(description="The provider, e.g. 'openai'.")
    model: str = strawberry.field(description="The model, e.g. 'gpt-4o-mini'.")
    tokens_in: int = strawberry.field(default=0, description="Prompt tokens.")
    tokens_out: int = strawberry.field(default=0, description="Completion tokens.")
    cost: Decimal = strawberry.field(default=Decimal(0), description="Cost in the billing unit.")
    latency_ms: int | None = strawberry.field(default=None, description="Milliseconds.")
    error: str = strawberry.field(default="", description="The error, if the call failed.")


@strawberry.input(
    name="InteractionRecordInput",
    description="One user prompt and its answer(s); compare mode: several calls.",
)
class InteractionRecordInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread (must exist).")
    prompt: str = strawberry.field(
        description="The prompt sent to the model(s); stored as a SHA-256 hash, as text only "
        "when the deployment sets LLM_STORE_PROMPT_TEXT."
    )
    user_message: InteractionMessageInput = strawberry.field(
        description="What the user wrote. With a client id, a retry of the same recording "
        "returns the stored one; the id with another payload, thread or user is refused."
    )
    assistant_message: InteractionMessageInput = strawberry.field(
        description="The one answer shown (in compare mode: the summary or chosen answer)."
    )
    calls: list[LLMCallInput] = strawberry.field(description="1 to 10 model calls.")
    route_mode: str = strawberry.field(
        default="", description="How the prompt was routed, e.g. 'single' or 'compare'."
    )


@strawberry_django.type(
    LLMRequest, name="LLMRequest", description="One model call of an interaction (audit)."
)
class LLMRequestType:
    id: strawberry.ID = strawberry_django.field(description="Request id.")
    provider: str = strawberry_django.field(description="Provider.")
    model: str = strawberry_django.field(description="Model.")
    route_mode: str = strawberry_django.field(description="Route mode.")
    prompt_sha256: str = strawberry_django.field(description="SHA-256 of the prompt.")
    prompt_text: str | None = strawberry_django.field(
        description="The prompt; null unless the deployment stores prompt text."
    )
    created_at: datetime = strawberry_django.field(description="When it was recorded.")

    thread_id: strawberry.ID | None = strawberry_django.field(
        description="The thread it was for; null when none (or the thread was deleted)."
    )
    user: ChatUserType = strawberry_django.field(description="Whose call it was.")

    @strawberry_django.field(
        description="Prefix of the API key it was made with; null without a key (or the key "
        "was deleted).",
        select_related=["api_key"],
        only=["api_key__prefix"],
    )
    def api_key_prefix(self) -> str | None:
        return self.api_key.prefix if self.api_key_id else None

    @strawberry_django.field(
        description="How long the provider took, in milliseconds; null when not reported.",
        select_related=["response"],
    )
    def latency_ms(self) -> int | None:
        return self.response.latency_ms

    @strawberry_django.field(description="Prompt tokens.", select_related=["response"])
    def tokens_in(self) -> int:
        return self.response.tokens_in

    @strawberry_django.field(description="Completion tokens.", select_related=["response"])
    def tokens_out(self) -> int:
        return self.response.tokens_out

    @strawberry_django.field(description="Cost.", select_related=["response"])
    def cost(self) -> Decimal:
        return self.response.cost

    @strawberry_django.field(
        description="Error text; empty on success.", select_related=["response"]
    )
    def error(self) -> str:
        return self.response.error


@strawberry.type(name="InteractionRecordResult", description="What interactionRecord wrote.")
class InteractionRecordResultType:
    thread: ThreadType = strawberry.field(description="The thread, with its new updatedAt.")
    user_message: MessageType = strawberry.field(description="The user's message.")
    assistant_message: MessageType = strawberry.field(description="The assistant's message.")
    requests: list[LLMRequestType] = strawberry.field(description="One per model call.")


@strawberry_django.type(UsageDaily, name="UsageDay", description="A user's totals of one day.")
class UsageDayType:
    day: date = strawberry_django.field(description="Calendar day (server time zone).")
    requests: int = strawberry_django.field(description="Model calls.")
    tokens_in: int = strawberry_django.field(description="Prompt tokens.")
    tokens_out: int = strawberry_django.field(description="Completion tokens.")
    cost: Decimal = strawberry_django.field(description="Cost.")

    @strawberry_django.field(
        description="The sum of tokensIn and tokensOut.", only=["tokens_in", "tokens_out"]
    )
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


@strawberry.type(name="UsageToday", description="Today's totals and the daily caps.")
class UsageTodayType:
    usage: UsageDayType = strawberry.field(description="Totals so far today.")
    token_cap: int | None = strawberry.field(description="Daily token cap; null: none.")
    cost_cap: Decimal | None = strawberry.field(description="Daily cost cap; null: none.")


@strawberry.enum(name="UsagePeriod", description="How usage is grouped in time.")
class UsagePeriod(enum.Enum):
    DAY = strawberry.enum_value("day", description="Per calendar day.")
    WEEK = strawberry.enum_value("week", description="Per ISO week (starting Monday).")
    MONTH = strawberry.enum_value("month", description="Per calendar month.")


@strawberry.enum(name="UsageBy", description="What else usage is grouped by.")
class UsageBy(enum.Enum):
    MODEL = strawberry.enum_value("model", description="Per model.")
    API_KEY = strawberry.enum_value("api_key", description="Per API key (null: admin session).")
    NONE = strawberry.enum_value("none", description="Nothing else.")


@strawberry.type(name="UsageBucket", description="Totals of one period (and model or key).")
class UsageBucketType:
    period: date = strawberry.field(description="First day of the period.")
    model: str | None = strawberry.field(description="The model, when grouped by MODEL.")
    api_key_prefix: str | None = strawberry.field(
        description="The key's prefix, when grouped by API_KEY; null for no key."
    )
    requests: int = strawberry.field(description="Model calls.")
    tokens_in: int = strawberry.field(description="Prompt tokens.")
    tokens_out: int = strawberry.field(description="Completion tokens.")
    tokens: int = strawberry.field(description="The sum of tokensIn and tokensOut.")
    cost: Decimal = strawberry.field(description="Cost.")


@strawberry.type(name="UsageReport", description="Usage over a range of days.")
class UsageReportType:
    buckets: list[UsageBucketType] = strawberry.field(description="Per period, in order.")
    requests: int = strawberry.field(description="Total model calls.")
    tokens: int = strawberry.field(description="Total tokens.")
    cost: Decimal = strawberry.field(description="Total cost.")


@strawberry_django.type(ApiKey, name="ApiKey", description="An API key (never its secret).")
class ApiKeyType:
    id: strawberry.ID = strawberry_django.field(description="Key id.")
    name: str = strawberry_django.field(description="What the key is for.")
    prefix: str = strawberry_django.field(description="Public prefix (dk_<prefix>_…).")
    created_at: datetime = strawberry_django.field(description="When it was created.")
    expires_at: datetime | None = strawberry_django.field(description="Expiry; null: never.")
    revoked_at: datetime | None = strawberry_django.field(description="Revocation; null: active.")
    last_used_at: datetime | None = strawberry_django.field(description="Last use (to a minute).")


@strawberry.type(name="ApiKeyCreateResult", description="A new key and its plaintext.")
class ApiKeyCreateResultType:
    api_key: ApiKeyType = strawberry.field(description="The stored key.")
    key: str = strawberry.field(
        description="The plaintext key: shown this once, never stored. Send it as "
        "'Authorization: Bearer <key>'."
    )


@strawberry_django.type(
    UserPreference, name="UserPreference", description="One of your settings, as JSON."
)
class UserPreferenceType:
    key: str = strawberry_django.field(
        description="Its name (e.g. 'research_mode'): letters, digits and . _ : -."
    )
    value: JSON = strawberry_django.field(description="Any JSON value but null.")
    updated_at: datetime = strawberry_django.field(description="When it was last set.")


@strawberry_django.type(
    ContextSnapshot,
    name="ContextSnapshot",
    description="A saved context of a thread (e.g. the prompt history the client built), to "
    "resume the conversation from.",
)
class ContextSnapshotType:
    id: strawberry.ID = strawberry_django.field(description="Snapshot id (assigned).")
    client_id: strawberry.ID | None = strawberry_django.field(
        description="The client's id for it; null when none was given."
    )
    context: JSON = strawberry_django.field(description="The saved context (any JSON but null).")
    saved_by: ChatUserType = strawberry_django.field(field_name="user", description="Who saved it.")
    created_at: datetime = strawberry_django.field(description="When it was saved.")

    @strawberry_django.field(description="The thread's id.", only=["thread_id"])
    def thread_id(self) -> strawberry.ID:
        return self.thread_id


@strawberry.input(name="ContextSnapshotSaveInput", description="A new context snapshot.")
class ContextSnapshotSaveInput:
    context: JSON = strawberry.field(description="The context to save (any JSON but null).")
    client_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="Client id, unique among your snapshots: sending the same snapshot again "
        "returns the stored one.",
    )


@strawberry_django.filter_type(
    LLMRequest,
    name="LLMRequestFilter",
    description="Conditions an LLM request must all meet (fields left out do not filter).",
)
class LLMRequestFilter:
    @strawberry_django.filter_field(description="Only the calls made for this thread.")
    def thread_id(self, value: strawberry.ID, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}thread_id": value})

    @strawberry_django.filter_field(description="Only this model, e.g. 'gpt-4o'.")
    def model(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}model": value})

    @strawberry_django.filter_field(description="Only this provider, e.g. 'openai'.")
    def provider(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}provider": value})

    @strawberry_django.filter_field(description="Only the calls made with the key of this prefix.")
    def api_key_prefix(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}api_key__prefix": value})

    @strawberry_django.filter_field(
        description="Only the calls of this day (in the server's time zone, as `usage`)."
    )
    def day(self, value: date, prefix: str) -> Q:
        start, end = selectors.day_bounds(value)
        return Q(**{f"{prefix}created_at__gte": start, f"{prefix}created_at__lt": end})
