"""PerformanceRecord is derived data: one SQL statement recomputes it for a set of students."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from students.models import PASS_RATIO

# Rows for every (student, module) with drafts, assessments or module events; stale rows of
# the same students (nothing left in that module) are deleted. ORDER BY keeps the row locks
# in one order, so concurrent recomputes of overlapping students do not deadlock.
RECOMPUTE_SQL = """
WITH scope AS (
    SELECT id FROM students_student
    WHERE %(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[])
),
asm AS (
    SELECT student_id, module_id,
           avg(score / max_score) AS mastery,
           count(*) AS assessments,
           count(*) FILTER (WHERE score >= %(pass)s * max_score) AS passed
    FROM students_assessment WHERE student_id IN (SELECT id FROM scope)
    GROUP BY student_id, module_id
),
att AS (
    SELECT a.student_id, a.module_id,
           avg(h.score / h.max_score) AS average_score, count(*) AS attempts
    FROM students_attempthistory AS h JOIN students_assessment AS a ON a.id = h.assessment_id
    WHERE a.student_id IN (SELECT id FROM scope)
    GROUP BY a.student_id, a.module_id
),
drf AS (
    SELECT student_id, module_id, count(*) AS drafts,
           count(*) FILTER (WHERE status IN ('submitted', 'reviewed')) AS done
    FROM students_draft WHERE student_id IN (SELECT id FROM scope)
    GROUP BY student_id, module_id
),
ev AS (
    SELECT student_id, module_id, count(*) AS events
    FROM students_learningevent
    WHERE module_id IS NOT NULL AND student_id IN (SELECT id FROM scope)
    GROUP BY student_id, module_id
),
pairs AS (
    SELECT student_id, module_id FROM asm
    UNION SELECT student_id, module_id FROM drf
    UNION SELECT student_id, module_id FROM ev
),
computed AS (
    SELECT p.student_id, p.module_id,
           coalesce(asm.mastery, 0) AS mastery,
           att.average_score,
           CASE WHEN coalesce(drf.drafts, 0) + coalesce(asm.assessments, 0) = 0 THEN 0
                ELSE (coalesce(drf.done, 0) + coalesce(asm.passed, 0))::float
                     / (coalesce(drf.drafts, 0) + coalesce(asm.assessments, 0))
           END AS completion,
           coalesce(att.attempts, 0) AS attempt_count,
           coalesce(ev.events, 0) AS event_count
    FROM pairs AS p
    LEFT JOIN asm USING (student_id, module_id)
    LEFT JOIN att USING (student_id, module_id)
    LEFT JOIN drf USING (student_id, module_id)
    LEFT JOIN ev USING (student_id, module_id)
),
upserted AS (
    INSERT INTO students_performancerecord
        (student_id, module_id, mastery, average_score, completion, attempt_count,
         event_count, updated_at)
    SELECT student_id, module_id, mastery, average_score, completion, attempt_count,
           event_count, %(now)s
    FROM computed ORDER BY student_id, module_id
    ON CONFLICT (student_id, module_id) DO UPDATE SET
        mastery = EXCLUDED.mastery,
        average_score = EXCLUDED.average_score,
        completion = EXCLUDED.completion,
        attempt_count = EXCLUDED.attempt_count,
        event_count = EXCLUDED.event_count,
        updated_at = EXCLUDED.updated_at
    RETURNING 1
)
DELETE FROM students_performancerecord AS r
WHERE r.student_id IN (SELECT id FROM scope)
  AND NOT EXISTS (
      SELECT 1 FROM computed AS c WHERE c.student_id = r.student_id AND c.module_id = r.module_id
  )
"""


def performance_recompute(*, student_ids: Iterable[int] | None = None) -> None:
    """Recompute the performance records of these students (all students when None)."""
    ids = None if student_ids is None else sorted(set(student_ids))
    if ids == []:
        return
    with connection.cursor() as cursor:
        cursor.execute(RECOMPUTE_SQL, {"ids": ids, "pass": PASS_RATIO, "now": timezone.now()})
