"""Who is writing, and the audit row every write of this app adds in its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from chat.models import ApiKey
from students.models import ActionLog


@dataclass(frozen=True)
class Actor:
    """The signed-in user and, when the request carried one, the API key it used."""

    user: AbstractBaseUser | None = None
    api_key: ApiKey | None = None

    @property
    def label(self) -> str:
        name = self.user.get_username() if self.user is not None else "system"
        return f"{name} (key {self.api_key.prefix})" if self.api_key is not None else name


SYSTEM = Actor()


def log_action(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = "",
    payload: Mapping[str, object] | None = None,
) -> ActionLog:
    """Add one audit row; call it inside the write's transaction."""
    return ActionLog.objects.create(
        actor=actor.user,
        api_key=actor.api_key,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        payload=dict(payload or {}),
    )
