"""Raw baselines of the students scenarios."""

from __future__ import annotations

from benchmarks.raw import endpoint, fetch_json
from benchmarks.sql import iso

STUDENTS_SQL = f"""
SELECT json_build_object('data', json_build_object('students', json_build_object(
  'totalCount', (SELECT count(*) FROM students_student),
  'results', COALESCE((
    SELECT json_agg(json_build_object(
      'id', s.id::text,
      'code', s.code,
      'name', s.name,
      'status', upper(s.status),
      'enrolledAt', {iso("s.enrolled_at")},
      'latestPrediction', CASE WHEN p.id IS NULL THEN NULL ELSE json_build_object(
        'id', p.id::text,
        'riskScore', p.risk_score,
        'riskBand', upper(p.risk_band),
        'modelVersion', p.model_version,
        'asOf', {iso("p.as_of")},
        'predictedAt', {iso("p.predicted_at")}
      ) END,
      'events', (
        SELECT COALESCE(json_agg(json_build_object(
          'id', e.id::text,
          'eventType', upper(e.event_type),
          'occurredAt', {iso("e.occurred_at")},
          'durationS', e.duration_s,
          'metadata', e.metadata,
          'module', CASE WHEN m.id IS NULL THEN NULL
                    ELSE json_build_object('id', m.id::text, 'code', m.code) END
        ) ORDER BY e.occurred_at DESC, e.id DESC), '[]'::json)
        FROM (
          SELECT * FROM students_learningevent
          WHERE student_id = s.id
          ORDER BY occurred_at DESC, id DESC
          LIMIT %(last)s
        ) AS e
        LEFT JOIN students_conceptmodule AS m ON m.id = e.module_id
      )
    ) ORDER BY s.code)
    FROM (SELECT * FROM students_student ORDER BY code LIMIT %(limit)s OFFSET %(offset)s) AS s
    LEFT JOIN students_dropoutprediction AS p ON p.id = s.latest_prediction_id
  ), '[]'::json)
)))::text
"""


@endpoint("students-page", perm="students.view_student")
def students_page(variables: dict, **_auth) -> str:
    params = {
        "limit": variables["limit"],
        "offset": variables.get("offset", 0),
        "last": variables["last"],
    }
    return fetch_json(STUDENTS_SQL, params)
