"""Reads of the students app that are more than a one-line queryset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, QuerySet

from config.errors import NotFound
from config.text import nothing_if_unstorable
from students.models import (
    RISK_BAND_RANK,
    ActionLog,
    Draft,
    LearningEvent,
    PerformanceRecord,
    Student,
)


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


# Each student's latest prediction (the one Student.latest_prediction points to) beside the
# newest one before it, served by the (student, -predicted_at, -id) index.
BAND_PAIRS_SQL = """
    SELECT cur.risk_band, prev.risk_band, count(*)
    FROM students_student s
    JOIN students_dropoutprediction cur ON cur.id = s.latest_prediction_id
    LEFT JOIN LATERAL (
        SELECT p.risk_band FROM students_dropoutprediction p
        WHERE p.student_id = s.id
          AND (p.predicted_at, p.id) < (cur.predicted_at, cur.id)
        ORDER BY p.predicted_at DESC, p.id DESC
        LIMIT 1
    ) prev ON true
    GROUP BY 1, 2
"""


@dataclass(frozen=True)
class BandChange:
    band: str
    now: int
    before: int

    @property
    def difference(self) -> int:
        return self.now - self.before


def risk_band_change() -> list[BandChange]:
    """Per band, low to high: students whose latest prediction is in it (`now`) and students
    whose prediction before that one was (`before`); a student with one prediction counts
    only in `now`."""
    now = dict.fromkeys(RISK_BAND_RANK, 0)
    before = dict.fromkeys(RISK_BAND_RANK, 0)
    with connection.cursor() as cursor:
        cursor.execute(BAND_PAIRS_SQL)
        for current, previous, n in cursor.fetchall():
            now[current] += n
            if previous is not None:
                before[previous] += n
    return [BandChange(band=str(b), now=now[b], before=before[b]) for b in RISK_BAND_RANK]
