import pytest

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
from tests.students.factories import ConceptModuleFactory, StudentFactory

OP_INFO = "... on OperationInfo { messages { kind field message } }"
MUTATIONS = {
    "studentCreate": (
        f"mutation ($input: StudentCreateInput!) {{ studentCreate(input: $input) "
        f"{{ ... on Student {{ code }} {OP_INFO} }} }}"
    ),
    "studentUpdate": (
        f"mutation ($code: String!, $input: StudentUpdateInput!) {{ studentUpdate(code: $code, "
        f"input: $input) {{ ... on Student {{ code name status }} {OP_INFO} }} }}"
    ),
    "conceptModuleCreate": (
        f"mutation ($input: ConceptModuleCreateInput!) {{ conceptModuleCreate(input: $input) "
        f"{{ ... on ConceptModule {{ code }} {OP_INFO} }} }}"
    ),
    "draftSubmit": (
        f"mutation ($input: DraftSubmitInput!) {{ draftSubmit(input: $input) "
        f"{{ ... on Draft {{ id status }} {OP_INFO} }} }}"
    ),
    "draftReview": (
        f"mutation ($id: ID!, $feedback: String!) {{ draftReview(id: $id, feedback: $feedback) "
        f"{{ ... on Draft {{ status feedback }} {OP_INFO} }} }}"
    ),
    "assessmentRecord": (
        f"mutation ($input: AssessmentRecordInput!) {{ assessmentRecord(input: $input) "
        f"{{ ... on Attempt {{ attemptNumber }} {OP_INFO} }} }}"
    ),
    "learningEventRecord": (
        f"mutation ($input: LearningEventInput!) {{ learningEventRecord(input: $input) "
        f"{{ ... on LearningEvent {{ eventType }} {OP_INFO} }} }}"
    ),
    "learningEventsRecord": (
        f"mutation ($events: [LearningEventInput!]!) {{ learningEventsRecord(events: $events) "
        f"{{ ... on LearningEventsRecordResult {{ received stored }} {OP_INFO} }} }}"
    ),
    "dropoutRiskCompute": (
        f"mutation ($ids: [ID!], $asOf: DateTime) {{ dropoutRiskCompute(studentIds: $ids, "
        f"asOf: $asOf) {{ ... on DropoutRiskComputeResult {{ count }} {OP_INFO} }} }}"
    ),
}
TABLES = [
    Student,
    ConceptModule,
    Draft,
    Assessment,
    AttemptHistory,
    LearningEvent,
    PerformanceRecord,
    FeatureSet,
    DropoutPrediction,
    ActionLog,
]


def counts():
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def world(db):
    ConceptModuleFactory(code="alg1")
    student = StudentFactory(code="s001", email="ada@example.com")
    draft = Draft.objects.create(
        student=student, module=ConceptModule.objects.get(), content="x", status="submitted"
    )
    return {"student": student, "draft": draft}


def run(client, name, variables):
    return client.execute(MUTATIONS[name], variables)["data"][name]


GOOD_CALLS = [
    (
        "studentCreate",
        {"input": {"code": "s002", "name": "Bo", "email": "bo@example.com"}},
        "student.create",
        "student",
    ),
    (
        "studentUpdate",
        {"code": "s001", "input": {"name": "Ada L.", "status": "WITHDRAWN"}},
        "student.update",
        "student",
    ),
    (
        "conceptModuleCreate",
        {"input": {"code": "geo1", "title": "Geometry"}},
        "concept_module.create",
        "concept_module",
    ),
    (
        "draftSubmit",
        {"input": {"student": "s001", "module": "alg1", "content": "essay"}},
        "draft.submit",
        "draft",
    ),
    ("draftReview", {"id": "DRAFT", "feedback": "Good"}, "draft.review", "draft"),
    (
        "assessmentRecord",
        {
            "input": {
                "student": "s001",
                "module": "alg1",
                "kind": "QUIZ",
                "score": 7,
                "maxScore": 10,
            }
        },
        "assessment.record",
        "assessment",
    ),
    (
        "learningEventRecord",
        {"input": {"student": "s001", "eventType": "LOGIN"}},
        "learning_event.record",
        "learning_event",
    ),
    (
        "learningEventsRecord",
        {
            "events": [
                {"student": "s001", "eventType": "VIEW", "module": "alg1"},
                {"student": "s001", "eventType": "QUIZ"},
            ]
        },
        "learning_event.record_batch",
        "learning_event",
    ),
    (
        "dropoutRiskCompute",
        {"ids": None, "asOf": "2026-02-01T00:00:00Z"},
        "dropout_risk.compute",
        "dropout_prediction",
    ),
]


@pytest.mark.parametrize(("name", "variables", "action", "target_type"), GOOD_CALLS)
def test_every_mutation_adds_one_audit_row(
    name, variables, action, target_type, world, staff, staff_client
):
    # given
    if variables.get("id") == "DRAFT":
        variables = {**variables, "id": str(world["draft"].pk)}

    # when
    result = run(staff_client, name, variables)

    # then
    assert "messages" not in result, result
    logs = list(
        ActionLog.objects.values("action", "target_type", "actor", "api_key__user", "actor_label")
    )
    assert len(logs) == 1
    assert logs[0]["action"] == action
    assert logs[0]["target_type"] == target_type
    assert logs[0]["actor"] == staff.pk
    assert logs[0]["api_key__user"] == staff.pk
    assert logs[0]["actor_label"].startswith("staff (key ")


BAD_CALLS = [
    (
        "studentCreate",
        {"input": {"code": "s001", "name": "Twin", "email": "twin@example.com"}},
        [("code", "A student with this code already exists.")],
    ),
    (
        "studentCreate",
        {"input": {"code": "s002", "name": "Twin", "email": "ADA@Example.COM"}},
        [("email", "A student with this email already exists.")],
    ),
    (
        "studentCreate",
        {"input": {"code": "s 2", "name": "", "email": "not-an-email"}},
        [
            ("code", "Use letters, digits, '.', '_' or '-', starting with a letter or digit."),
            ("name", "This field cannot be blank."),
            ("email", "Enter a valid email address."),
        ],
    ),
    (
        "studentUpdate",
        {"code": "s001", "input": {"email": "OTHER@example.com"}},
        [("email", "A student with this email already exists.")],
    ),
    (
        "studentUpdate",
        {"code": "nobody", "input": {"name": "X"}},
        [(None, "No student with code 'nobody'.")],
    ),
    (
        "conceptModuleCreate",
        {"input": {"code": "alg1", "title": "Again"}},
        [("code", "Concept module with this Code already exists.")],
    ),
    (
        "draftSubmit",
        {"input": {"student": "s001", "module": "nope", "content": "x"}},
        [("module", "No concept module with code 'nope'.")],
    ),
    (
        "draftSubmit",
        {"input": {"student": "ghost", "module": "alg1", "content": "x"}},
        [("student", "No student with code 'ghost'.")],
    ),
    (
        "draftSubmit",
        {"input": {"student": "s0\x0001", "module": "alg1", "content": "x"}},
        [("student", "No student with code 's0\\x0001'.")],
    ),
    (
        "draftSubmit",
        {"input": {"student": "s001", "module": "alg\x001", "content": "x"}},
        [("module", "No concept module with code 'alg\\x001'.")],
    ),
    (
        "studentCreate",
        {"input": {"code": "s009", "name": "N\x00", "email": "n@example.com"}},
        [("name", "Must not contain NUL characters.")],
    ),
    (
        "studentUpdate",
        {"code": "s001", "input": {"name": "N\ud800"}},
        [("name", "Must not contain lone surrogate characters.")],
    ),
    (
        "conceptModuleCreate",
        {"input": {"code": "geo2", "title": "Geo\x00"}},
        [("title", "Must not contain NUL characters.")],
    ),
    (
        "draftSubmit",
        {"input": {"student": "s001", "module": "alg1", "content": "x\x00"}},
        [("content", "Must not contain NUL characters.")],
    ),
    (
        "assessmentRecord",
        {
            "input": {
                "student": "s001",
                "module": "alg1",
                "kind": "QUIZ",
                "score": 1,
                "maxScore": 10,
                "title": "Quiz\x00",
            }
        },
        [("title", "Must not contain NUL characters.")],
    ),
    (
        "learningEventRecord",
        {"input": {"student": "s001", "eventType": "LOGIN", "metadata": {"k": "v\x00"}}},
        [("metadata", "Must not contain NUL characters.")],
    ),
    (
        "studentUpdate",
        {"code": "s0\ud80001", "input": {"name": "X"}},
        [(None, "No student with code 's0\\ud80001'.")],
    ),
    (
        "learningEventRecord",
        {"input": {"student": "s0\x0001", "eventType": "LOGIN", "module": "alg\ud8001"}},
        [
            ("student", "No student with code 's0\\x0001'."),
            ("module", "No concept module with code 'alg\\ud8001'."),
        ],
    ),
    ("draftReview", {"id": "999999", "feedback": "?"}, [(None, "No draft with id '999999'.")]),
    (
        "assessmentRecord",
        {
            "input": {
                "student": "s001",
                "module": "alg1",
                "kind": "QUIZ",
                "score": 11,
                "maxScore": 10,
            }
        },
        [("score", "Must not be greater than maxScore (10).")],
    ),
    (
        "assessmentRecord",
        {
            "input": {
                "student": "s001",
                "module": "geo9",
                "kind": "QUIZ",
                "score": 1,
                "maxScore": 10,
            }
        },
        [("module", "No concept module with code 'geo9'.")],
    ),
    (
        "learningEventRecord",
        {"input": {"student": "s001", "eventType": "LOGIN", "module": "x"}},
        [("module", "No concept module with code 'x'.")],
    ),
    (
        "learningEventsRecord",
        {
            "events": [
                {"student": "s001", "eventType": "VIEW"},
                {"student": "s001", "eventType": "VIEW", "durationS": -1},
                {"student": "zed", "eventType": "VIEW"},
            ]
        },
        [
            ("durationS", "events[1]: Ensure this value is greater than or equal to 0."),
            ("student", "events[2]: No student with code 'zed'."),
        ],
    ),
    (
        "dropoutRiskCompute",
        {"ids": ["999999", "abc"]},
        [("studentIds", "No student with id abc, 999999.")],
    ),
]


@pytest.mark.parametrize(("name", "variables", "messages"), BAD_CALLS)
def test_refused_mutations_name_the_field_and_write_nothing(
    name, variables, messages, world, staff_client
):
    # given
    StudentFactory(code="s003", email="other@example.com")
    before = counts()

    # when
    result = run(staff_client, name, variables)

    # then
    assert [(m["field"], m["message"]) for m in result["messages"]] == messages
    assert counts() == before


STUDENT_WRITE = (
    "mutation ($create: StudentCreateInput!, $code: String!, $update: StudentUpdateInput!) { "
    "created: studentCreate(input: $create) { ... on OperationInfo "
    "{ messages { kind field message code } } } "
    "updated: studentUpdate(code: $code, input: $update) { ... on OperationInfo "
    "{ messages { kind field message code } } } }"
)
HIDDEN_CONFLICT = {
    "messages": [
        {
            "kind": "VALIDATION",
            "field": None,
            "message": "A student with these details cannot be saved: a code or email is "
            "already in use.",
            "code": "CONFLICT",
        }
    ]
}


@pytest.mark.parametrize(
    "create",
    [
        {"code": "s002", "name": "Twin", "email": "ADA@example.com"},
        {"code": "s001", "name": "Twin", "email": "new@example.com"},
    ],
    ids=["taken-email", "taken-code"],
)
def test_a_caller_who_may_not_see_emails_gets_one_conflict_for_code_and_email(
    create, world, api_client, make_user
):
    # given: may add and change students, but not see emails; an update to a taken email
    clerk = make_user("clerk", perms=["students.add_student", "students.change_student"])
    StudentFactory(code="s003", email="other@example.com")
    variables = {"create": create, "code": "s003", "update": {"email": "ada@example.com"}}
    before = counts()

    # when
    result = api_client(clerk).execute(STUDENT_WRITE, variables)

    # then: the same refusal whichever is taken, naming no field
    assert result == {"data": {"created": HIDDEN_CONFLICT, "updated": HIDDEN_CONFLICT}}
    assert counts() == before


def test_a_caller_who_may_see_emails_is_told_which_field_conflicts(world, staff_client):
    # given
    StudentFactory(code="s003", email="other@example.com")
    variables = {
        "create": {"code": "s002", "name": "Twin", "email": "ADA@example.com"},
        "code": "s003",
        "update": {"email": "ada@example.com"},
    }

    # when
    result = staff_client.execute(STUDENT_WRITE, variables)

    # then
    named = {
        "messages": [
            {
                "kind": "VALIDATION",
                "field": "email",
                "message": "A student with this email already exists.",
                "code": "CONFLICT",
            }
        ]
    }
    assert result == {"data": {"created": named, "updated": named}}


def test_reviewing_twice_is_refused(world, staff_client):
    # given
    draft_id = str(world["draft"].pk)
    run(staff_client, "draftReview", {"id": draft_id, "feedback": "Good"})

    # when
    again = run(staff_client, "draftReview", {"id": draft_id, "feedback": "Again"})

    # then
    assert again == {
        "messages": [
            {
                "kind": "VALIDATION",
                "field": "id",
                "message": "Only submitted drafts can be reviewed (this one is reviewed).",
            }
        ]
    }
    assert ActionLog.objects.count() == 1


def test_replayed_events_are_stored_once(world, staff_client):
    # given
    events = [
        {"student": "s001", "eventType": "VIEW", "eventId": "7f0c1e8e-8f4e-4b4a-9a53-1c0b7b1d2a01"},
        {"student": "s001", "eventType": "QUIZ", "eventId": "7f0c1e8e-8f4e-4b4a-9a53-1c0b7b1d2a02"},
    ]
    first = run(staff_client, "learningEventsRecord", {"events": events})

    # when
    replay = run(staff_client, "learningEventsRecord", {"events": events})

    # then
    assert (first, replay) == ({"received": 2, "stored": 2}, {"received": 2, "stored": 0})
    assert LearningEvent.objects.count() == 2


def test_update_changes_only_the_given_fields(world, staff_client):
    # when
    result = run(staff_client, "studentUpdate", {"code": "s001", "input": {"status": "GRADUATED"}})

    # then
    assert result == {"code": "s001", "name": "Student s001", "status": "GRADUATED"}
    assert ActionLog.objects.get().payload == {"status": "graduated"}


def test_draft_saved_then_submitted_by_id(world, staff_client):
    # given: saved without submitting
    saved = run(
        staff_client,
        "draftSubmit",
        {"input": {"student": "s001", "module": "alg1", "content": "v1", "submit": False}},
    )

    # when
    submitted = run(
        staff_client,
        "draftSubmit",
        {"input": {"student": "s001", "module": "alg1", "content": "v2", "id": saved["id"]}},
    )

    # then
    assert (saved["status"], submitted) == ("DRAFT", {"id": saved["id"], "status": "SUBMITTED"})
    assert Draft.objects.get(pk=saved["id"]).content == "v2"
    assert list(ActionLog.objects.order_by("id").values_list("action", flat=True)) == [
        "draft.save",
        "draft.submit",
    ]


def test_a_replayed_single_event_returns_the_stored_one(world, staff_client):
    # given
    event = {
        "student": "s001",
        "eventType": "LOGIN",
        "eventId": "00000000-0000-0000-0000-000000000001",
    }
    first = run(staff_client, "learningEventRecord", {"input": event})

    # when
    again = run(staff_client, "learningEventRecord", {"input": event})

    # then
    assert first == again == {"eventType": "LOGIN"}
    assert LearningEvent.objects.count() == 1


def test_review_feedback_the_database_cannot_hold_is_refused(world, staff_client):
    # given
    draft_id = str(world["draft"].pk)
    before = counts()

    # when
    result = run(staff_client, "draftReview", {"id": draft_id, "feedback": "Good\x00"})

    # then
    assert result == {
        "messages": [
            {
                "kind": "VALIDATION",
                "field": "feedback",
                "message": "Must not contain NUL characters.",
            }
        ]
    }
    assert counts() == before
    world["draft"].refresh_from_db()
    assert (world["draft"].status, world["draft"].feedback) == ("submitted", "")
