"""Every write of the students app; each one adds an ActionLog row in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from psycopg.types.json import Jsonb

from config.errors import NotFound
from students.audit import Actor, log_action
from students.models import (
    Assessment,
    AttemptHistory,
    ConceptModule,
    Draft,
    LearningEvent,
    Student,
)
from students.performance import performance_recompute
from students.risk import dropout_risk_compute  # noqa: F401  (re-exported: one services module)

STUDENT_EDITABLE = frozenset({"name", "email", "status", "enrolled_at"})
EVENTS_BATCH_MAX = 1000
DUPLICATE_EMAIL = "A student with this email already exists."
DUPLICATE_CODE = "A student with this code already exists."

# One statement: the assessment row is created or its attempt counter bumped, under the
# row lock the upsert takes, so concurrent attempts get 1, 2, 3 … and a rolled-back one
# leaves no gap. The latest result is the one with the latest taken_at.
ASSESSMENT_UPSERT_SQL = """
    INSERT INTO students_assessment
        (student_id, module_id, kind, title, score, max_score, taken_at, attempt_count)
    VALUES (%(student)s, %(module)s, %(kind)s, %(title)s, %(score)s, %(max_score)s,
            %(taken_at)s, 1)
    ON CONFLICT (student_id, module_id, kind, title) DO UPDATE SET
        attempt_count = students_assessment.attempt_count + 1,
        score = CASE WHEN EXCLUDED.taken_at >= students_assessment.taken_at
                     THEN EXCLUDED.score ELSE students_assessment.score END,
        max_score = CASE WHEN EXCLUDED.taken_at >= students_assessment.taken_at
                         THEN EXCLUDED.max_score ELSE students_assessment.max_score END,
        taken_at = greatest(EXCLUDED.taken_at, students_assessment.taken_at)
    RETURNING id, attempt_count
"""

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


def student_by_code(code: str, *, field: str = "student", lock: bool = False) -> Student:
    queryset = Student.objects.filter(code=code)
    if lock:
        queryset = queryset.select_for_update()
    student = queryset.first()
    if student is None:
        raise ValidationError({field: f"No student with code {code!r}."})
    return student


def module_by_code(code: str, *, field: str = "module") -> ConceptModule:
    module = ConceptModule.objects.filter(code=code).first()
    if module is None:
        raise ValidationError({field: f"No concept module with code {code!r}."})
    return module


def _check_email_free(student: Student) -> None:
    taken = (
        Student.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=student.email.lower())
        .exclude(pk=student.pk)
        .exists()
    )
    if taken:
        raise ValidationError({"email": DUPLICATE_EMAIL})


def _save_student(student: Student, **save_kwargs) -> None:
    """Save; a concurrent duplicate the checks could not see still reads as a field error."""
    try:
        with transaction.atomic():
            student.save(**save_kwargs)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "email" in constraint:
            raise ValidationError({"email": DUPLICATE_EMAIL}) from exc
        if "code" in constraint:
            raise ValidationError({"code": DUPLICATE_CODE}) from exc
        raise


def _clean_student(student: Student) -> None:
    errors: dict[str, list[str]] = {}
    try:
        student.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
    if "email" not in errors and student.email:
        try:
            _check_email_free(student)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def student_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    email: str,
    status: str = Student.Status.ACTIVE,
    enrolled_at: datetime | None = None,
) -> Student:
    """Enrol a student; code and email (whatever its case) must be new."""
    now = timezone.now()
    student = Student(
        code=code,
        name=name,
        email=email.strip(),
        status=status,
        enrolled_at=enrolled_at or now,
        created_at=now,
        updated_at=now,
    )
    _clean_student(student)
    _save_student(student)
    log_action(
        actor=actor,
        action="student.create",
        target_type="student",
        target_id=student.pk,
        payload={"code": code, "name": name, "status": status},
    )
    return student


@transaction.atomic
def student_update(*, actor: Actor, code: str, changes: Mapping[str, object]) -> Student:
    """Change some fields of a student; the code is permanent."""
    unknown = set(changes) - STUDENT_EDITABLE
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    student = Student.objects.filter(code=code).select_for_update().first()
    if student is None:
        raise NotFound(f"No student with code {code!r}.")
    for name, value in changes.items():
        setattr(student, name, value.strip() if name == "email" and value else value)
    student.updated_at = timezone.now()
    _clean_student(student)
    _save_student(student, update_fields=[*changes, "updated_at"])
    payload = {name: value for name, value in changes.items() if name != "email"}
    if "email" in changes:
        payload["email_changed"] = True
    log_action(
        actor=actor,
        action="student.update",
        target_type="student",
        target_id=student.pk,
        payload={k: v.isoformat() if isinstance(v, datetime) else v for k, v in payload.items()},
    )
    return student


@transaction.atomic
def concept_module_create(*, actor: Actor, code: str, title: str, order: int = 0) -> ConceptModule:
    """Add a learning concept."""
    module = ConceptModule(code=code, title=title, order=order)
    module.full_clean()
    module.save()
    log_action(
        actor=actor,
        action="concept_module.create",
        target_type="concept_module",
        target_id=module.pk,
        payload={"code": code, "title": title, "order": order},
    )
    return module


@transaction.atomic
def draft_submit(
    *,
    actor: Actor,
    student: str,
    module: str,
    content: str,
    due_at: datetime | None = None,
    draft_id: object = None,
    submit: bool = True,
) -> Draft:
    """Save a draft (new, or an existing one by id) and submit it unless `submit` is false."""
    owner = student_by_code(student)
    concept = module_by_code(module)
    now = timezone.now()
    if draft_id is None:
        draft = Draft(student=owner, module=concept, created_at=now)
    else:
        text = str(draft_id)
        draft = (
            Draft.objects.select_for_update().filter(pk=int(text), student=owner).first()
            if text.isascii() and text.isdigit() and int(text) < 2**63
            else None
        )
        if draft is None:
            raise ValidationError({"id": f"No draft {text!r} of student {student!r}."})
        if draft.status == Draft.Status.REVIEWED:
            raise ValidationError({"id": "This draft has been reviewed and can't be changed."})
        draft.module = concept
    draft.content = content
    if due_at is not None:
        draft.due_at = due_at
    if submit:
        draft.status = Draft.Status.SUBMITTED
        draft.submitted_at = now
    draft.full_clean()
    draft.save()
    performance_recompute(student_ids=[owner.pk])
    log_action(
        actor=actor,
        action="draft.submit" if submit else "draft.save",
        target_type="draft",
        target_id=draft.pk,
        payload={"student": owner.code, "module": concept.code, "status": draft.status},
    )
    return draft


@transaction.atomic
def draft_review(*, actor: Actor, draft_id: object, feedback: str) -> Draft:
    """Review a submitted draft, with feedback."""
    text = str(draft_id)
    draft = (
        Draft.objects.select_for_update().filter(pk=int(text)).first()
        if text.isascii() and text.isdigit() and int(text) < 2**63
        else None
    )
    if draft is None:
        raise NotFound(f"No draft with id {text!r}.")
    if draft.status != Draft.Status.SUBMITTED:
        raise ValidationError(
            {"id": f"Only submitted drafts can be reviewed (this one is {draft.status})."}
        )
    draft.status = Draft.Status.REVIEWED
    draft.feedback = feedback
    draft.reviewed_at = timezone.now()
    draft.reviewed_by = actor.user
    draft.full_clean()
    draft.save()
    performance_recompute(student_ids=[draft.student_id])
    log_action(
        actor=actor,
        action="draft.review",
        target_type="draft",
        target_id=draft.pk,
        payload={"feedback_length": len(feedback)},
    )
    return draft


def _validate_attempt(*, kind: str, title: str, score: float, max_score: float) -> None:
    errors: dict[str, str] = {}
    if kind not in Assessment.Kind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    if len(title) > 200:
        errors["title"] = "Ensure this value has at most 200 characters."
    if not max_score > 0:
        errors["max_score"] = "Must be greater than 0."
    if not score >= 0:
        errors["score"] = "Must be 0 or more."
    elif max_score > 0 and score > max_score:
        errors["score"] = f"Must not be greater than maxScore ({max_score:g})."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    student: str,
    module: str,
    kind: str,
    score: float,
    max_score: float,
    title: str = "",
    taken_at: datetime | None = None,
) -> AttemptHistory:
    """Record one attempt; its number (1, 2, 3 …) is assigned atomically, without gaps."""
    _validate_attempt(kind=kind, title=title, score=score, max_score=max_score)
    owner = student_by_code(student)
    concept = module_by_code(module)
    taken_at = taken_at or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            ASSESSMENT_UPSERT_SQL,
            {
                "student": owner.pk,
                "module": concept.pk,
                "kind": kind,
                "title": title,
                "score": score,
                "max_score": max_score,
                "taken_at": taken_at,
            },
        )
        assessment_id, attempt_number = cursor.fetchone()
    attempt = AttemptHistory.objects.create(
        student=owner,
        assessment_id=assessment_id,
        attempt_number=attempt_number,
        score=score,
        max_score=max_score,
        taken_at=taken_at,
    )
    performance_recompute(student_ids=[owner.pk])
    log_action(
        actor=actor,
        action="assessment.record",
        target_type="assessment",
        target_id=assessment_id,
        payload={
            "student": owner.code,
            "module": concept.code,
            "kind": kind,
            "title": title,
            "attempt_number": attempt_number,
            "score": score,
            "max_score": max_score,
        },
    )
    return attempt


def _event_rows(events: Sequence[Mapping[str, object]]) -> list[LearningEvent]:
    """Validate a batch with two lookups in all (students, modules); errors name the index."""
    codes = {e["student"] for e in events}
    module_codes = {e["module"] for e in events if e.get("module")}
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
    stored = list(LearningEvent.objects.filter(pk__in=ids).order_by("id"))
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
