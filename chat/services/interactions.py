"""One user prompt, recorded in one transaction, within the daily caps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chat.models import ApiKey, LLMRequest, LLMResponse, Message, Thread
from chat.services.access import thread_for
from chat.services.threads import id_taken, new_message, touch_thread
from config.errors import DAILY_CAP_REACHED
from config.text import unstorable

MAX_CALLS = 10
COST_QUANTUM = Decimal("0.000001")
RECORDED_DIFFERENTLY = (
    "Already used for a different recording (another payload or another user); a retry must "
    "send the same recording, a new prompt needs a new id."
)

# One statement adds a recording to the day's totals, but only while they stay within the
# caps (NULL: no cap). A first row of the day is inserted only if the recording alone fits;
# an existing row is updated only if old + new fits (the WHERE of DO UPDATE sees the row as
# committed by concurrent recordings, which it waits for). No row back: over the cap.
USAGE_UPSERT_SQL = """
    INSERT INTO chat_usagedaily AS u (user_id, day, requests, tokens_in, tokens_out, cost)
    SELECT %(user)s, %(day)s, %(requests)s, %(tokens_in)s, %(tokens_out)s, %(cost)s
    WHERE (%(token_cap)s::bigint IS NULL OR %(tokens_in)s + %(tokens_out)s <= %(token_cap)s)
      AND (%(cost_cap)s::numeric IS NULL OR %(cost)s <= %(cost_cap)s)
    ON CONFLICT (user_id, day) DO UPDATE SET
        requests = u.requests + EXCLUDED.requests,
        tokens_in = u.tokens_in + EXCLUDED.tokens_in,
        tokens_out = u.tokens_out + EXCLUDED.tokens_out,
        cost = u.cost + EXCLUDED.cost
    WHERE (%(token_cap)s::bigint IS NULL
           OR u.tokens_in + u.tokens_out + EXCLUDED.tokens_in + EXCLUDED.tokens_out
              <= %(token_cap)s)
      AND (%(cost_cap)s::numeric IS NULL OR u.cost + EXCLUDED.cost <= %(cost_cap)s)
    RETURNING id
"""


@dataclass
class LLMCall:
    """One model's answer to the prompt, as the client measured it."""

    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost: Decimal = Decimal(0)
    latency_ms: int | None = None
    error: str = ""


@dataclass
class MessageData:
    content: str
    id: str | None = None
    type: str = "message"
    metadata: dict | None = None


@dataclass
class Interaction:
    thread: Thread
    user_message: Message
    assistant_message: Message
    requests: list[LLMRequest] = field(default_factory=list)


class DailyCapReached(ValidationError):
    def __init__(self, message: str):
        super().__init__(message, code=DAILY_CAP_REACHED)


def usage_add(
    *,
    user: AbstractBaseUser,
    day: date,
    requests: int,
    tokens_in: int,
    tokens_out: int,
    cost: Decimal,
) -> None:
    """Add to the user's totals of `day` in one statement; DailyCapReached if it would not fit."""
    token_cap = settings.DAILY_TOKEN_CAP
    cost_cap = settings.DAILY_COST_CAP
    params = {
        "user": user.pk,
        "day": day,
        "requests": requests,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost": cost,
        "token_cap": token_cap,
        "cost_cap": cost_cap,
    }
    with connection.cursor() as cursor:
        cursor.execute(USAGE_UPSERT_SQL, params)
        if cursor.fetchone() is not None:
            return
    caps = []
    if token_cap is not None:
        caps.append(f"{token_cap} tokens")
    if cost_cap is not None:
        caps.append(f"{cost_cap} in cost")
    raise DailyCapReached(
        f"Daily cap reached: recording this would exceed the daily cap of {' / '.join(caps)}."
    )


def prompt_digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()


@transaction.atomic
def interaction_record(
    *,
    user: AbstractBaseUser,
    api_key: ApiKey | None,
    thread_id: str,
    prompt: str,
    user_message: MessageData,
    assistant_message: MessageData,
    calls: Sequence[LLMCall],
    route_mode: str = "",
) -> Interaction:
    """Record one prompt: the user message, one request and response per model call (several
    in compare mode), one assistant message, the thread's activity time and the day's usage.

    Every call is validated first. The user message is inserted first (`ON CONFLICT DO
    NOTHING`): a retry of a recording already stored under its id gets that recording back,
    writing and counting nothing. Then the usage is added, in one statement that refuses to
    pass the daily caps; any failure afterwards rolls everything back.
    """
    if not 1 <= len(calls) <= MAX_CALLS:
        raise ValidationError({"calls": f"between 1 and {MAX_CALLS} model calls, got {len(calls)}"})
    thread = thread_for(user, thread_id, action="change")
    if problem := unstorable(prompt):
        raise ValidationError({"prompt": problem})
    now = timezone.now()
    stored_prompt = prompt if settings.LLM_STORE_PROMPT_TEXT else None
    pairs = [
        _validated_call(
            call,
            index,
            LLMRequest(
                user=user,
                api_key=api_key,
                thread=thread,
                route_mode=route_mode,
                prompt_sha256=prompt_digest(prompt),
                prompt_text=stored_prompt,
                created_at=now,
            ),
        )
        for index, call in enumerate(calls)
    ]
    asked = new_message(thread=thread, role=Message.Role.USER, created_at=now, **vars(user_message))
    answered = new_message(
        thread=thread, role=Message.Role.ASSISTANT, created_at=now, **vars(assistant_message)
    )
    asked.answer_id = answered.id
    asked.recording_sha256 = recording_digest(
        user=user,
        thread=thread,
        prompt=prompt,
        route_mode=route_mode,
        user_message=asked,
        assistant_message=assistant_message,
        answer=answered,
        calls=pairs,
    )
    if not _insert_prompt(asked):
        return _stored_recording(thread=thread, retried=asked)
    responses = [response for _, response in pairs]
    usage_add(
        user=user,
        day=timezone.localdate(now),
        requests=len(pairs),
        tokens_in=sum(response.tokens_in for response in responses),
        tokens_out=sum(response.tokens_out for response in responses),
        cost=sum((response.cost for response in responses), Decimal(0)),
    )
    requests = [request for request, _ in pairs]
    for request in requests:
        request.message = asked
    LLMRequest.objects.bulk_create(requests)
    for request, response in pairs:
        response.request = request
    LLMResponse.objects.bulk_create(responses)
    answered.created_at = timezone.now()
    _insert_message(answered, "assistant_message")
    touch_thread(thread, answered.created_at)
    return Interaction(
        thread=thread, user_message=asked, assistant_message=answered, requests=requests
    )


def recording_digest(
    *,
    user: AbstractBaseUser,
    thread: Thread,
    prompt: str,
    route_mode: str,
    user_message: Message,
    assistant_message: MessageData,
    answer: Message,
    calls: Sequence[tuple[LLMRequest, LLMResponse]],
) -> str:
    """SHA-256 of a recording as the client sent it (canonical JSON, values as stored): a retry
    under the same user message id must give the same digest to get the stored recording."""
    canonical = {
        "version": 1,
        "user": user.pk,
        "thread": thread.pk,
        "prompt_sha256": prompt_digest(prompt),
        "route_mode": route_mode,
        "user_message": _message_payload(user_message),
        # A generated answer id differs on every attempt: only a client id is part of it.
        "assistant_message": {**_message_payload(answer), "id": assistant_message.id},
        "calls": [
            {
                "provider": request.provider,
                "model": request.model,
                "tokens_in": response.tokens_in,
                "tokens_out": response.tokens_out,
                "cost": str(response.cost),
                "latency_ms": response.latency_ms,
                "error": response.error,
            }
            for request, response in calls
        ],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _message_payload(message: Message) -> dict:
    return {
        "id": message.id,
        "type": message.type,
        "content": message.content,
        "metadata": message.metadata,
    }


# The recording's user message, unless its id is taken (then nothing is written). A row being
# inserted under the same id by a concurrent transaction is waited for: if that one commits,
# this inserts nothing and the caller reads the committed recording.
INSERT_PROMPT_SQL = """
    INSERT INTO chat_message
        (id, thread_id, type, role, content, metadata, created_at, recording_sha256, answer_id)
    VALUES (%(id)s, %(thread)s, %(type)s, %(role)s, %(content)s, %(metadata)s::jsonb,
            %(created_at)s, %(recording_sha256)s, %(answer)s)
    ON CONFLICT (id) DO NOTHING
    RETURNING seq
"""


def _insert_prompt(message: Message) -> bool:
    """Insert the user message of a recording; False if its id is already taken."""
    params = {
        "id": message.id,
        "thread": message.thread_id,
        "type": message.type,
        "role": message.role,
        "content": message.content,
        "metadata": json.dumps(message.metadata),
        "created_at": message.created_at,
        "recording_sha256": message.recording_sha256,
        "answer": message.answer_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PROMPT_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.seq = row[0]
    message._state.adding = False
    message._state.db = connection.alias
    return True


def _stored_recording(*, thread: Thread, retried: Message) -> Interaction:
    """The recording stored under the retried user message's id, if the retry is the same
    recording (same thread, user and payload); otherwise a validation error naming the field."""
    stored = Message.objects.select_related("answer").filter(pk=retried.pk).first()
    if stored is None or stored.thread_id != thread.pk or not stored.recording_sha256:
        raise id_taken("user_message", prefix="id: ")
    if stored.recording_sha256 != retried.recording_sha256 or stored.answer is None:
        raise ValidationError({"user_message": f"id: {RECORDED_DIFFERENTLY}"})
    requests = list(
        LLMRequest.objects.filter(message=stored).select_related("response").order_by("id")
    )
    return Interaction(
        thread=thread, user_message=stored, assistant_message=stored.answer, requests=requests
    )


def to_camel_case(name: str) -> str:
    """tokens_out -> tokensOut, as the API names the field."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _insert_message(message: Message, field_name: str) -> None:
    """Insert; a client id already taken is refused (the whole recording rolls back)."""
    try:
        message.save(force_insert=True)
    except IntegrityError:
        raise id_taken(field_name, prefix="id: ") from None


def _validated_call(
    call: LLMCall, index: int, request: LLMRequest
) -> tuple[LLMRequest, LLMResponse]:
    """The call's request and response, validated before anything is written; errors name the
    call's position and the API field (calls[1].tokensOut)."""
    request.provider, request.model = call.provider, call.model
    response = LLMResponse(
        tokens_in=call.tokens_in,
        tokens_out=call.tokens_out,
        cost=call.cost,
        latency_ms=call.latency_ms,
        error=call.error,
        created_at=request.created_at,
    )
    try:
        if not call.cost.is_finite():
            raise ValidationError({"cost": "Must be a finite number."})
        # Foreign keys are set by this service, not by the client: not looked up again.
        request.full_clean(exclude=["user", "api_key", "thread", "message"])
        response.full_clean(exclude=["request"])
    except ValidationError as exc:
        problems = exc.message_dict.items()
        raise ValidationError(
            {
                "calls": [
                    f"calls[{index}].{to_camel_case(name)}: {m}"
                    for name, ms in problems
                    for m in ms
                ]
            }
        ) from None
    response.cost = response.cost.quantize(COST_QUANTUM)  # as stored: 0.001 -> 0.001000
    return request, response
