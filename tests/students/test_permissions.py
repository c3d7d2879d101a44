import pytest

from config.context import NOT_SIGNED_IN
from students import services
from students.models import ActionLog, Student
from tests.students.conftest import READ_PERMS
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory

LIST = "{ students { nodes { code email } } }"
ONE = (
    '{ student(code: "s001") { code email latestPrediction { riskBand } '
    "predictions { nodes { riskBand } } } }"
)


@pytest.fixture
def data(system_actor):
    ConceptModuleFactory(code="alg1")
    StudentFactory(code="s001", email="ada@example.com")
    services.dropout_risk_compute(actor=system_actor, as_of=T0)


def error_messages(result):
    return [error["message"] for error in result["errors"]]


@pytest.mark.parametrize(
    "query",
    [
        LIST,
        ONE,
        "{ conceptModules { code } }",
        '{ performanceRecord(student: "s001") { mastery } }',
        "{ atRiskStudents { code } }",
        "{ actionLog { totalCount } }",
    ],
)
def test_anonymous_callers_must_sign_in(query, data, anon_client):
    # when
    result = anon_client.execute(query)

    # then: nullable fields answer null, the others null the whole data
    assert result["data"] in (None, {"student": None})
    assert error_messages(result) == [NOT_SIGNED_IN]


@pytest.mark.parametrize(
    ("query", "perm"),
    [
        (LIST, "students.view_student"),
        (ONE, "students.view_student"),
        ("{ conceptModules { code } }", "students.view_conceptmodule"),
        ('{ performanceRecord(student: "s001") { mastery } }', "students.view_student"),
        ("{ actionLog { totalCount } }", "students.view_actionlog"),
    ],
)
def test_reading_needs_the_view_permission(query, perm, data, api_client, make_user):
    # given: every other read permission
    client = api_client(make_user("nosy", perms=[p for p in READ_PERMS if p != perm]))

    # when
    result = client.execute(query)

    # then
    assert result["data"] in (None, {"student": None})
    assert error_messages(result) == [f"You don't have permission to do this ({perm})."]


def test_emails_are_null_without_the_email_permission(data, reader_client, staff_client):
    # when
    hidden = reader_client.execute(LIST)
    shown = staff_client.execute(LIST)

    # then
    assert hidden == {"data": {"students": {"nodes": [{"code": "s001", "email": None}]}}}
    assert shown == {
        "data": {"students": {"nodes": [{"code": "s001", "email": "ada@example.com"}]}}
    }


def test_search_matches_emails_only_for_callers_who_may_see_them(data, reader_client, staff_client):
    # given
    query = '{ students(filters: {search: "ADA@EXAMPLE"}) { totalCount } }'

    # when
    hidden = reader_client.execute(query)
    shown = staff_client.execute(query)

    # then
    assert hidden == {"data": {"students": {"totalCount": 0}}}
    assert shown == {"data": {"students": {"totalCount": 1}}}


def test_predictions_are_hidden_without_their_permission(data, api_client, make_user):
    # given
    client = api_client(make_user("teacher", perms=["students.view_student"]))

    # when
    one = client.execute(ONE)
    by_band = client.execute("{ students(filters: {riskBand: LOW}) { totalCount } }")
    at_risk = client.execute("{ atRiskStudents { code } }")

    # then
    assert one == {
        "data": {
            "student": {
                "code": "s001",
                "email": None,
                "latestPrediction": None,
                "predictions": {"nodes": []},
            }
        }
    }
    assert error_messages(by_band) == [
        "You don't have permission to do this (students.view_dropoutprediction)."
    ]
    assert error_messages(at_risk) == [
        "You don't have permission to do this (students.view_dropoutprediction)."
    ]


WRITES = [
    (
        'studentCreate(input: {code: "s9", name: "N", email: "n@example.com"})',
        "Student",
        "students.add_student",
    ),
    ('studentUpdate(code: "s001", input: {name: "N"})', "Student", "students.change_student"),
    (
        'conceptModuleCreate(input: {code: "x", title: "X"})',
        "ConceptModule",
        "students.add_conceptmodule",
    ),
    (
        'draftSubmit(input: {student: "s001", module: "alg1", content: "c"})',
        "Draft",
        "students.add_draft",
    ),
    ('draftReview(id: "1", feedback: "f")', "Draft", "students.change_draft"),
    (
        'assessmentRecord(input: {student: "s001", module: "alg1", kind: QUIZ, score: 1, '
        "maxScore: 2})",
        "Attempt",
        "students.add_assessment",
    ),
    (
        'learningEventRecord(input: {student: "s001", eventType: LOGIN})',
        "LearningEvent",
        "students.add_learningevent",
    ),
    (
        'learningEventsRecord(events: [{student: "s001", eventType: LOGIN}])',
        "LearningEventsRecordResult",
        "students.add_learningevent",
    ),
    ("dropoutRiskCompute", "DropoutRiskComputeResult", "students.add_dropoutprediction"),
    ('studentDelete(code: "s001")', "Student", "students.delete_student"),
    ('studentErase(code: "s001")', "Student", "students.delete_student"),
    (
        'conceptModuleUpdate(code: "alg1", input: {title: "T"})',
        "ConceptModule",
        "students.change_conceptmodule",
    ),
    ('conceptModuleDelete(code: "alg1")', "ConceptModule", "students.delete_conceptmodule"),
    ('draftUpdate(id: "1", input: {content: "c"})', "Draft", "students.change_draft"),
    ('draftDelete(id: "1")', "Draft", "students.delete_draft"),
]


@pytest.mark.parametrize(("call", "type_name", "perm"), WRITES)
def test_writing_needs_the_add_or_change_permission(call, type_name, perm, data, reader_client):
    # given
    before = (Student.objects.count(), ActionLog.objects.count())
    name = call.split("(")[0]

    # when
    result = reader_client.execute(
        f"mutation {{ {call} {{ ... on {type_name} {{ __typename }} "
        "... on OperationInfo { messages { kind message } } } }"
    )

    # then
    assert result == {
        "data": {
            name: {
                "messages": [
                    {
                        "kind": "PERMISSION",
                        "message": f"You don't have permission to do this ({perm}).",
                    }
                ]
            }
        }
    }
    assert (Student.objects.count(), ActionLog.objects.count()) == before
