"""Writes of what the LLM CLI keeps besides the conversation: a user's preferences and a
thread's context snapshots."""

from __future__ import annotations

import json

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chat.models import ContextSnapshot, UserPreference
from chat.services.access import thread_for
from chat.validation import is_possible_id
from config.errors import NotFound

PREFERENCE_VALUE_MAX_CHARS = 10_000
SNAPSHOT_CONTEXT_MAX_CHARS = 1_000_000
SNAPSHOT_ID_USED = (
    "Already used for another snapshot (another thread or context); a retry must send the "
    "same snapshot, a new snapshot needs a new id."
)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def preference_not_found(key: str) -> NotFound:
    return NotFound(f"No preference {key[:100]!r}.")


@transaction.atomic
def preference_set(*, user: AbstractBaseUser, key: str, value: object) -> UserPreference:
    """Create or replace one of the user's preferences, in one statement
    (`INSERT … ON CONFLICT (user_id, key) DO UPDATE`)."""
    if value is None:
        raise ValidationError({"value": "Must not be null (preferenceDelete removes a key)."})
    if len(canonical_json(value)) > PREFERENCE_VALUE_MAX_CHARS:
        raise ValidationError(
            {"value": f"At most {PREFERENCE_VALUE_MAX_CHARS:,} characters of JSON."}
        )
    preference = UserPreference(user=user, key=key, value=value, updated_at=timezone.now())
    preference.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    UserPreference.objects.bulk_create(
        [preference],
        update_conflicts=True,
        unique_fields=["user", "key"],
        update_fields=["value", "updated_at"],
    )
    return preference


@transaction.atomic
def preference_delete(*, user: AbstractBaseUser, key: str) -> UserPreference:
    """Remove one of the user's preferences; return it as it was."""
    preference = None
    if is_possible_id(key):  # any other string is simply not a key
        preference = UserPreference.objects.filter(user=user, key=key).select_for_update().first()
    if preference is None:
        raise preference_not_found(key)
    UserPreference.objects.filter(pk=preference.pk).delete()
    return preference


@transaction.atomic
def context_snapshot_save(
    *,
    user: AbstractBaseUser,
    thread_id: str,
    context: object,
    client_id: str | None = None,
) -> ContextSnapshot:
    """Save a snapshot of a thread's context.

    Idempotent on a client id (unique per user): `INSERT … ON CONFLICT DO NOTHING`, then the
    stored snapshot is returned if it has the same thread and context; otherwise refused.
    """
    thread = thread_for(user, thread_id, action="change")
    if context is None:
        raise ValidationError({"context": "Must not be null."})
    if len(canonical_json(context)) > SNAPSHOT_CONTEXT_MAX_CHARS:
        raise ValidationError(
            {"context": f"At most {SNAPSHOT_CONTEXT_MAX_CHARS:,} characters of JSON."}
        )
    snapshot = ContextSnapshot(
        user=user, thread=thread, client_id=client_id, context=context, created_at=timezone.now()
    )
    # The caller and a thread just looked up; the client id's uniqueness is the insert's.
    snapshot.full_clean(
        exclude=["user", "thread"], validate_unique=False, validate_constraints=False
    )
    if client_id is None:
        snapshot.save(force_insert=True)
        return snapshot
    ContextSnapshot.objects.bulk_create([snapshot], ignore_conflicts=True)
    stored = ContextSnapshot.objects.get(user=user, client_id=client_id)
    if stored.thread_id != thread.pk or canonical_json(stored.context) != canonical_json(context):
        raise ValidationError({"client_id": SNAPSHOT_ID_USED})
    return stored
