"""Objects of the `owner` user that other callers probe, each carrying a canary.

A canary in an answer to a caller who may not see the object is a leak. Chat data belongs
to one user (other users holding the permissions still must not reach it); learn,
monitoring and students data is shared by everyone holding the model permission.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# Types whose objects belong to one user (chat's); the rest is shared by permission holders.
OWNED_TYPES = frozenset({"Thread", "Message", "ApiKey", "UserPreference", "ContextSnapshot"})


@dataclass
class Probed:
    # label -> canary of data any permission holder may read (hidden from the others)
    canaries: dict[str, str] = field(default_factory=dict)
    # label -> canary of data only its owner may read
    owned_canaries: dict[str, str] = field(default_factory=dict)
    # GraphQL type name -> id of the owner's object of that type (for ID arguments)
    ids: dict[str, str] = field(default_factory=dict)
    # argument or input field name -> value (codes of the probed student and module, …)
    values: dict[str, object] = field(default_factory=dict)
    # types whose objects belong to one user
    owned: set[str] = field(default_factory=set)


def seed() -> Probed:
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(username="owner")
    probed = Probed()
    token = secrets.token_hex(6)
    _learn(probed, owner, token)
    _chat(probed, owner, token)
    _monitoring(probed, token)
    _students(probed, owner, token)
    return probed


def _learn(probed: Probed, owner, token: str) -> None:
    from learn import services

    canary = f"CANARY-learn-{token}"
    item = services.learn_item_create(created_by=owner, kind="good", notes=canary, tags=["x"])
    probed.canaries["learn item notes"] = canary
    probed.ids["LearnItem"] = str(item.pk)


def _chat(probed: Probed, owner, token: str) -> None:
    from chat import services
    from chat.models import ApiKey

    title = f"CANARY-thread-{token}"
    content = f"CANARY-message-{token}"
    thread = services.thread_create(owner=owner, id=f"thread_canary_{token}", title=title)
    message = services.message_append(
        user=owner, thread_id=thread.id, role="user", content=content, id=f"msg_canary_{token}"
    )
    # Distinctive usage totals: another user's usage answer must not show them.
    tokens_in = 7_654_321
    services.interaction_record(
        user=owner,
        api_key=None,
        thread_id=thread.id,
        prompt="canary prompt",
        user_message=services.MessageData(content=content + "-prompt"),
        assistant_message=services.MessageData(content=content + "-answer"),
        calls=[services.LLMCall(provider="canary", model="canary-model", tokens_in=tokens_in)],
    )
    preference = f"CANARY-preference-{token}"
    services.preference_set(user=owner, key="canary_pref", value={"note": preference})
    snapshot = f"CANARY-snapshot-{token}"
    saved = services.context_snapshot_save(
        user=owner, thread_id=thread.id, context={"note": snapshot}, client_id=f"snap-{token}"
    )
    key = ApiKey.objects.filter(user=owner).order_by("id").first()
    probed.owned_canaries.update(
        {
            "thread title": title,
            "message content": content,
            "usage tokens": str(tokens_in),
            "API key name": key.name,
            "preference": preference,
            "context snapshot": snapshot,
        }
    )
    probed.ids.update({"Thread": thread.id, "Message": message.id, "ApiKey": str(key.pk)})
    probed.values.update(
        {
            "threadId": thread.id,
            "key": "canary_pref",
            "ContextSnapshotSaveInput.clientId": saved.client_id,
        }
    )
    probed.ids["ContextSnapshot"] = str(saved.pk)
    probed.owned |= OWNED_TYPES


def _monitoring(probed: Probed, token: str) -> None:
    from django.utils import timezone

    from monitoring import services
    from monitoring.models import Level

    canary = f"CANARY-log-{token}"
    client_id = f"canary-{token}"
    outcome = services.logs_ingest(
        logs=[
            {
                "client_id": client_id,
                "timestamp": timezone.now(),
                "level": Level.ERROR.value,
                "source": "canary",
                "message": canary,
                "context": {},
            }
        ]
    )
    if outcome.errors or outcome.inserted != 1:
        raise RuntimeError(f"seeding the canary log failed: {outcome.errors}")
    result = services.result_record(
        target=f"CANARY-target-{token}", check_name="canary", status="ok"
    )
    probed.canaries.update({"log message": canary, "result target": result.target})
    probed.values["MonitoringLogInput.clientId"] = client_id
    probed.ids["MonitoringResult"] = str(result.pk)


def _students(probed: Probed, owner, token: str) -> None:
    from students import services
    from students.audit import Actor

    actor = Actor(user=owner)
    module = services.concept_module_create(actor=actor, code=f"m-{token}", title="Canary module")
    name = f"CANARY-student-{token}"
    student = services.student_create(
        actor=actor, code=f"s-{token}", name=name, email=f"canary-{token}@example.com"
    )
    draft = services.draft_submit(
        actor=actor, student=student.code, module=module.code, content=f"CANARY-draft-{token}"
    )
    services.assessment_record(
        actor=actor, student=student.code, module=module.code, kind="quiz", score=1, max_score=2
    )
    probed.canaries.update(
        {"student name": name, "student email": student.email, "draft": draft.content}
    )
    probed.values.update({"student": student.code, "module": module.code, "code": student.code})
    probed.ids.update({"Student": str(student.pk), "Draft": str(draft.pk)})
