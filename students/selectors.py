"""Reads of the students app that are more than a one-line queryset."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from config.errors import NotFound
from config.text import nothing_if_unstorable
from students.models import ActionLog, Draft, LearningEvent, PerformanceRecord, Student


def parse_uuid(value: object, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({field: f"{value!r} is not a UUID."}) from None


def event_by_uuid(event_id: uuid.UUID) -> LearningEvent:
    return LearningEvent.objects.get(event_id=event_id)


def performance_of(*, code: str) -> QuerySet[PerformanceRecord]:
    """The student's performance records in curriculum order; NotFound for an unknown code."""
    student_id = Student.objects.by_ref(code=code).values_list("pk", flat=True).first()
    if student_id is None:
        raise NotFound(f"No student with code {code!r}.")
    return PerformanceRecord.objects.filter(student_id=student_id).order_by(
        "module__order", "module__code"
    )


def at_risk(*, min_band: str) -> QuerySet[Student]:
    """Students whose latest prediction is in `min_band` or higher, riskiest first."""
    return Student.objects.at_risk(min_band=min_band).order_by(
        "-latest_prediction__risk_score", "code"
    )


def action_log(
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[ActionLog]:
    """Audit rows matching every given condition, newest first."""
    queryset = ActionLog.objects.order_by("-at", "-id")
    if nothing := nothing_if_unstorable(*(v for v in (target_type, target_id, actor) if v)):
        return queryset.filter(nothing)
    if target_type is not None:
        queryset = queryset.filter(target_type=target_type)
    if target_id is not None:
        queryset = queryset.filter(target_id=target_id)
    if actor is not None:
        queryset = queryset.filter(actor__username=actor)
    if start is not None:
        queryset = queryset.filter(at__gte=start)
    if end is not None:
        queryset = queryset.filter(at__lt=end)
    return queryset


def overdue_drafts_by_module(*, now: datetime) -> list[tuple[str, int]]:
    """(module code, drafts past due and not submitted by `now`), most first, ties by code;
    the same rule as the dropout model's overdue_drafts feature."""
    rows = (
        Draft.objects.filter(due_at__lt=now, submitted_at__isnull=True)
        .values("module__code")
        .annotate(n=Count("id"))
        .order_by("-n", "module__code")
    )
    return [(row["module__code"], row["n"]) for row in rows]
