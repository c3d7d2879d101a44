"""Students with modules, events (5 to 34 each), assessments with attempts, drafts, and one
stored dropout prediction each (their latest)."""

from __future__ import annotations

from benchmarks.seed import Scale, SeedReport, execute, rand

T0 = "timestamptz '2026-11-01 00:00:00+00'"
MODULES = 12

STUDENTS_SQL = f"""
INSERT INTO students_student (code, name, email, status, enrolled_at, created_at, updated_at)
SELECT 's' || lpad(i::text, 6, '0'), 'Student ' || i, 'student' || i || '@example.com',
       CASE WHEN mod(i, 20) = 0 THEN 'withdrawn' WHEN mod(i, 33) = 0 THEN 'graduated'
            ELSE 'active' END,
       {T0} - (100 + mod(i, 365)) * interval '1 day', {T0}, {T0}
FROM generate_series(1, %(n)s) AS i
"""
MODULES_SQL = f"""
INSERT INTO students_conceptmodule (code, title, "order")
SELECT 'm' || lpad(k::text, 2, '0'), 'Module ' || k, k FROM generate_series(1, {MODULES}) AS k
"""
EVENTS_SQL = f"""
INSERT INTO students_learningevent
    (student_id, module_id, event_type, occurred_at, duration_s, metadata)
SELECT s.id,
       CASE WHEN mod(k, 5) = 0 THEN NULL ELSE 1 + mod(s.id + k, {MODULES}) END,
       (ARRAY['login', 'view', 'submit', 'quiz'])[1 + mod(k, 4)],
       {T0} - (k * 17 + mod(s.id, 50) * 5) * interval '1 hour'
            - mod(s.id * k, 3600) * interval '1 second',
       CASE WHEN mod(k, 3) = 0 THEN NULL ELSE 30 + mod(s.id * k, 600) END,
       jsonb_build_object('page', 'p' || mod(k, 7), 'n', k)
FROM students_student AS s, generate_series(1, 5 + mod(s.id * 7, 30)) AS k
"""
ASSESSMENTS_SQL = f"""
INSERT INTO students_assessment
    (student_id, module_id, kind, title, score, max_score, taken_at, attempt_count)
SELECT s.id, 1 + mod(s.id + a, {MODULES}), (ARRAY['quiz', 'test', 'exam', 'assignment'])[a],
       'Assessment ' || a, round((100 * {rand("s.id * 10 + a", "score")})::numeric, 1), 100,
       {T0} - (a * 9 + mod(s.id, 7)) * interval '1 day', 1 + mod(s.id + a, 3)
FROM students_student AS s, generate_series(1, 4) AS a
"""
ATTEMPTS_SQL = """
INSERT INTO students_attempthistory
    (student_id, assessment_id, attempt_number, score, max_score, taken_at, recorded_at)
SELECT a.student_id, a.id, n,
       CASE WHEN n = a.attempt_count THEN a.score ELSE round((a.score * 0.7)::numeric, 1) END,
       a.max_score, a.taken_at - (a.attempt_count - n) * interval '2 days', a.taken_at
FROM students_assessment AS a, generate_series(1, a.attempt_count) AS n
"""
DRAFTS_SQL = f"""
INSERT INTO students_draft
    (student_id, module_id, content, status, feedback, due_at, submitted_at, created_at)
SELECT s.id, 1 + mod(s.id + d, {MODULES}), 'Draft ' || d || ' of ' || s.code,
       (ARRAY['draft', 'submitted', 'reviewed'])[1 + mod(s.id + d, 3)], '',
       {T0} + (d * 6 - 9) * interval '1 day',
       CASE WHEN mod(s.id + d, 3) = 0 THEN NULL ELSE {T0} - d * interval '5 days' END,
       {T0} - d * interval '10 days'
FROM students_student AS s, generate_series(1, 2) AS d
"""
FEATURES_SQL = f"""
INSERT INTO students_featureset
    (student_id, features, feature_version, window_start, window_end, computed_at)
SELECT id, jsonb_build_object('inactivity_weeks', mod(id, 5), 'failed_attempts', mod(id, 3)),
       'seed', {T0} - interval '28 days', {T0}, {T0}
FROM students_student ORDER BY id
"""
PREDICTIONS_SQL = f"""
INSERT INTO students_dropoutprediction
    (student_id, feature_set_id, risk_score, risk_band, model_version, top_factors, as_of,
     predicted_at)
SELECT f.student_id, f.id, r.score,
       CASE WHEN r.score < 0.3 THEN 'low' WHEN r.score < 0.6 THEN 'medium' ELSE 'high' END,
       'seed',
       jsonb_build_array(jsonb_build_object('factor', 'inactivity_weeks', 'value',
         mod(f.student_id, 5), 'weight', 0.8, 'contribution', 0.8 * mod(f.student_id, 5))),
       {T0}, {T0}
FROM students_featureset AS f
CROSS JOIN LATERAL (SELECT round({rand("f.student_id", "risk")}::numeric, 4)::float8 AS score) AS r
ORDER BY f.id
"""
LATEST_SQL = """
UPDATE students_student AS s SET latest_prediction_id = p.id
FROM students_dropoutprediction AS p WHERE p.student_id = s.id
"""
TABLES = [
    "students_student",
    "students_conceptmodule",
    "students_learningevent",
    "students_assessment",
    "students_attempthistory",
    "students_draft",
    "students_featureset",
    "students_dropoutprediction",
]


def seed(scale: Scale, report: SeedReport) -> list[str]:
    execute(
        f"TRUNCATE {', '.join(TABLES)}, students_performancerecord, students_actionlog "
        "RESTART IDENTITY CASCADE"
    )
    report.step("students", lambda: execute(STUDENTS_SQL, {"n": scale.students}))
    report.step("concept modules", lambda: execute(MODULES_SQL))
    report.step("learning events", lambda: execute(EVENTS_SQL))
    report.step("assessments", lambda: execute(ASSESSMENTS_SQL))
    report.step("attempts", lambda: execute(ATTEMPTS_SQL))
    report.step("drafts", lambda: execute(DRAFTS_SQL))
    report.step("feature sets", lambda: execute(FEATURES_SQL))
    report.step("predictions", lambda: execute(PREDICTIONS_SQL))
    report.step("latest predictions", lambda: execute(LATEST_SQL))
    return TABLES
