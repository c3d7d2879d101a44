"""Editing and deleting students, concept modules and drafts, and erasing personal data."""

from datetime import timedelta

import pytest

from students import services
from students.models import (
    ActionLog,
    ConceptModule,
    Draft,
    DropoutPrediction,
    FeatureSet,
    LearningEvent,
    PerformanceRecord,
    Student,
)
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory
from tests.students.test_mutations import counts

OP_INFO = "... on OperationInfo { messages { kind field message } }"


def audit_rows():
    return list(
        ActionLog.objects.order_by("id").values_list(
            "action", "target_type", "target_id", "payload"
        )
    )


@pytest.fixture
def alg1(db):
    return ConceptModuleFactory(code="alg1", title="Algebra", order=1)


# --- studentDelete --------------------------------------------------------------------------

DELETE_STUDENT = (
    "mutation ($code: String!) { studentDelete(code: $code) "
    f"{{ ... on Student {{ id code name }} {OP_INFO} }} }}"
)


def test_a_student_without_history_is_deleted_with_its_derived_rows(
    alg1, staff, staff_client, system_actor
):
    # given: enrolled by mistake; a risk computation gave them features and a prediction
    student = services.student_create(
        actor=system_actor, code="s009", name="Typo Name", email="typo@example.com"
    )
    services.dropout_risk_compute(actor=system_actor, as_of=T0 + timedelta(days=1))
    assert FeatureSet.objects.count() == DropoutPrediction.objects.count() == 1

    # when
    result = staff_client.execute(DELETE_STUDENT, {"code": "s009"})

    # then
    assert result == {
        "data": {"studentDelete": {"id": str(student.pk), "code": "s009", "name": "Typo Name"}}
    }
    assert Student.objects.count() == FeatureSet.objects.count() == 0
    assert DropoutPrediction.objects.count() == 0
    # the earlier audit row keeps the code, not the name
    assert audit_rows() == [
        ("student.create", "student", str(student.pk), {"code": "s009", "status": "active"}),
        (
            "dropout_risk.compute",
            "dropout_prediction",
            "",
            {
                "as_of": "2026-01-06T09:00:00+00:00",
                "bands": {"low": 1, "high": 0, "medium": 0},
                "students": 1,
                "student_ids": None,
                "model_version": "dropout-logit-v1",
            },
        ),
        ("student.delete", "student", str(student.pk), {}),
    ]
    assert ActionLog.objects.get(action="student.delete").actor == staff


def test_a_student_with_history_is_not_deleted(alg1, staff_client):
    # given
    student = StudentFactory(code="s001")
    Draft.objects.create(student=student, module=alg1, content="essay")
    LearningEvent.objects.create(student=student, event_type="view", occurred_at=T0)
    LearningEvent.objects.create(student=student, event_type="login", occurred_at=T0)
    before = counts()

    # when
    result = staff_client.execute(DELETE_STUDENT, {"code": "s001"})

    # then
    assert result == {
        "data": {
            "studentDelete": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "code",
                        "message": "Student 's001' has history (1 draft, 2 learning events) "
                        "and cannot be deleted; set its status to WITHDRAWN, or erase its "
                        "personal data with studentErase.",
                    }
                ]
            }
        }
    }
    assert counts() == before


def test_deleting_an_unknown_student_is_not_found(db, staff_client):
    # when
    result = staff_client.execute(DELETE_STUDENT, {"code": "ghost"})

    # then
    assert result == {
        "data": {
            "studentDelete": {
                "messages": [
                    {"kind": "ERROR", "field": None, "message": "No student with code 'ghost'."}
                ]
            }
        }
    }
    assert ActionLog.objects.count() == 0


# --- concept modules ------------------------------------------------------------------------

MODULE_UPDATE = (
    "mutation ($code: String!, $input: ConceptModuleUpdateInput!) { "
    "conceptModuleUpdate(code: $code, input: $input) "
    f"{{ ... on ConceptModule {{ code title order }} {OP_INFO} }} }}"
)
MODULE_DELETE = (
    "mutation ($code: String!) { conceptModuleDelete(code: $code) "
    f"{{ ... on ConceptModule {{ code title }} {OP_INFO} }} }}"
)


def test_a_concept_module_is_renamed_and_moved(alg1, staff_client):
    # when
    result = staff_client.execute(
        MODULE_UPDATE, {"code": "alg1", "input": {"title": "Algebra I", "order": 5}}
    )

    # then
    assert result == {
        "data": {"conceptModuleUpdate": {"code": "alg1", "title": "Algebra I", "order": 5}}
    }
    assert ConceptModule.objects.values_list("code", "title", "order").get() == (
        "alg1",
        "Algebra I",
        5,
    )
    assert audit_rows() == [
        (
            "concept_module.update",
            "concept_module",
            str(alg1.pk),
            {"title": "Algebra I", "order": 5},
        )
    ]


@pytest.mark.parametrize(
    ("code", "changes", "messages"),
    [
        ("alg1", {"title": ""}, [("VALIDATION", "title", "This field cannot be blank.")]),
        ("alg1", {"title": None}, [("VALIDATION", "title", "cannot be null")]),
        (
            "alg1",
            {"order": -1},
            [("VALIDATION", "order", "Ensure this value is greater than or equal to 0.")],
        ),
        ("geo9", {"title": "G"}, [("ERROR", None, "No concept module with code 'geo9'.")]),
    ],
)
def test_a_bad_module_update_names_the_field_and_writes_nothing(
    code, changes, messages, alg1, staff_client
):
    # when
    result = staff_client.execute(MODULE_UPDATE, {"code": code, "input": changes})

    # then
    got = result["data"]["conceptModuleUpdate"]["messages"]
    assert [(m["kind"], m["field"], m["message"]) for m in got] == messages
    assert ConceptModule.objects.values_list("title", "order").get() == ("Algebra", 1)
    assert ActionLog.objects.count() == 0


def test_an_unused_concept_module_is_deleted(alg1, staff_client):
    # when
    result = staff_client.execute(MODULE_DELETE, {"code": "alg1"})

    # then
    assert result == {"data": {"conceptModuleDelete": {"code": "alg1", "title": "Algebra"}}}
    assert ConceptModule.objects.count() == 0
    assert audit_rows() == [
        (
            "concept_module.delete",
            "concept_module",
            str(alg1.pk),
            {"code": "alg1", "title": "Algebra"},
        )
    ]


def test_a_concept_module_in_use_is_not_deleted(alg1, staff_client, system_actor):
    # given
    StudentFactory(code="s001")
    services.draft_submit(actor=system_actor, student="s001", module="alg1", content="x")
    before = counts()

    # when
    result = staff_client.execute(MODULE_DELETE, {"code": "alg1"})

    # then
    assert result["data"]["conceptModuleDelete"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "code",
            "message": "Concept module 'alg1' is in use (1 draft) and cannot be deleted.",
        }
    ]
    assert counts() == before


# --- drafts ---------------------------------------------------------------------------------

DRAFT_UPDATE = (
    "mutation ($id: ID!, $input: DraftUpdateInput!) { draftUpdate(id: $id, input: $input) "
    f"{{ ... on Draft {{ content status dueAt module {{ code }} }} {OP_INFO} }} }}"
)
DRAFT_DELETE = (
    f"mutation ($id: ID!) {{ draftDelete(id: $id) {{ ... on Draft {{ id status }} {OP_INFO} }} }}"
)


@pytest.fixture
def submitted(alg1, system_actor):
    StudentFactory(code="s001")
    ConceptModuleFactory(code="geo1", title="Geometry", order=2)
    draft = services.draft_submit(actor=system_actor, student="s001", module="alg1", content="v1")
    ActionLog.objects.all().delete()
    return draft


def test_a_draft_is_edited_and_keeps_its_status(submitted, staff_client):
    # when
    result = staff_client.execute(
        DRAFT_UPDATE,
        {
            "id": str(submitted.pk),
            "input": {"content": "v2", "dueAt": "2026-02-01T12:00:00Z", "module": "geo1"},
        },
    )

    # then
    assert result == {
        "data": {
            "draftUpdate": {
                "content": "v2",
                "status": "SUBMITTED",
                "dueAt": "2026-02-01T12:00:00+00:00",
                "module": {"code": "geo1"},
            }
        }
    }
    # performance moved to the new module
    assert list(
        PerformanceRecord.objects.values_list("module__code", "completion").order_by("module__code")
    ) == [("geo1", 1.0)]
    assert audit_rows() == [
        (
            "draft.update",
            "draft",
            str(submitted.pk),
            {"student": "s001", "module": "geo1", "fields": ["content", "due_at", "module"]},
        )
    ]


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"content": "v2", "module": "nope"}, [("module", "No concept module with code 'nope'.")]),
        ({"content": "x\x00"}, [("content", "Must not contain NUL characters.")]),
        ({"content": None}, [("content", "cannot be null")]),
    ],
)
def test_a_bad_draft_update_names_the_field_and_writes_nothing(
    changes, messages, submitted, staff_client
):
    # given
    before = counts()

    # when
    result = staff_client.execute(DRAFT_UPDATE, {"id": str(submitted.pk), "input": changes})

    # then
    got = result["data"]["draftUpdate"]["messages"]
    assert [(m["field"], m["message"]) for m in got] == messages
    assert Draft.objects.values_list("content", "module__code").get() == ("v1", "alg1")
    assert counts() == before


def test_a_reviewed_draft_cannot_be_edited(submitted, staff_client, system_actor):
    # given
    services.draft_review(actor=system_actor, draft_id=submitted.pk, feedback="Good")
    before = counts()

    # when
    result = staff_client.execute(
        DRAFT_UPDATE, {"id": str(submitted.pk), "input": {"content": "v2"}}
    )

    # then
    assert result["data"]["draftUpdate"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "id",
            "message": "This draft has been reviewed and can't be changed.",
        }
    ]
    assert counts() == before


def test_a_draft_is_deleted_and_performance_recomputed(submitted, staff_client):
    # given
    assert PerformanceRecord.objects.values_list("completion", flat=True).get() == 1.0

    # when
    result = staff_client.execute(DRAFT_DELETE, {"id": str(submitted.pk)})

    # then
    assert result == {"data": {"draftDelete": {"id": str(submitted.pk), "status": "SUBMITTED"}}}
    assert Draft.objects.count() == 0
    assert PerformanceRecord.objects.count() == 0
    assert audit_rows() == [
        (
            "draft.delete",
            "draft",
            str(submitted.pk),
            {"student": "s001", "module": "alg1", "status": "submitted"},
        )
    ]


def test_deleting_an_unknown_draft_is_not_found(submitted, staff_client):
    # when
    result = staff_client.execute(DRAFT_DELETE, {"id": "999999"})

    # then
    assert result["data"]["draftDelete"]["messages"] == [
        {"kind": "ERROR", "field": None, "message": "No draft with id '999999'."}
    ]
    assert Draft.objects.count() == 1
    assert ActionLog.objects.count() == 0
