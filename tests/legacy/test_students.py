from datetime import UTC, datetime

from django.db import connection

from config.legacy.archive import VIEWS
from students.legacy_dropout import event_id
from students.models import (
    ActionLog,
    Assessment,
    AttemptHistory,
    ConceptModule,
    Draft,
    DropoutPrediction,
    FeatureSet,
    LearningEvent,
    PerformanceRecord,
    Student,
)

DASHBOARD = """
    INSERT INTO legacy.concept_modules (concept_id, name, description, order_index) VALUES
    ('alg1', 'Algebra I', 'Linear equations', 1),
    ('geo1', 'Geometry', NULL, 2),
    ('bad code!', 'Spaces', NULL, 3),
    ('long', repeat('x', 201), NULL, 4);
    INSERT INTO legacy.students (student_id, name, email, status, grade_level, created_at,
                                 updated_at) VALUES
    ('s001', 'Ada Lovelace', 'ada@example.com', 'active', '10', '2025-01-10 09:00', NULL),
    ('s002', 'Bob Ng', 'bob@example.com', 'Graduated', '12', '2025-01-11 09:00',
     '2025-06-30 17:00'),
    ('s003', 'Ada Again', 'ADA@example.com', 'active', NULL, '2025-01-12 09:00', NULL),
    ('s004', 'Cleo', 'cleo@example.com', 'on_leave', NULL, '2025-01-13 09:00', NULL),
    ('s005', 'Dee', 'dee@example.com', 'active', NULL, '1899-06-01 00:00', NULL),
    ('s006', 'Eve', 'not-an-email', 'active', NULL, '2025-01-14 09:00', NULL);
    INSERT INTO legacy.drafts (student_id, concept_id, content, status, feedback, submitted_at,
                               reviewed_at, created_at, word_count) VALUES
    ('s001', 'alg1', 'My essay on x + 1 = 2', 'submitted', NULL, '2025-02-01 10:00', NULL,
     '2025-01-31 10:00', 6),
    ('s002', 'geo1', 'Proof of Pythagoras', 'reviewed', 'Good', '2025-02-02 10:00',
     '2025-02-03 10:00', '2025-02-01 10:00', 3),
    ('s003', 'alg1', 'Not imported student', 'draft', NULL, NULL, NULL, '2025-02-01 10:00', 3),
    ('s001', 'zzz', 'Unknown module', 'draft', NULL, NULL, NULL, '2025-02-01 10:00', 2),
    ('s001', 'alg1', '', 'draft', NULL, NULL, NULL, '2025-02-01 10:00', 0);
    INSERT INTO legacy.assessment_logs (student_id, concept_id, assessment_type, title, score,
                                        max_score, timestamp) VALUES
    ('s001', 'alg1', 'quiz', 'Quiz 1', 6, 10, '2025-02-10 10:00'),
    ('s001', 'alg1', 'QUIZ', 'Quiz 1', 9, 10, '2025-02-11 10:00'),
    ('s002', 'geo1', 'final', 'Final', 40, 50, '2025-03-01 10:00'),
    ('s001', 'alg1', 'quiz', 'Quiz 1', 12, 10, '2025-02-12 10:00'),
    ('s001', 'alg1', 'oral', 'Talk', 5, 10, '2025-02-12 10:00');
    INSERT INTO legacy.action_logs (actor, action, target_type, target_id, details, timestamp)
    VALUES ('staff:jane', 'add_student', 'student', 's001', '{"name": "Ada Lovelace"}',
            '2025-01-10 09:00:00.25'),
           ('system', 'update_performance', 'performance', 's001', NULL, '2025-02-11 10:00'),
           ('staff:jane', 'review', 'draft', '2', '{"feedback": ', '2025-02-03 10:00');
    INSERT INTO legacy.performance_records (student_id, concept_id, mastery_level,
                                            average_score, completion_rate, last_updated) VALUES
    ('s001', 'alg1', 0.9, 0.75, 1.0, '2025-02-11 10:00'),
    ('s002', 'alg1', 0.0, NULL, 0.0, '2025-02-11 10:00'),
    ('s009', 'alg1', 0.5, 0.5, 0.5, '2025-02-11 10:00')
"""

DROPOUT = """
    INSERT INTO legacy.dropout_students (student_id, name, email, enrollment_date, status,
                                         created_at) VALUES
    ('s001', 'Ada Lovelace', 'Ada@Example.com', '2024-09-01', 'active', '2024-09-01'),
    ('s010', 'Cy Twombly', 'cy@example.com', '2024-09-02', 'enrolled', '2024-09-02 08:00'),
    ('s002', 'Robert Ng', 'robert@example.com', '2024-09-03', 'active', '2024-09-03');
    INSERT INTO legacy.dropout_learning_events (student_id, event_type, concept_id, timestamp,
                                                duration_seconds, metadata) VALUES
    ('s001', 'login', NULL, '2025-03-01 08:00:00.5', NULL, '{}'),
    ('s001', 'page_view', 'alg1', '2025-03-01 08:05', 120, '{"page": 3}'),
    ('s010', 'quiz_attempt', 'alg1', '2025-03-02 09:00', 600, NULL),
    ('s010', 'dance', NULL, '2025-03-02 09:00', NULL, NULL),
    ('s001', 'view', 'alg1', 'infinity', NULL, NULL),
    ('s001', 'view', NULL, '2025-03-03 09:00', -5, NULL),
    ('s001', 'view', NULL, '2025-03-03 09:00', NULL, '[1]');
    INSERT INTO legacy.dropout_assessments (student_id, concept_id, assessment_type, title, score,
                                            max_score, taken_at) VALUES
    ('s010', 'alg1', 'quiz', 'Quiz 1', 7, 10, '2025-03-05 10:00'),
    ('s010', 'alg1', 'test', 'Midterm', 30, 0, '2025-03-06 10:00');
    INSERT INTO legacy.dropout_attempt_history (assessment_id, student_id, attempt_number, score,
                                                max_score, attempted_at) VALUES
    (1, 's010', 1, 5, 10, '2025-03-04 10:00'),
    (1, 's010', 2, 7, 10, '2025-03-05 10:00'),
    (2, 's010', 1, 30, 0, '2025-03-06 10:00'),
    (1, 's001', 3, 8, 10, '2025-03-07 10:00');
    INSERT INTO legacy.dropout_feature_sets (student_id, features, feature_version, window_start,
                                             window_end, computed_at) VALUES
    ('s010', '{"days_since_last_activity": 3}', 'v1', '2025-02-01', '2025-03-01',
     '2025-03-01 00:05'),
    ('s001', '[1, 2]', 'v1', '2025-02-01', '2025-03-01', '2025-03-01 00:05'),
    ('s001', '{"days_since_last_activity": 30}', NULL, NULL, NULL, '2025-03-02 00:05');
    INSERT INTO legacy.dropout_predictions (student_id, feature_set_id, risk_score, risk_level,
                                            model_version, top_factors, as_of, predicted_at)
    VALUES
    ('s010', 1, 0.72, 'HIGH', 'v1', '[{"factor": "inactivity_weeks", "value": 0.4,
      "weight": 1.2, "contribution": 0.48}]', '2025-03-01', '2025-03-01 00:06'),
    ('s010', 1, 0.70, 'high', 'v1', NULL, NULL, '2025-03-01 00:07'),
    ('s001', 2, 0.10, 'low', 'v1', NULL, NULL, '2025-03-01 00:06'),
    ('s001', 3, 0.45, NULL, NULL, '["inactivity"]', NULL, '2025-03-02 00:06'),
    ('s001', 3, 1.5, 'high', 'v1', NULL, NULL, '2025-03-02 00:07'),
    ('s001', 3, 0.45, NULL, NULL, NULL, NULL, '2025-03-02 00:08')
"""


def at(month, day, hour=0, minute=0, second=0, micro=0, year=2025):
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def heads(output: str) -> list[str]:
    """The report's line per table (without the refusals and columns under it)."""
    return [line for line in output.splitlines() if not line.startswith(" ")]


def query(statement: str):
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall()


def test_dashboard_keeps_codes_times_and_results_refuses_per_row_and_a_rerun_adds_nothing(
    legacy, import_legacy
):
    # given
    legacy(DASHBOARD)

    # when
    first = import_legacy("veritas-dashboard")
    second = import_legacy("veritas-dashboard")

    # then
    assert list(ConceptModule.objects.values_list("code", "title", "order")) == [
        ("alg1", "Algebra I", 1),
        ("geo1", "Geometry", 2),
    ]
    assert list(
        Student.objects.values_list("code", "name", "email", "status", "created_at", "updated_at")
    ) == [
        ("s001", "Ada Lovelace", "ada@example.com", "active", at(1, 10, 9), at(1, 10, 9)),
        ("s002", "Bob Ng", "bob@example.com", "graduated", at(1, 11, 9), at(6, 30, 17)),
    ]
    assert list(
        Draft.objects.order_by("id").values_list(
            "id", "student__code", "module__code", "status", "feedback", "created_at"
        )
    ) == [
        (1, "s001", "alg1", "submitted", "", at(1, 31, 10)),
        (2, "s002", "geo1", "reviewed", "Good", at(2, 1, 10)),
    ]
    assert list(
        Assessment.objects.order_by("id").values_list(
            "student__code", "kind", "title", "score", "max_score", "taken_at", "attempt_count"
        )
    ) == [
        ("s001", "quiz", "Quiz 1", 9.0, 10.0, at(2, 11, 10), 2),
        ("s002", "exam", "Final", 40.0, 50.0, at(3, 1, 10), 1),
    ]
    assert list(
        AttemptHistory.objects.order_by("id").values_list(
            "import_key", "attempt_number", "score", "taken_at"
        )
    ) == [
        ("assessment_logs:1", 1, 6.0, at(2, 10, 10)),
        ("assessment_logs:2", 2, 9.0, at(2, 11, 10)),
        ("assessment_logs:3", 1, 40.0, at(3, 1, 10)),
    ]
    assert list(
        ActionLog.objects.filter(import_key__isnull=False)
        .order_by("id")
        .values_list("import_key", "actor_label", "action", "target_id", "payload", "at")
    ) == [
        (
            "action_logs:1",
            "staff:jane",
            "add_student",
            "s001",
            {"name": "Ada Lovelace"},
            at(1, 10, 9, 0, 0, 250000),
        ),
        ("action_logs:2", "system", "update_performance", "s001", {}, at(2, 11, 10)),
    ]
    assert list(
        PerformanceRecord.objects.values_list("student__code", "module__code", "completion")
    ) == [("s001", "alg1", 1.0), ("s002", "geo1", 1.0)]
    assert first.splitlines() == [
        "veritas-dashboard concept_modules: read 4, imported 2, already present 0, refused 2",
        "  columns found but not mapped: description, created_at",
        "  refused 3: code: Use letters, digits, '.', '_' or '-', starting with a letter or digit.",
        "  refused 4: title: Ensure this value has at most 200 characters (it has 201).",
        "veritas-dashboard students: read 6, imported 2, already present 0, refused 4",
        "  columns found but not mapped: grade_level",
        "  refused 4: status: 'on_leave' is not one of active, dropout, dropped, dropped_out, "
        "enrolled, graduate, graduated, withdrawn",
        "  refused 5: created_at: 1899-06-01T00:00:00 is out of range (times must be from "
        "1900-01-01T00:00:00Z up to, not including, 3000-01-01T00:00:00Z)",
        "  refused 6: email: Enter a valid email address.",
        "  refused 3: email: 'ADA@example.com' duplicates 'ada@example.com' differing in case",
        "veritas-dashboard drafts: read 5, imported 2, already present 0, refused 3",
        "  columns found but not mapped: word_count",
        "  refused 5: content: This field cannot be blank.",
        "  refused 3: student 's003' was not imported",
        "  refused 4: concept module 'zzz' was not imported",
        "veritas-dashboard assessment_logs: read 5, imported 3, already present 0, refused 2",
        "  refused 4: score: Must not be greater than maxScore (10).",
        "  refused 5: kind: 'oral' is not one of assignment, exam, final, homework, midterm, "
        "quiz, test",
        "veritas-dashboard action_logs: read 3, imported 2, already present 0, refused 1",
        "  refused 3: payload: invalid JSON (Expecting value: line 1 column 14 (char 13))",
        "veritas-dashboard performance_records: read 3, imported 0, already present 1, refused 2",
        "  columns found but not mapped: mastery_level, average_score, completion_rate, "
        "last_updated",
        "  refused 3: student 's009' was not imported",
        "  refused 2: not derivable: no drafts, assessments or events of this student in this "
        "module were imported",
    ]
    assert heads(second) == [
        "veritas-dashboard concept_modules: read 4, imported 0, already present 2, refused 2",
        "veritas-dashboard students: read 6, imported 0, already present 2, refused 4",
        "veritas-dashboard drafts: read 5, imported 0, already present 2, refused 3",
        "veritas-dashboard assessment_logs: read 5, imported 0, already present 3, refused 2",
        "veritas-dashboard action_logs: read 3, imported 0, already present 2, refused 1",
        "veritas-dashboard performance_records: read 3, imported 0, already present 1, refused 2",
    ]
    assert AttemptHistory.objects.count() == 3


def test_dropout_joins_the_dashboard_students_and_keeps_events_attempts_and_predictions(
    legacy, import_legacy
):
    # given
    legacy(DASHBOARD)
    legacy(DROPOUT)
    import_legacy("veritas-dashboard")

    # when
    first = import_legacy("veritas-dropout")
    second = import_legacy("veritas-dropout")

    # then
    assert list(Student.objects.values_list("code", "email", "status", "enrolled_at")) == [
        ("s001", "ada@example.com", "active", at(1, 10, 9)),
        ("s002", "bob@example.com", "graduated", at(1, 11, 9)),
        ("s010", "cy@example.com", "active", at(9, 2, year=2024)),
    ]
    assert list(
        LearningEvent.objects.order_by("occurred_at").values_list(
            "student__code",
            "module__code",
            "event_type",
            "occurred_at",
            "duration_s",
            "metadata",
            "event_id",
        )
    ) == [
        ("s001", None, "login", at(3, 1, 8, 0, 0, 500000), None, {}, event_id(1)),
        ("s001", "alg1", "view", at(3, 1, 8, 5), 120, {"page": 3}, event_id(2)),
        ("s010", "alg1", "quiz", at(3, 2, 9), 600, {}, event_id(3)),
    ]
    assert list(
        Assessment.objects.filter(student__code="s010").values_list(
            "kind", "title", "score", "taken_at", "attempt_count"
        )
    ) == [("quiz", "Quiz 1", 7.0, at(3, 5, 10), 2)]
    assert list(
        AttemptHistory.objects.filter(student__code="s010")
        .order_by("attempt_number")
        .values_list("import_key", "attempt_number", "score", "taken_at")
    ) == [
        ("dropout_attempt_history:1", 1, 5.0, at(3, 4, 10)),
        ("dropout_attempt_history:2", 2, 7.0, at(3, 5, 10)),
    ]
    assert list(
        FeatureSet.objects.order_by("id").values_list(
            "id", "student__code", "feature_version", "window_start", "window_end"
        )
    ) == [
        (1, "s010", "v1", at(2, 1), at(3, 1)),
        (3, "s001", "legacy", at(3, 2, 0, 5), at(3, 2, 0, 5)),
    ]
    assert list(
        DropoutPrediction.objects.order_by("id").values_list(
            "id",
            "student__code",
            "feature_set_id",
            "risk_score",
            "risk_band",
            "model_version",
            "as_of",
        )
    ) == [
        (1, "s010", 1, 0.72, "high", "v1", at(3, 1)),
        (6, "s001", 3, 0.45, "medium", "legacy", at(3, 2, 0, 8)),
    ]
    assert dict(Student.objects.values_list("code", "latest_prediction_id")) == {
        "s001": 6,
        "s002": None,
        "s010": 1,
    }
    assert first.splitlines() == [
        "veritas-dropout dropout_students: read 3, imported 1, already present 1, refused 1",
        "  refused 3: code 's002' is already a student with another email",
        "veritas-dropout dropout_learning_events: read 7, imported 3, already present 0, refused 4",
        "  refused 4: event_type: 'dance' is not one of assignment_submit, content_view, login, "
        "material_view, page_view, quiz, quiz_attempt, quiz_submit, sign_in, submission, "
        "submit, video_view, view",
        "  refused 5: occurred_at: infinity is out of range (times must be from "
        "1900-01-01T00:00:00Z up to, not including, 3000-01-01T00:00:00Z)",
        "  refused 6: duration_s: Ensure this value is greater than or equal to 0.",
        "  refused 7: metadata: must be a JSON object, got list",
        "veritas-dropout dropout_assessments: read 2, imported 1, already present 0, refused 1",
        "  refused 2: max_score: Must be greater than 0.",
        "veritas-dropout dropout_attempt_history: read 4, imported 2, already present 0, refused 2",
        "  refused 3: max_score: Must be greater than 0.",
        "  refused 4: student 's001' is not its assessment's ('s010')",
        "veritas-dropout dropout_feature_sets: read 3, imported 2, already present 0, refused 1",
        "  refused 2: features: must be a JSON object",
        "veritas-dropout dropout_predictions: read 6, imported 2, already present 0, refused 4",
        "  refused 4: top_factors: must be a list of objects with factor, value, weight and "
        "contribution",
        "  refused 5: risk_score: 1.5 is not from 0 to 1",
        "  refused 2: feature set 1 already has prediction 1",
        "  refused 3: its feature set 2 was not imported",
    ]
    assert heads(second) == [
        "veritas-dropout dropout_students: read 3, imported 0, already present 2, refused 1",
        "veritas-dropout dropout_learning_events: read 7, imported 0, already present 3, refused 4",
        "veritas-dropout dropout_assessments: read 2, imported 0, already present 1, refused 1",
        "veritas-dropout dropout_attempt_history: read 4, imported 0, already present 2, refused 2",
        "veritas-dropout dropout_feature_sets: read 3, imported 0, already present 2, refused 1",
        "veritas-dropout dropout_predictions: read 6, imported 0, already present 2, refused 4",
    ]


def test_new_dropout_rows_are_picked_up_and_a_new_attempt_is_numbered_after_the_legacy_ones(
    legacy, import_legacy
):
    # given: a first import, then the legacy systems write more
    legacy(DASHBOARD)
    legacy(DROPOUT)
    import_legacy("veritas-dashboard")
    import_legacy("veritas-dropout")
    legacy(
        "INSERT INTO legacy.dropout_learning_events (student_id, event_type, timestamp) "
        "VALUES ('s010', 'login', '2025-04-01 08:00');"
        "INSERT INTO legacy.assessment_logs (student_id, concept_id, assessment_type, title, "
        "score, max_score, timestamp) VALUES ('s001', 'alg1', 'quiz', 'Quiz 1', 10, 10, "
        "'2025-04-02 10:00')"
    )

    # when
    dashboard = import_legacy("veritas-dashboard")
    dropout = import_legacy("veritas-dropout")

    # then
    assert heads(dashboard)[3] == (
        "veritas-dashboard assessment_logs: read 6, imported 1, already present 3, refused 2"
    )
    assert heads(dropout)[1] == (
        "veritas-dropout dropout_learning_events: read 8, imported 1, already present 3, refused 4"
    )
    assert list(
        Assessment.objects.filter(student__code="s001").values_list(
            "score", "taken_at", "attempt_count"
        )
    ) == [(10.0, at(4, 2, 10), 3)]
    assert list(
        AttemptHistory.objects.filter(student__code="s001")
        .order_by("attempt_number")
        .values_list("import_key", "attempt_number")
    ) == [("assessment_logs:1", 1), ("assessment_logs:2", 2), ("assessment_logs:6", 3)]


def test_archived_dashboard_and_dropout_tables_answer_the_saved_sql_equal_to_graphql(
    legacy, import_legacy, make_user, api_client
):
    # given
    legacy(DASHBOARD)
    legacy(DROPOUT)
    import_legacy("veritas-dashboard")
    import_legacy("veritas-dropout")
    staff = api_client(
        make_user(
            "staff",
            perms=[
                "students.view_student",
                "students.view_student_email",
                "students.view_dropoutprediction",
            ],
        )
    )

    # when
    archived = [
        import_legacy("veritas-dashboard", "--archive"),
        import_legacy("veritas-dropout", "--archive"),
    ]

    # then
    assert archived == [
        f"veritas-dashboard: archived {', '.join(VIEWS['veritas-dashboard'])}\n",
        f"veritas-dropout: archived {', '.join(VIEWS['veritas-dropout'])}\n",
    ]
    listed = staff.execute("{ students { nodes { code name email status } } }")
    assert query(
        "SELECT student_id, name, email, status FROM legacy_src.students ORDER BY student_id"
    ) == [
        (s["code"], s["name"], s["email"], s["status"].lower())
        for s in listed["data"]["students"]["nodes"]
    ]
    # get_performance_record("s001")
    one = staff.execute(
        '{ student(code: "s001") { performance { module { code } mastery averageScore '
        "completion } } }"
    )
    assert (
        query(
            "SELECT concept_id, mastery_level, average_score, completion_rate "
            "FROM legacy_src.performance_records WHERE student_id = 's001'"
        )
        == [
            (p["module"]["code"], p["mastery"], p["averageScore"], p["completion"])
            for p in one["data"]["student"]["performance"]
        ]
        == [("alg1", 0.9, 0.75, 1.0)]
    )
    high = staff.execute("{ students(filters: {riskBand: HIGH}) { totalCount } }")
    assert (
        query(
            "SELECT count(DISTINCT student_id) FROM legacy_src.dropout_predictions p "
            "WHERE risk_level = 'high' AND predicted_at = (SELECT max(predicted_at) "
            "FROM legacy_src.dropout_predictions q WHERE q.student_id = p.student_id)"
        )
        == [(high["data"]["students"]["totalCount"],)]
        == [(1,)]
    )
    events = staff.execute(
        '{ student(code: "s001") { events(first: 100) { nodes { eventType } } } }'
    )
    assert query(
        "SELECT event_type FROM legacy_src.dropout_learning_events WHERE student_id = 's001' "
        "ORDER BY timestamp DESC"
    ) == [(e["eventType"].lower(),) for e in events["data"]["student"]["events"]["nodes"]]
    assert query(
        "SELECT student_id, attempt_number, score FROM legacy_src.dropout_attempt_history "
        "ORDER BY student_id, attempt_number"
    )[-2:] == [("s010", 1, 5.0), ("s010", 2, 7.0)]
    assert query("SELECT count(*) FROM legacy_archive.dropout_predictions") == [(6,)]

    # when
    restored = import_legacy("veritas-dropout", "--unarchive")
    import_legacy("veritas-dashboard", "--unarchive")

    # then
    assert restored == f"veritas-dropout: restored {', '.join(VIEWS['veritas-dropout'])}\n"
    assert query("SELECT count(*) FROM legacy_src.dropout_predictions") == [(6,)]
    assert query("SELECT count(*) FROM legacy_src.students") == [(6,)]
