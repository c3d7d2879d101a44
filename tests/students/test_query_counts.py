from datetime import timedelta

import pytest
from django.db import connection

from students import services
from students.models import LearningEvent
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory

NESTED = """
{
  students(pagination: {limit: 50}) {
    totalCount
    results {
      code email
      assessments { kind score module { code } }
      attempts { attemptNumber assessment { title } }
      drafts { status module { code } }
      events(last: 3) { eventType occurredAt module { code } }
      performance { module { code } mastery }
      latestPrediction { riskScore riskBand topFactors { factor } featureSet { featureVersion } }
      predictions { riskBand }
    }
  }
}
"""
BENCHMARK = """
{
  students(pagination: {limit: 50}) {
    results { code name latestPrediction { riskScore riskBand } events(last: 10) { eventType occurredAt } }
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
    first = data["results"][0]
    assert first["code"] == "s000"
    assert [e["occurredAt"] for e in first["events"]] == [
        "2026-01-05T13:00:00+00:00",
        "2026-01-05T12:00:00+00:00",
        "2026-01-05T11:00:00+00:00",
    ]
    assert first["attempts"] == [{"attemptNumber": 1, "assessment": {"title": "Q1"}}]
    assert len(first["predictions"]) == 2
    assert first["latestPrediction"]["featureSet"] == {"featureVersion": "features-v1"}


@pytest.mark.parametrize("size", [3, 30])
def test_benchmark_page_takes_constant_queries(
    size, staff_client, system_actor, django_assert_num_queries
):
    # given
    cohort(size, system_actor)

    # when: key with permissions, its stamp (2), students with the latest prediction (1), events (1)
    with django_assert_num_queries(4):
        result = staff_client.execute(BENCHMARK)

    # then
    results = result["data"]["students"]["results"]
    assert len(results) == size
    assert all(len(row["events"]) == 5 for row in results)
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

    # when: pages of the newest events
    page = staff_client.execute(
        "{ students { results { code a: events(last: 2) { occurredAt } "
        "b: events(last: 2, offset: 2) { occurredAt } } } }"
    )

    # then
    assert page == {
        "data": {
            "students": {
                "results": [
                    {
                        "code": "s000",
                        "a": [
                            {"occurredAt": "2026-01-05T09:05:00+00:00"},
                            {"occurredAt": "2026-01-05T09:04:00+00:00"},
                        ],
                        "b": [
                            {"occurredAt": "2026-01-05T09:03:00+00:00"},
                            {"occurredAt": "2026-01-05T09:02:00+00:00"},
                        ],
                    },
                    {
                        "code": "s001",
                        "a": [
                            {"occurredAt": "2026-01-06T09:01:00+00:00"},
                            {"occurredAt": "2026-01-06T09:00:00+00:00"},
                        ],
                        "b": [],
                    },
                    {"code": "s002", "a": [], "b": []},
                ]
            }
        }
    }


def test_last_events_read_only_the_returned_rows(system_actor):
    # given: one student with 300 events
    student = StudentFactory(code="s000")
    LearningEvent.objects.bulk_create(
        LearningEvent(student=student, event_type="view", occurred_at=T0 + timedelta(minutes=m))
        for m in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE students_learningevent")
    from students.prefetch import LATEST_EVENT_IDS_SQL

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + LATEST_EVENT_IDS_SQL, [[student.pk], 0, 10]
        )
        plan = cursor.fetchone()[0][0]["Plan"]

    # then: the index on (student, occurred_at DESC, id DESC) is walked and stops at 10 rows
    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    scans = [n for n in nodes(plan) if n["Node Type"] in {"Index Scan", "Index Only Scan"}]
    assert [(n["Index Name"], n["Actual Rows"]) for n in scans] == [
        ("students_event_student_recent", 10)
    ]


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
        "query ($n: Int!) { students { results { events(last: $n) { occurredAt } } } }", {"n": 1}
    )
    same_twice = staff_client.execute(
        "{ students { results { a: events(last: 2) { occurredAt } "
        "b: events(last: 2) { eventType } } } }"
    )

    # then
    assert by_variable == {
        "data": {
            "students": {"results": [{"events": [{"occurredAt": "2026-01-05T09:02:00+00:00"}]}]}
        }
    }
    assert same_twice == {
        "data": {
            "students": {
                "results": [
                    {
                        "a": [
                            {"occurredAt": "2026-01-05T09:02:00+00:00"},
                            {"occurredAt": "2026-01-05T09:01:00+00:00"},
                        ],
                        "b": [{"eventType": "VIEW"}, {"eventType": "VIEW"}],
                    }
                ]
            }
        }
    }
