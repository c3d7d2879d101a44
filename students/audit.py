"""Who is writing, and the audit row every write of this app adds in its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

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


# Payload keys that hold personal data of the student a row is about.
PERSONAL_KEYS = ("name", "email")


def scrub_audit_of_student(*, student_id: int, code: str, new_code: str | None) -> int:
    """Remove a student's personal data from the audit trail; returns the rows changed.

    Rows about the student lose their `name`/`email` payload keys; with `new_code`, every
    mention of the old code (`code`, `student`, `students`) is replaced by it. The rows
    themselves, their actions, actors and times are kept. Call it inside the write's
    transaction. The payload is not indexed: this reads the rows that mention the code.
    """
    about_student = Q(target_type="student", target_id=str(student_id))
    mentions = Q(payload__student=code) | Q(payload__students__contains=[code])
    changed = []
    for row in ActionLog.objects.filter(about_student | mentions).select_for_update():
        payload = dict(row.payload)
        if row.target_type == "student" and row.target_id == str(student_id):
            for key in PERSONAL_KEYS:
                payload.pop(key, None)
            if new_code is not None and payload.get("code") == code:
                payload["code"] = new_code
        if new_code is not None:
            if payload.get("student") == code:
                payload["student"] = new_code
            if isinstance(payload.get("students"), list):
                payload["students"] = [new_code if c == code else c for c in payload["students"]]
        if payload != row.payload:
            row.payload = payload
            changed.append(row)
    ActionLog.objects.bulk_update(changed, ["payload"], batch_size=500)
    return len(changed)
