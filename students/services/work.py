"""Drafts and assessment attempts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from config.errors import NotFound
from config.inputs import database_id
from config.text import unstorable
from students.audit import Actor, log_action
from students.models import Assessment, AttemptHistory, Draft
from students.performance import performance_recompute
from students.services.records import module_by_code, student_by_code

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
        pk = database_id(draft_id)
        draft = (
            Draft.objects.select_for_update().filter(pk=pk, student=owner).first()
            if pk is not None
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
    pk = database_id(text)
    draft = (
        Draft.objects.select_for_update(of=("self",))
        .select_related("student")
        .filter(pk=pk)
        .first()
        if pk is not None
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
        payload={"student": draft.student.code, "feedback_length": len(feedback)},
    )
    return draft


def _validate_attempt(*, kind: str, title: str, score: float, max_score: float) -> None:
    errors: dict[str, str] = {}
    if kind not in Assessment.Kind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    if len(title) > 200:
        errors["title"] = "Ensure this value has at most 200 characters."
    elif problem := unstorable(title):
        errors["title"] = problem
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


DRAFT_EDITABLE = frozenset({"content", "due_at", "module"})


def _locked_draft(draft_id: object) -> Draft:
    text = str(draft_id)
    pk = database_id(text)
    draft = (
        Draft.objects.select_for_update(of=("self",))
        .select_related("student", "module")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if draft is None:
        raise NotFound(f"No draft with id {text!r}.")
    return draft


@transaction.atomic
def draft_update(*, actor: Actor, draft_id: object, changes: Mapping[str, object]) -> Draft:
    """Change the content, deadline or module of a draft not yet reviewed; its status stays."""
    unknown = set(changes) - DRAFT_EDITABLE
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    for name in ("content", "module"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: "cannot be null"})
    draft = _locked_draft(draft_id)
    if draft.status == Draft.Status.REVIEWED:
        raise ValidationError({"id": "This draft has been reviewed and can't be changed."})
    fields = dict(changes)
    if "module" in fields:
        fields["module"] = module_by_code(str(fields["module"]))
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.full_clean()
    draft.save(update_fields=list(fields) or None)
    if "module" in fields:
        performance_recompute(student_ids=[draft.student_id])
    log_action(
        actor=actor,
        action="draft.update",
        target_type="draft",
        target_id=draft.pk,
        payload={
            "student": draft.student.code,
            "module": draft.module.code,
            "fields": sorted(changes),
        },
    )
    return draft


@transaction.atomic
def draft_delete(*, actor: Actor, draft_id: object) -> Draft:
    """Delete a draft in any status; the student's performance is recomputed without it."""
    draft = _locked_draft(draft_id)
    pk = draft.pk
    draft.delete()
    draft.pk = pk
    performance_recompute(student_ids=[draft.student_id])
    log_action(
        actor=actor,
        action="draft.delete",
        target_type="draft",
        target_id=pk,
        payload={
            "student": draft.student.code,
            "module": draft.module.code,
            "status": draft.status,
        },
    )
    return draft
