"""The dropout model on a hand-built cohort; each student's band is worked out by hand from
the weights in students/risk.py (z = -2.0 + sum of weight * input; risk = 1 / (1 + e^-z))."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from students import risk, services
from students.audit import Actor
from students.models import Draft, DropoutPrediction, FeatureSet, LearningEvent, Student
from tests.students.factories import ConceptModuleFactory, StudentFactory

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
LONG_AGO = AS_OF - timedelta(days=200)
COMPUTE = """
mutation ($asOf: DateTime) {
  dropoutRiskCompute(asOf: $asOf) {
    ... on DropoutRiskComputeResult {
      asOf modelVersion count
      results { studentCode riskScore riskBand topFactors { factor value weight contribution } }
    }
  }
}
"""


def days_before(days, hours=0):
    return AS_OF - timedelta(days=days, hours=hours)


def events(code, *days):
    student = Student.objects.get(code=code)
    LearningEvent.objects.bulk_create(
        LearningEvent(student=student, event_type="view", occurred_at=days_before(d)) for d in days
    )


def attempt(code, score, days):
    services.assessment_record(
        actor=Actor(),
        student=code,
        module="alg1",
        kind="quiz",
        title=f"q{days}",
        score=score,
        max_score=10,
        taken_at=days_before(days),
    )


@pytest.fixture
def cohort(db):
    ConceptModuleFactory(code="alg1")
    for code in ["steady", "vanished", "struggling", "slipping", "late", "newcomer"]:
        StudentFactory(code=code, enrolled_at=LONG_AGO)
    Student.objects.filter(code="newcomer").update(enrolled_at=days_before(3))
    StudentFactory(code="withdrawn", status="withdrawn", enrolled_at=LONG_AGO)

    # steady: 5 events in each fortnight, last one a day ago; scores 8 then 9 (mean 0.85).
    events("steady", 1, 3, 5, 7, 9, 15, 17, 19, 21, 23)
    attempt("steady", 8, 20)
    attempt("steady", 9, 2)
    # vanished: last seen 40 days ago; an event after asOf must not count.
    events("vanished", 40, 41)
    LearningEvent.objects.create(
        student=Student.objects.get(code="vanished"),
        event_type="login",
        occurred_at=AS_OF + timedelta(days=1),
    )
    # struggling: active 2 days ago, steady activity, three failed quizzes this fortnight.
    events("struggling", 2, 4, 6, 8, 16, 18, 20, 22)
    for score, day in [(2, 10), (3, 6), (3, 2)]:
        attempt("struggling", score, day)
    # slipping: 5 events in the previous fortnight, 1 in the recent one; 8 then 6.
    events("slipping", 3, 15, 16, 17, 18, 19)
    attempt("slipping", 8, 20)
    attempt("slipping", 6, 3)
    # late: like steady, but four drafts past their due date and not submitted.
    events("late", 1, 3, 5, 7, 9, 15, 17, 19, 21, 23)
    attempt("late", 8, 20)
    attempt("late", 9, 2)
    late = Student.objects.get(code="late")
    for n in range(4):
        Draft.objects.create(
            student=late,
            module_id=late.assessments.get(title="q2").module_id,
            content="todo",
            due_at=days_before(5 + n),
            created_at=days_before(30),
        )
    # newcomer: enrolled 3 days ago, nothing yet.


def sigmoid(z):
    return round(1 / (1 + math.exp(-z)), 6)


# (code, z worked out by hand, band, factors that raised the risk, largest first)
EXPECTED = [
    # as steady below, plus 4 overdue drafts * 0.6 = +2.4
    ("late", -2.0 + 0.1 - 0.6 - 0.3 + 4 * 0.6, "medium", ["overdue_drafts", "inactivity_weeks"]),
    # nothing recorded yet: inactivity counts from enrolment, 3 days: 3/7 * 0.7 = +0.3
    ("newcomer", -2.0 + 3 / 7 * 0.7, "low", ["inactivity_weeks"]),
    # inactivity 3 days: +0.3; activity decline (5 - 1) / 6 * 1.5 = +1.0;
    # gap 0.7 - 0.7 = 0; decline 0.8 - 0.6 = 0.2 * 3 = +0.6
    (
        "slipping",
        -2.0 + 3 / 7 * 0.7 + 4 / 6 * 1.5 + 0.2 * 3,
        "medium",
        ["activity_decline", "score_decline", "inactivity_weeks"],
    ),
    # inactivity 1 day: 1/7 * 0.7 = +0.1; score gap 0.7 - 0.85 = -0.15 * 4 = -0.6;
    # score decline 0.8 - 0.9 = -0.1 * 3 = -0.3
    ("steady", -2.0 + 0.1 - 0.6 - 0.3, "low", ["inactivity_weeks"]),
    # gap 0.7 - 0.8/3 = 0.4333 * 4 = +1.733; 3 failed * 0.4 = +1.2; 2 days: +0.2
    (
        "struggling",
        -2.0 + 2 / 7 * 0.7 + (0.7 - 8 / 30) * 4 + 3 * 0.4,
        "high",
        ["score_gap", "failed_attempts", "inactivity_weeks"],
    ),
    # 40 days: 40/7 * 0.7 = +4.0; no activity in the window, so no decline
    ("vanished", -2.0 + 40 / 7 * 0.7, "high", ["inactivity_weeks"]),
]


def test_each_student_gets_the_band_worked_out_by_hand(cohort, staff_client):
    # when: every active student (not "withdrawn")
    result = staff_client.execute(COMPUTE, {"asOf": AS_OF.isoformat()})

    # then
    data = result["data"]["dropoutRiskCompute"]
    assert (data["asOf"], data["modelVersion"], data["count"]) == (
        "2026-03-01T00:00:00+00:00",
        risk.MODEL_VERSION,
        6,
    )
    got = [
        (
            r["studentCode"],
            r["riskScore"],
            r["riskBand"].lower(),
            [f["factor"] for f in r["topFactors"]],
        )
        for r in sorted(data["results"], key=lambda r: r["studentCode"])
    ]
    expected = [
        (code, pytest.approx(sigmoid(z), abs=1e-4), band, factors)
        for code, z, band, factors in EXPECTED
    ]
    assert got == expected


def test_factors_carry_their_arithmetic(cohort, system_actor):
    # when
    run = services.dropout_risk_compute(
        actor=system_actor, student_ids=[Student.objects.get(code="struggling").pk], as_of=AS_OF
    )

    # then
    (struggling,) = run.results
    assert struggling.features == {
        "days_since_last_activity": 2.0,
        "events_recent_14d": 4,
        "events_previous_14d": 4,
        "mean_score": 0.2667,
        "recent_mean_score": 0.2667,
        "earlier_mean_score": None,
        "failed_attempts_28d": 3,
        "overdue_drafts": 0,
    }
    assert struggling.top_factors == [
        # the stored mean (0.2667, rounded) is the model's input: 4 * (0.7 - 0.2667)
        {"factor": "score_gap", "value": 0.4333, "weight": 4.0, "contribution": 1.7332},
        {"factor": "failed_attempts", "value": 3.0, "weight": 0.4, "contribution": 1.2},
        {"factor": "inactivity_weeks", "value": 0.2857, "weight": 0.7, "contribution": 0.2},
    ]


def test_recomputing_is_deterministic_and_keeps_history(cohort, system_actor):
    # given
    first = services.dropout_risk_compute(actor=system_actor, as_of=AS_OF)

    # when
    second = services.dropout_risk_compute(actor=system_actor, as_of=AS_OF)

    # then
    def outcome(run):
        return [
            (r.student_code, r.features, r.risk_score, r.risk_band, r.top_factors)
            for r in run.results
        ]

    assert outcome(first) == outcome(second)
    assert DropoutPrediction.objects.count() == FeatureSet.objects.count() == 12
    latest = {s.code: s.latest_prediction_id for s in Student.objects.filter(status="active")}
    assert latest == {r.student_code: r.prediction_id for r in second.results}


def test_the_list_filters_and_sorts_by_the_latest_prediction(cohort, system_actor, staff_client):
    # given: an old, "low" computation, then the current one
    services.dropout_risk_compute(actor=system_actor, as_of=AS_OF)

    # when
    high = staff_client.execute(
        "{ students(filters: {riskBand: HIGH}) { totalCount nodes { code } } }"
    )
    at_risk = staff_client.execute(
        "{ atRiskStudents(minBand: MEDIUM, limit: 3) { code latestPrediction { riskBand } } }"
    )

    # then
    assert high == {
        "data": {
            "students": {"totalCount": 2, "nodes": [{"code": "struggling"}, {"code": "vanished"}]}
        }
    }
    assert at_risk == {
        "data": {
            "atRiskStudents": [
                {"code": "vanished", "latestPrediction": {"riskBand": "HIGH"}},
                {"code": "struggling", "latestPrediction": {"riskBand": "HIGH"}},
                {"code": "slipping", "latestPrediction": {"riskBand": "MEDIUM"}},
            ]
        }
    }


def test_compute_takes_a_fixed_number_of_queries(cohort, system_actor, django_assert_num_queries):
    # given
    ids = list(Student.objects.values_list("pk", flat=True))

    # when: id check, features stored as FeatureSets, predictions, latest pointers, audit
    # row, and the savepoint and its release (the test already runs in a transaction)
    with django_assert_num_queries(7):
        run = services.dropout_risk_compute(actor=system_actor, student_ids=ids, as_of=AS_OF)

    # then
    assert len(run.results) == 7
