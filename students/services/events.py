"""Learning events, one at a time or in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from config.text import is_storable
from students.audit import Actor, log_action
from students.models import ConceptModule, LearningEvent, Student
from students.performance import performance_recompute

EVENTS_BATCH_MAX = 1000

# A replayed batch (same event ids) stores each event once; the rows arrive as arrays.
EVENTS_INSERT_SQL = """
    INSERT INTO students_learningevent
        (student_id, module_id, event_type, occurred_at, duration_s, metadata, event_id)
    SELECT * FROM unnest(
        %s::bigint[], %s::bigint[], %s::varchar[], %s::timestamptz[], %s::integer[],
        %s::jsonb[], %s::uuid[]
    )
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id
"""


def _event_rows(events: Sequence[Mapping[str, object]]) -> list[LearningEvent]:
    """Validate a batch with two lookups in all (students, modules); errors name the index."""
    # Codes the database cannot hold (NUL, lone surrogate) are simply unknown.
    codes = {e["student"] for e in events if is_storable(e["student"])}
    module_codes = {e["module"] for e in events if e.get("module") and is_storable(e["module"])}
    students = dict(Student.objects.filter(code__in=codes).values_list("code", "pk"))
    modules = dict(ConceptModule.objects.filter(code__in=module_codes).values_list("code", "pk"))
    rows: list[LearningEvent] = []
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    for index, data in enumerate(events):
        problems = []
        student_id = students.get(data["student"])
        if student_id is None:
            problems.append(("student", f"No student with code {data['student']!r}."))
        module_id = None
        if data.get("module"):
            module_id = modules.get(data["module"])
            if module_id is None:
                problems.append(("module", f"No concept module with code {data['module']!r}."))
        event = LearningEvent(
            student_id=student_id,
            module_id=module_id,
            event_type=data["event_type"],
            occurred_at=data.get("occurred_at") or now,
            duration_s=data.get("duration_s"),
            metadata=data.get("metadata") if data.get("metadata") is not None else {},
            event_id=data.get("event_id"),
        )
        try:
            event.full_clean(
                exclude=["student", "module"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            problems.extend(
                (name, message)
                for name, messages in exc.message_dict.items()
                for message in messages
            )
        if not isinstance(event.metadata, dict):
            problems.append(("metadata", "Must be a JSON object."))
        for name, message in problems:
            label = f"events[{index}]: {message}" if len(events) > 1 else message
            errors.setdefault(name, []).append(label)
        rows.append(event)
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def learning_events_record(
    *, actor: Actor, events: Sequence[Mapping[str, object]]
) -> list[LearningEvent]:
    """Store up to EVENTS_BATCH_MAX events in one statement; all or nothing.

    Events carrying an `event_id` already stored are skipped (replays are harmless); the
    result lists the events stored by this call.
    """
    if not events:
        raise ValidationError({"events": "Give at least one event."})
    if len(events) > EVENTS_BATCH_MAX:
        raise ValidationError(
            {"events": f"At most {EVENTS_BATCH_MAX} events per call, got {len(events)}."}
        )
    rows = _event_rows(events)
    columns = zip(
        *(
            (
                e.student_id,
                e.module_id,
                e.event_type,
                e.occurred_at,
                e.duration_s,
                Jsonb(e.metadata),
                e.event_id,
            )
            for e in rows
        ),
        strict=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_INSERT_SQL, [list(column) for column in columns])
        ids = [row[0] for row in cursor.fetchall()]
    stored = list(LearningEvent.objects.filter(pk__in=ids).select_related("module").order_by("id"))
    student_ids = {e.student_id for e in stored}
    performance_recompute(student_ids=student_ids)
    single = len(events) == 1
    log_action(
        actor=actor,
        action="learning_event.record" if single else "learning_event.record_batch",
        target_type="learning_event",
        target_id=ids[0] if single and ids else "",
        payload={
            "received": len(events),
            "stored": len(ids),
            "students": sorted({str(e["student"]) for e in events}),
        },
    )
    return stored
