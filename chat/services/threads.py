"""Writes to threads and messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import Message, Thread
from chat.services.access import thread_for
from chat.services.purge import messages_delete, threads_delete
from chat.validation import generate_object_id
from config.errors import CONFLICT

# The editable fields and the empty value `null` stands for (on create: the default; on
# update: the field cleared).
THREAD_EMPTY_VALUES = {"title": "", "agent_type": "", "metadata": dict}
THREAD_EDITABLE_FIELDS = frozenset(THREAD_EMPTY_VALUES)
# Client-chosen thread and message ids are global: an id already used (by anyone, in any
# thread) answers this one refusal, which never says whose it is or where it is used.
ID_TAKEN = "This id cannot be used; choose another."
ID_TAKEN_CODE = CONFLICT


def id_taken(field: str, *, prefix: str = "") -> ValidationError:
    """The refusal of a client id already in use, the same whoever holds it."""
    return ValidationError({field: ValidationError(prefix + ID_TAKEN, code=ID_TAKEN_CODE)})


@transaction.atomic
def thread_create(
    *,
    owner: AbstractBaseUser,
    id: str | None = None,
    title: str | None = "",
    agent_type: str | None = "",
    metadata: dict | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
) -> Thread:
    """Create a thread; with a client id already used by `owner`, return that thread as is.

    None for title, agent type or metadata means "not given": the empty default. The times
    are for backfills: `created_at` defaults to now, `updated_at` to `created_at`; neither may
    lie in the future and `updated_at` may not precede `created_at`.

    `INSERT … ON CONFLICT DO NOTHING`, so concurrent retries of the same create all get the
    one thread. An id used by another user is refused.
    """
    thread = Thread(
        id=id or generate_object_id("thread"),
        owner=owner,
        title=empty_if_none("title", title),
        agent_type=empty_if_none("agent_type", agent_type),
        metadata=empty_if_none("metadata", metadata),
    )
    now = timezone.now()
    thread.created_at = created_at or now
    thread.updated_at = updated_at or thread.created_at
    check_backfill_times(thread, now=now)
    thread.full_clean(validate_unique=False, exclude=["owner"])  # the caller, not client input
    Thread.objects.bulk_create([thread], ignore_conflicts=True)
    stored = Thread.objects.get(pk=thread.id)
    if stored.owner_id != owner.pk:
        raise id_taken("id")
    return stored


@transaction.atomic
def thread_update(*, user: AbstractBaseUser, thread_id: str, changes: Mapping[str, object]):
    """Change the title, agent type or metadata of a thread; None clears one to empty."""
    unknown = set(changes) - THREAD_EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    thread = thread_for(user, thread_id, action="change", lock=True)
    if not changes:
        return thread
    for name, value in changes.items():
        setattr(thread, name, empty_if_none(name, value))
    thread.updated_at = timezone.now()
    thread.full_clean(validate_unique=False, exclude=["owner"])  # the caller, not client input
    thread.save(update_fields=[*changes, "updated_at"])
    return thread


def check_backfill_times(thread: Thread, *, now: datetime) -> None:
    errors = {}
    if thread.created_at > now:
        errors["created_at"] = ValidationError("Must not be in the future.", code="invalid")
    if thread.updated_at > now:
        errors["updated_at"] = ValidationError("Must not be in the future.", code="invalid")
    elif thread.updated_at < thread.created_at:
        errors["updated_at"] = ValidationError("Must not be before createdAt.", code="invalid")
    if errors:
        raise ValidationError(errors)


def empty_if_none(name: str, value):
    """The value, or for None the field's empty value ("" or a new {})."""
    if value is not None:
        return value
    empty = THREAD_EMPTY_VALUES[name]
    return empty() if callable(empty) else empty


@transaction.atomic
def thread_delete(*, user: AbstractBaseUser, thread_id: str) -> Thread:
    """Delete a thread with its messages; the returned copy keeps its id."""
    thread = thread_for(user, thread_id, action="delete", lock=True)
    threads_delete(thread_ids=[thread.pk])
    return thread


@transaction.atomic
def thread_clear(*, user: AbstractBaseUser, thread_id: str) -> Thread:
    """Delete every message of a thread; the thread stays."""
    thread = thread_for(user, thread_id, action="change", lock=True)
    messages_delete(thread_ids=[thread.pk])
    thread.updated_at = timezone.now()
    thread.save(update_fields=["updated_at"])
    return thread


def new_message(
    *,
    thread: Thread,
    role: str,
    content: str,
    id: str | None = None,
    type: str = "message",
    metadata: dict | None = None,
    created_at: datetime | None = None,
) -> Message:
    """A validated, unsaved message."""
    message = Message(
        id=id or generate_object_id("msg"),
        thread=thread,
        role=role,
        content=content,
        type=type,
        metadata={} if metadata is None else metadata,
        created_at=created_at or timezone.now(),
    )
    # The thread was just looked up; uniqueness and the role check are left to the database.
    message.full_clean(validate_unique=False, validate_constraints=False, exclude=["seq", "thread"])
    return message


def touch_thread(thread: Thread, at: datetime) -> None:
    """Bump the thread's activity time (never backwards)."""
    Thread.objects.filter(pk=thread.pk, updated_at__lt=at).update(updated_at=at)
    thread.updated_at = max(thread.updated_at, at)


@transaction.atomic
def message_append(*, user: AbstractBaseUser, thread_id: str, **fields) -> Message:
    """Add a message to a thread and bump its updated_at to the message's time.

    The thread's updated_at becomes max(updated_at, min(message created_at, now)): a backfilled
    message with an old created_at does not make an idle thread look active, and a message
    dated in the future does not keep its thread from being purged.

    Idempotent on a client-supplied id: a retry returns the stored message unchanged.
    """
    thread = thread_for(user, thread_id, action="change")
    message = new_message(thread=thread, **fields)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        stored = Message.objects.filter(pk=message.id).first()
        if stored is None or stored.thread_id != thread.pk:
            raise id_taken("id") from None
        return stored
    touch_thread(thread, min(message.created_at, timezone.now()))
    return message
