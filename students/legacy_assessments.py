"""Assessments and their attempts from either Veritas system.

An assessment is found again by (student, module, kind, title), as `assessmentRecord` finds
it; an attempt by its `import_key` (`<legacy table>:<legacy id>`). Attempts without a legacy
number are numbered after the assessment's last one, in legacy id order; the assessment then
holds the latest result (latest `taken_at`) and counts up to its highest attempt number.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection

from config.legacy.framework import (
    Refused,
    legacy_choice,
    legacy_number,
    legacy_text,
    legacy_time,
    validation_reason,
)
from config.legacy.sql import insert_returning
from students.legacy_common import resolve
from students.models import Assessment, AttemptHistory
from students.services.work import _validate_attempt as validate_attempt

KINDS = {k: k for k in Assessment.Kind.values} | {
    "midterm": Assessment.Kind.EXAM,
    "final": Assessment.Kind.EXAM,
    "homework": Assessment.Kind.ASSIGNMENT,
}

# Assessments a batch's attempts belong to: made (with no attempt yet) where missing.
ASSESSMENTS_ENSURE = """
    WITH r AS (
        SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(student_id bigint, module_id bigint,
            kind text, title text, score float8, max_score float8, taken_at timestamptz, n int)
    ), made AS (
        INSERT INTO students_assessment
            (student_id, module_id, kind, title, score, max_score, taken_at, attempt_count)
        SELECT DISTINCT ON (student_id, module_id, kind, title)
            student_id, module_id, kind, title, score, max_score, taken_at, 0
        FROM r ORDER BY student_id, module_id, kind, title, n
        ON CONFLICT (student_id, module_id, kind, title) DO NOTHING
        RETURNING id, student_id, module_id, kind, title
    )
    SELECT id, student_id, module_id, kind, title FROM made
    UNION ALL
    SELECT a.id, a.student_id, a.module_id, a.kind, a.title
    FROM students_assessment AS a
    JOIN (SELECT DISTINCT student_id, module_id, kind, title FROM r) AS k
        USING (student_id, module_id, kind, title)
"""

# A legacy assessment row: inserted, or an existing one takes its result when it is later.
ASSESSMENT_UPSERT = """
    INSERT INTO students_assessment
        (student_id, module_id, kind, title, score, max_score, taken_at, attempt_count)
    SELECT r.student_id, r.module_id, r.kind, r.title, r.score, r.max_score, r.taken_at, 0
    FROM jsonb_to_recordset(%s::jsonb) AS r(student_id bigint, module_id bigint, kind text,
        title text, score float8, max_score float8, taken_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT (student_id, module_id, kind, title) DO UPDATE SET
        score = EXCLUDED.score, max_score = EXCLUDED.max_score, taken_at = EXCLUDED.taken_at
        WHERE EXCLUDED.taken_at > students_assessment.taken_at
    RETURNING student_id, module_id, kind, title, xmax = 0
"""

ATTEMPT_INSERT = """
    INSERT INTO students_attempthistory
        (student_id, assessment_id, attempt_number, score, max_score, taken_at, recorded_at,
         import_key)
    SELECT r.student_id, r.assessment_id, r.attempt_number, r.score, r.max_score, r.taken_at,
           now(), r.import_key
    FROM jsonb_to_recordset(%s::jsonb) AS r(student_id bigint, assessment_id bigint,
        attempt_number int, score float8, max_score float8, taken_at timestamptz,
        import_key text, n int)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING import_key
"""

# The assessments of a batch's new attempts: the count reaches the highest number, the
# result is the latest attempt's when that is later than the one held.
ASSESSMENTS_REFRESH = """
    UPDATE students_assessment AS a SET
        attempt_count = GREATEST(a.attempt_count, x.top),
        score = CASE WHEN x.taken_at > a.taken_at THEN x.score ELSE a.score END,
        max_score = CASE WHEN x.taken_at > a.taken_at THEN x.max_score ELSE a.max_score END,
        taken_at = GREATEST(a.taken_at, x.taken_at)
    FROM (
        SELECT DISTINCT ON (assessment_id) assessment_id, score, max_score, taken_at,
            max(attempt_number) OVER (PARTITION BY assessment_id) AS top
        FROM students_attempthistory WHERE assessment_id = ANY(%s)
        ORDER BY assessment_id, taken_at DESC, attempt_number DESC
    ) AS x
    WHERE a.id = x.assessment_id
"""


def check_attempt(*, kind: str = Assessment.Kind.QUIZ, title: str = "", score, max_score) -> None:
    """The checks assessmentRecord makes (kind, title, scores); a failure refuses the row."""
    try:
        validate_attempt(kind=kind, title=title, score=score, max_score=max_score)
    except ValidationError as exc:
        raise Refused(validation_reason(exc)) from None


def assessment_values(row: dict, *, time_column: str) -> dict:
    """Student, module, kind, title and a result of a legacy assessment or attempt row."""
    score = legacy_number(row, "score", required=True)
    max_score = legacy_number(row, "max_score", required=True)
    values = {
        "student": legacy_text(row, "student"),
        "module": legacy_text(row, "module"),
        "kind": legacy_choice(row, "kind", KINDS),
        "title": legacy_text(row, "title"),
        "score": score,
        "max_score": max_score,
        "taken_at": legacy_time(row, time_column, required=True),
    }
    check_attempt(kind=values["kind"], title=values["title"], score=score, max_score=max_score)
    return values


def natural_key(row: dict) -> tuple:
    return (row["student_id"], row["module_id"], row["kind"], row["title"])


def insert_assessments(rows, ctx) -> dict:
    """dropout_assessments: one assessment per (student, module, kind, title); rows naming
    the same one (in this batch or an earlier) leave it the latest result."""
    ready, outcome = resolve(rows)
    latest = {}
    for key, row in ready:
        held = latest.get(natural_key(row))
        if held is None or row["taken_at"] > held[1]["taken_at"]:
            latest[natural_key(row)] = (key, row)
    returned = insert_returning(ASSESSMENT_UPSERT, [row for _, row in latest.values()], columns=5)
    made = {tuple(r[:4]) for r in returned if r[4]}
    for key, row in ready:
        chosen = latest[natural_key(row)][0] == key
        outcome[key] = "imported" if chosen and natural_key(row) in made else "present"
    return outcome


def insert_attempts(rows, ctx) -> dict:
    """Attempts, each with the values of assessment_values and an import_key; an
    attempt_number of None is given the next number of its assessment."""
    ready, outcome = resolve(rows)
    known = set(
        AttemptHistory.objects.filter(
            import_key__in=[r["import_key"] for _, r in ready]
        ).values_list("import_key", flat=True)
    )
    outcome |= {key: "present" for key, row in ready if row["import_key"] in known}
    ready = [(key, row) for key, row in ready if row["import_key"] not in known]
    if not ready:
        return outcome
    ids = {
        tuple(r[1:]): r[0]
        for r in insert_returning(ASSESSMENTS_ENSURE, [row for _, row in ready], columns=5)
    }
    for _, row in ready:
        row["assessment_id"] = ids[natural_key(row)]
    numbered = _last_numbers({row["assessment_id"] for _, row in ready})
    for _, row in ready:
        if row.get("attempt_number") is None:
            numbered[row["assessment_id"]] = numbered.get(row["assessment_id"], 0) + 1
            row["attempt_number"] = numbered[row["assessment_id"]]
    inserted = set(insert_returning(ATTEMPT_INSERT, [row for _, row in ready]))
    for key, row in ready:
        outcome[key] = (
            "imported"
            if row["import_key"] in inserted
            else f"attempt {row['attempt_number']} of this assessment is already recorded"
        )
    with connection.cursor() as cursor:
        cursor.execute(ASSESSMENTS_REFRESH, [sorted({row["assessment_id"] for _, row in ready})])
    return outcome


def _last_numbers(assessment_ids: set[int]) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT assessment_id, max(attempt_number) FROM students_attempthistory "
            "WHERE assessment_id = ANY(%s) GROUP BY assessment_id",
            [sorted(assessment_ids)],
        )
        return dict(cursor.fetchall())
