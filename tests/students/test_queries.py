from datetime import timedelta

import pytest

from students import services
from students.audit import Actor
from students.models import ActionLog, Student
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory

SEARCH = """
query ($filters: StudentFilter, $ordering: [StudentOrder!], $after: String, $limit: Int) {
  students(filters: $filters, ordering: $ordering, first: $limit, after: $after) {
    totalCount
    nodes { code }
    pageInfo { endCursor }
  }
}
"""


def codes(client, filters=None, ordering=None, after=None, limit=None):
    variables = {"filters": filters, "ordering": ordering or [], "after": after, "limit": limit}
    data = client.execute(SEARCH, variables)["data"]["students"]
    return data["totalCount"], [row["code"] for row in data["nodes"]]


def end_cursor(client, ordering, limit):
    variables = {"ordering": ordering, "limit": limit}
    return client.execute(SEARCH, variables)["data"]["students"]["pageInfo"]["endCursor"]


@pytest.fixture
def school(system_actor):
    ConceptModuleFactory(code="alg1")
    ConceptModuleFactory(code="geo1")
    rows = [
        ("s001", "Ada Lovelace", "ada@example.com", "active"),
        ("s002", "Grace Hopper", "grace@navy.example", "graduated"),
        ("s003", "Alan Turing", "alan@example.com", "active"),
        ("s004", "Barbara Liskov", "barbara@example.com", "withdrawn"),
    ]
    for day, (code, name, email, status) in enumerate(rows):
        StudentFactory(
            code=code, name=name, email=email, status=status, enrolled_at=T0 + timedelta(days=day)
        )
    services.assessment_record(
        actor=system_actor, student="s003", module="geo1", kind="exam", score=1, max_score=2
    )
    services.learning_events_record(
        actor=system_actor, events=[{"student": "s002", "event_type": "view", "module": "geo1"}]
    )
    services.learning_events_record(
        actor=system_actor, events=[{"student": "s001", "event_type": "view", "module": "alg1"}]
    )


def test_filter_by_status(school, staff_client):
    assert codes(staff_client, {"status": "ACTIVE"}) == (2, ["s001", "s003"])


def test_filter_by_module(school, staff_client):
    assert codes(staff_client, {"module": "geo1"}) == (2, ["s002", "s003"])


def test_search_name_code_or_email_ignoring_case(school, staff_client):
    assert codes(staff_client, {"search": "LOVE"}) == (1, ["s001"])
    assert codes(staff_client, {"search": "s00"}) == (4, ["s001", "s002", "s003", "s004"])
    assert codes(staff_client, {"search": "NAVY"}) == (1, ["s002"])


def test_ordering_and_pagination(school, staff_client):
    assert codes(staff_client, ordering=[{"name": "ASC"}]) == (4, ["s001", "s003", "s004", "s002"])
    by_enrolment = [{"enrolledAt": "DESC"}]
    after = end_cursor(staff_client, by_enrolment, 1)
    assert codes(staff_client, ordering=by_enrolment, after=after, limit=2) == (
        4,
        ["s003", "s002"],
    )


def test_order_by_risk_score_puts_students_without_predictions_last(
    school, staff_client, system_actor
):
    # given: predictions for s001 and s003 only
    ids = list(Student.objects.filter(code__in=["s001", "s003"]).values_list("pk", flat=True))
    services.dropout_risk_compute(
        actor=system_actor, student_ids=ids, as_of=T0 + timedelta(days=30)
    )

    # when
    riskiest_first = codes(staff_client, ordering=[{"riskScore": "DESC"}, {"code": "ASC"}])
    safest_first = codes(staff_client, ordering=[{"riskScore": "ASC"}, {"code": "ASC"}])

    # then: as of day 30 nothing was recorded yet (the exam and events are from today), so
    # s001 (enrolled day 0) has been inactive longer than s003 (day 2); without a
    # prediction last either way
    assert riskiest_first == (4, ["s001", "s003", "s002", "s004"])
    assert safest_first == (4, ["s003", "s001", "s002", "s004"])


def test_one_student_by_code_or_id_with_nested_data(school, staff_client):
    # given
    pk = Student.objects.get(code="s003").pk
    fields = (
        "code assessments { nodes { kind score maxScore attemptCount module { code } } } "
        "events { nodes { eventType } }"
    )

    # when
    by_code = staff_client.execute(f'{{ student(code: "s003") {{ {fields} }} }}')
    by_id = staff_client.execute(f'{{ student(id: "{pk}") {{ {fields} }} }}')
    missing = staff_client.execute('{ student(id: "abc") { code } }')
    both = staff_client.execute(f'{{ student(id: "{pk}", code: "s003") {{ code }} }}')

    # then
    expected = {
        "data": {
            "student": {
                "code": "s003",
                "assessments": {
                    "nodes": [
                        {
                            "kind": "EXAM",
                            "score": 1.0,
                            "maxScore": 2.0,
                            "attemptCount": 1,
                            "module": {"code": "geo1"},
                        }
                    ]
                },
                "events": {"nodes": []},
            }
        }
    }
    assert by_code == by_id == expected
    assert missing == {"data": {"student": None}}
    assert [e["message"] for e in both["errors"]] == [
        "student: give exactly one of 'id' and 'code'."
    ]


def test_concept_modules_in_curriculum_order(school, staff_client):
    assert staff_client.execute("{ conceptModules { code } }") == {
        "data": {"conceptModules": [{"code": "alg1"}, {"code": "geo1"}]}
    }


def test_action_log_filters_by_target_actor_and_range(school, staff, staff_client, make_user):
    # given: one more write by another user, later
    other = make_user("other")
    services.student_update(actor=Actor(user=other), code="s001", changes={"name": "Ada L."})
    later = ActionLog.objects.get(actor=other)
    ActionLog.objects.filter(pk=later.pk).update(at=T0 + timedelta(days=400))
    s001 = str(Student.objects.get(code="s001").pk)
    query = """
    query ($target: ActionTarget, $actor: String, $range: TimeRange) {
      actionLog(target: $target, actor: $actor, range: $range) {
        totalCount nodes { action targetType targetId actorLabel }
      }
    }
    """

    # when
    by_target = staff_client.execute(query, {"target": {"type": "student", "id": s001}})
    by_actor = staff_client.execute(query, {"actor": "other"})
    by_range = staff_client.execute(
        query, {"range": {"from": (T0 + timedelta(days=399)).isoformat()}}
    )

    # then
    row = {
        "action": "student.update",
        "targetType": "student",
        "targetId": s001,
        "actorLabel": "other",
    }
    assert by_target == {"data": {"actionLog": {"totalCount": 1, "nodes": [row]}}}
    assert by_actor == by_target
    assert by_range == by_target


@pytest.mark.parametrize("text", ["s0\x0001", "s0\ud80001"], ids=["nul", "surrogate"])
def test_text_the_database_cannot_hold_matches_nothing_and_finds_no_student(
    text, school, staff_client
):
    # when
    by_module = codes(staff_client, {"module": text})
    by_search = codes(staff_client, {"search": text})
    student = staff_client.execute("query ($c: String) { student(code: $c) { code } }", {"c": text})
    record = staff_client.execute(
        "query ($s: String!) { performanceRecord(student: $s) { mastery } }", {"s": text}
    )
    log = [
        staff_client.execute(
            "query ($t: ActionTarget, $a: String) { actionLog(target: $t, actor: $a) "
            "{ totalCount nodes { action } } }",
            variables,
        )
        for variables in (
            {"t": {"type": text, "id": "1"}},
            {"t": {"type": "student", "id": text}},
            {"a": text},
        )
    ]

    # then
    assert by_module == (0, [])
    assert by_search == (0, [])
    assert student == {"data": {"student": None}}
    assert record["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in record["errors"]] == [
        (f"No student with code {text!r}.", "NOT_FOUND")
    ]
    assert log == [{"data": {"actionLog": {"totalCount": 0, "nodes": []}}}] * 3
