"""Raw baselines of the students scenarios."""

from __future__ import annotations

from benchmarks.raw import endpoint, fetch_json
from benchmarks.sql import cursor, iso, json_text

# The API's cursor of a student (config.connections.keyset.cursor_of) in the list's order.
STUDENT_CURSOR = cursor("code,id", json_text("s.code"), "s.id::text")

STUDENTS_SQL = f"""
WITH page AS (
  SELECT * FROM students_student ORDER BY code, id LIMIT %(first)s + 1
), numbered AS (
  SELECT s.*, row_number() OVER (ORDER BY s.code, s.id) AS n, {STUDENT_CURSOR} AS cursor
  FROM page AS s
)
SELECT json_build_object('data', json_build_object('students', json_build_object(
  'totalCount', (SELECT count(*) FROM students_student),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) > %(first)s FROM page),
    'endCursor', (SELECT s.cursor FROM numbered AS s WHERE s.n <= %(first)s
                  ORDER BY s.n DESC LIMIT 1)
  ),
  'nodes', COALESCE((
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
      'events', json_build_object('nodes', (
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
          LIMIT %(events)s
        ) AS e
        LEFT JOIN students_conceptmodule AS m ON m.id = e.module_id
      ))
    ) ORDER BY s.n)
    FROM numbered AS s
    LEFT JOIN students_dropoutprediction AS p ON p.id = s.latest_prediction_id
    WHERE s.n <= %(first)s
  ), '[]'::json)
)))::text
"""


@endpoint("students-page", perm="students.view_student")
def students_page(variables: dict, **_auth) -> str:
    params = {"first": variables["first"], "events": variables["events"]}
    return fetch_json(STUDENTS_SQL, params)
