from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from students import services
from students.models import LearningEvent
from tests.statements import statements
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory

NESTED = """
{
  students(first: 50) {
    totalCount
    nodes {
      code email
      assessments { nodes { kind score module { code } } }
      attempts { nodes { attemptNumber assessment { title } } }
      drafts { nodes { status module { code } } }
      events(first: 3) { nodes { eventType occurredAt module { code } } }
      performance { module { code } mastery }
      latestPrediction { riskScore riskBand topFactors { factor } featureSet { featureVersion } }
      predictions { nodes { riskBand } }
    }
  }
}
"""
BENCHMARK = """
{
  students(first: 50) {
    nodes {
      code name latestPrediction { riskScore riskBand }
      events(first: 10) { nodes { eventType occurredAt } }
    }
  }
}
"""


def cohort(size, system_actor):
    module = ConceptModuleFactory(code="alg1")
    for n in range(size):
        student = StudentFactory(code=f"s{n:03d}")
        services.assessment_record(
            actor=system_actor,
            student=student.code,
            module="alg1",
            kind="quiz",
            title="Q1",
            score=5,
            max_score=10,
            taken_at=T0,
        )
        services.draft_submit(actor=system_actor, student=student.code, module="alg1", content="x")
        services.learning_events_record(
            actor=system_actor,
            events=[
                {
                    "student": student.code,
                    "event_type": "view",
                    "module": module.code,
                    "occurred_at": T0 + timedelta(hours=h),
                }
                for h in range(5)
            ],
        )
    services.dropout_risk_compute(actor=system_actor, as_of=T0 + timedelta(days=1))
    services.dropout_risk_compute(actor=system_actor, as_of=T0 + timedelta(days=2))


@pytest.mark.parametrize("size", [2, 12])
def test_nested_student_list_takes_constant_queries(
    size, staff_client, system_actor, django_assert_num_queries
):
    # given
    cohort(size, system_actor)

    # when: API key lookup with permissions and last-used stamp (2), count (1), students
    # joined with their latest prediction and its feature set (1), then one query per nested
    # list: assessments, attempts, drafts, events, performance, predictions (6)
    with django_assert_num_queries(10):
        result = staff_client.execute(NESTED)

    # then
    data = result["data"]["students"]
    assert data["totalCount"] == size
    first = data["nodes"][0]
    assert first["code"] == "s000"
    assert [e["occurredAt"] for e in first["events"]["nodes"]] == [
        "2026-01-05T13:00:00+00:00",
        "2026-01-05T12:00:00+00:00",
        "2026-01-05T11:00:00+00:00",
    ]
    assert first["attempts"]["nodes"] == [{"attemptNumber": 1, "assessment": {"title": "Q1"}}]
    assert len(first["predictions"]["nodes"]) == 2
    assert first["latestPrediction"]["featureSet"] == {"featureVersion": "features-v1"}


@pytest.mark.parametrize("size", [3, 30])
def test_benchmark_page_takes_constant_queries(
    size, staff_client, system_actor, django_assert_num_queries
):
    # given
    cohort(size, system_actor)

    # when: key with permissions, its stamp (2), then one compiled statement, or students with
    # the latest prediction (1) and events (1) on the standard path
    with django_assert_num_queries(statements(standard=4, compiled=3)):
        result = staff_client.execute(BENCHMARK)

    # then
    results = result["data"]["students"]["nodes"]
    assert len(results) == size
    assert all(len(row["events"]["nodes"]) == 5 for row in results)
    assert all(row["latestPrediction"]["riskBand"] in {"LOW", "MEDIUM", "HIGH"} for row in results)


def test_last_events_per_student_are_the_newest_ones_of_each(staff_client, system_actor):
    # given: s000 with 6 events, s001 with 2, s002 with none
    StudentFactory(code="s000")
    StudentFactory(code="s001")
    StudentFactory(code="s002")
    events = [
        {"student": "s000", "event_type": "view", "occurred_at": T0 + timedelta(minutes=m)}
        for m in range(6)
    ] + [
        {"student": "s001", "event_type": "login", "occurred_at": T0 + timedelta(days=1, minutes=m)}
        for m in range(2)
    ]
    services.learning_events_record(actor=system_actor, events=events)

    # when: the newest events of each, then the next page of s000's
    page = staff_client.execute(
        "{ students { nodes { code events(first: 2) { nodes { occurredAt } "
        "pageInfo { hasNextPage endCursor } } } } }"
    )
    after = page["data"]["students"]["nodes"][0]["events"]["pageInfo"]["endCursor"]
    next_page = staff_client.execute(
        'query ($after: String) { student(code: "s000") { events(first: 2, after: $after) '
        "{ nodes { occurredAt } } } }",
        {"after": after},
    )

    # then
    def events(*minutes, day=5, more=None):
        nodes = [{"occurredAt": f"2026-01-0{day}T09:0{m}:00+00:00"} for m in minutes]
        if more is None:
            return {"nodes": nodes}
        return {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": ANY}}

    assert page == {
        "data": {
            "students": {
                "nodes": [
                    {"code": "s000", "events": events(5, 4, more=True)},
                    {"code": "s001", "events": events(1, 0, day=6, more=False)},
                    {"code": "s002", "events": {"nodes": [], "pageInfo": ANY}},
                ]
            }
        }
    }
    assert next_page == {"data": {"student": {"events": events(3, 2)}}}


def test_newest_events_of_a_page_of_students_read_only_the_returned_rows(
    staff_client, system_actor
):
    # given: 10 students with 300 events each, with statistics
    for n in range(10):
        student = StudentFactory(code=f"s{n:03d}")
        LearningEvent.objects.bulk_create(
            LearningEvent(student=student, event_type="view", occurred_at=T0 + timedelta(minutes=m))
            for m in range(300)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE students_learningevent")

    # when: the statement the API runs for `events(first: 10)` of the page
    with CaptureQueriesContext(connection) as captured:
        staff_client.execute("{ students { nodes { events(first: 10) { nodes { id } } } } }")
    statement = captured.captured_queries[-1]["sql"]  # the events (with the students, compiled)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement)
        plan = cursor.fetchone()[0][0]["Plan"]

    # then: per student, the index on (student, occurred_at DESC, id DESC) is walked and stops
    # at 11 rows (the page and one more), never reading the other 289
    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    scans = [
        (n["Index Name"], n["Actual Rows"], n["Actual Loops"])
        for n in nodes(plan)
        if n["Node Type"] in {"Index Scan", "Index Only Scan"}
        and n["Index Name"] == "students_event_student_recent"
    ]
    assert scans == [("students_event_student_recent", 11, 10)]


def test_events_take_variables_and_aliases(staff_client, system_actor):
    # given
    StudentFactory(code="s000")
    services.learning_events_record(
        actor=system_actor,
        events=[
            {"student": "s000", "event_type": "view", "occurred_at": T0 + timedelta(minutes=m)}
            for m in range(3)
        ],
    )

    # when
    by_variable = staff_client.execute(
        "query ($n: Int!) { students { nodes { events(first: $n) { nodes { occurredAt } } } } }",
        {"n": 1},
    )
    same_twice = staff_client.execute(
        "{ students { nodes { a: events(first: 2) { nodes { occurredAt } } "
        "b: events(first: 2) { nodes { eventType } } } } }"
    )

    # then
    assert by_variable == {
        "data": {
            "students": {
                "nodes": [{"events": {"nodes": [{"occurredAt": "2026-01-05T09:02:00+00:00"}]}}]
            }
        }
    }
    assert same_twice == {
        "data": {
            "students": {
                "nodes": [
                    {
                        "a": {
                            "nodes": [
                                {"occurredAt": "2026-01-05T09:02:00+00:00"},
                                {"occurredAt": "2026-01-05T09:01:00+00:00"},
                            ]
                        },
                        "b": {"nodes": [{"eventType": "VIEW"}, {"eventType": "VIEW"}]},
                    }
                ]
            }
        }
    }
