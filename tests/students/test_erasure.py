"""Erasing a student's personal data on request (studentErase and the admin action)."""

import pytest
from django.test import Client

from students import services
from students.audit import Actor
from students.models import ActionLog, AttemptHistory, Draft, LearningEvent, Student
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory
from tests.students.test_mutations import counts

ERASE = (
    "mutation ($code: String!) { studentErase(code: $code) { ... on Student "
    "{ code name email status erasedAt drafts { nodes { content status } } attempts { nodes { score } } } "
    "... on OperationInfo { messages { kind field message } } } }"
)


@pytest.fixture
def ada(system_actor):
    ConceptModuleFactory(code="alg1")
    services.student_create(
        actor=system_actor, code="s001", name="Ada Lovelace", email="ada@example.com"
    )
    services.student_update(actor=system_actor, code="s001", changes={"name": "Ada King"})
    services.draft_submit(
        actor=system_actor, student="s001", module="alg1", content="My name is Ada King."
    )
    services.assessment_record(
        actor=system_actor, student="s001", module="alg1", kind="quiz", score=7, max_score=10
    )
    services.learning_events_record(
        actor=system_actor,
        events=[
            {"student": "s001", "event_type": "login", "occurred_at": T0, "metadata": {"ip": "1"}}
        ],
    )
    return Student.objects.get(code="s001")


def payloads_mentioning(text: str) -> list:
    return [row for row in ActionLog.objects.values_list("payload", flat=True) if text in str(row)]


def test_erasure_removes_the_personal_data_and_keeps_the_history(ada, staff, staff_client):
    # given
    other = StudentFactory(code="s002", name="Bo", email="bo@example.com")
    audit_before = ActionLog.objects.count()

    # when
    result = staff_client.execute(ERASE, {"code": "s001"})

    # then: the record answers with the replacements
    erased = Student.objects.get(pk=ada.pk)
    assert result == {
        "data": {
            "studentErase": {
                "code": f"erased-{ada.pk}",
                "name": "Erased student",
                "email": f"erased-{ada.pk}@erased.invalid",
                "status": "ACTIVE",
                "erasedAt": erased.erased_at.isoformat(),
                "drafts": {"nodes": [{"content": "", "status": "SUBMITTED"}]},
                "attempts": {"nodes": [{"score": 7.0}]},
            }
        }
    }
    # the history is kept: the attempt, the event (without its metadata)
    assert AttemptHistory.objects.filter(student=erased).count() == 1
    assert list(LearningEvent.objects.values_list("student", "event_type", "metadata")) == [
        (ada.pk, "login", {})
    ]
    # no earlier audit row holds the name or the old code any more
    assert payloads_mentioning("Ada") == []
    assert payloads_mentioning("s001") == []
    assert ActionLog.objects.filter(
        target_type="student", target_id=str(ada.pk), action="student.create"
    ).get().payload == {"code": f"erased-{ada.pk}", "status": "active"}
    # one audit row more, naming what was erased but not the data
    assert ActionLog.objects.count() == audit_before + 1
    row = ActionLog.objects.filter(action="student.erase").get()
    assert (row.actor, row.target_type, row.target_id) == (staff, "student", str(ada.pk))
    assert row.payload == {
        "code": f"erased-{ada.pk}",
        "fields": ["name", "email", "code", "draft.content", "draft.feedback", "event.metadata"],
        "drafts_cleared": 1,
        "events_cleared": 1,
        "audit_rows_scrubbed": 5,
    }
    # another student is untouched
    assert Student.objects.values_list("code", "name", "email").get(pk=other.pk) == (
        "s002",
        "Bo",
        "bo@example.com",
    )


def test_a_student_is_erased_only_once(ada, staff_client):
    # given
    staff_client.execute(ERASE, {"code": "s001"})
    before = counts()
    code = f"erased-{ada.pk}"

    # when
    result = staff_client.execute(ERASE, {"code": code})

    # then
    assert result == {
        "data": {
            "studentErase": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "code",
                        "message": f"Student '{code}' has already been erased.",
                    }
                ]
            }
        }
    }
    assert counts() == before


def test_personal_data_cannot_be_set_again_after_erasure(ada, staff_client, system_actor):
    # given
    services.student_erase(actor=system_actor, code="s001")
    before = counts()

    # when
    result = staff_client.execute(
        "mutation ($code: String!) { studentUpdate(code: $code, input: "
        '{name: "Ada", email: "ada@example.com"}) '
        "{ ... on OperationInfo { messages { field message } } } }",
        {"code": f"erased-{ada.pk}"},
    )

    # then
    message = "This student's personal data has been erased; it cannot be set again."
    assert result["data"]["studentUpdate"]["messages"] == [
        {"field": "email", "message": message},
        {"field": "name", "message": message},
    ]
    assert counts() == before


def test_erasing_an_unknown_student_is_not_found_and_writes_nothing(ada, staff_client):
    # given
    before = counts()

    # when
    result = staff_client.execute(ERASE, {"code": "ghost"})

    # then
    assert result["data"]["studentErase"]["messages"] == [
        {"kind": "ERROR", "field": None, "message": "No student with code 'ghost'."}
    ]
    assert counts() == before


def test_the_admin_action_erases_through_the_same_service(ada, superuser):
    # given
    client = Client()
    client.force_login(superuser)
    already = StudentFactory(code="s002")
    services.student_erase(actor=Actor(user=superuser), code="s002")
    ids = [str(ada.pk), str(already.pk)]

    # when
    response = client.post(
        "/admin/students/student/",
        {"action": "erase_personal_data", "_selected_action": ids},
        follow=True,
    )

    # then
    assert [str(m) for m in response.context["messages"]] == [
        "Erased the personal data of 1 student(s). 1 already erased."
    ]
    assert Student.objects.get(pk=ada.pk).name == "Erased student"
    assert list(
        ActionLog.objects.filter(action="student.erase")
        .order_by("id")
        .values_list("target_id", "actor_label")
    ) == [(str(already.pk), "root"), (str(ada.pk), "root")]
    assert Draft.objects.get().content == ""


def test_the_admin_action_needs_the_delete_permission(ada, make_user):
    # given: staff who may view and change students, not delete them
    clerk = make_user(
        "clerk", is_staff=True, perms=["students.view_student", "students.change_student"]
    )
    client = Client()
    client.force_login(clerk)

    # when
    page = client.get("/admin/students/student/")
    response = client.post(
        "/admin/students/student/",
        {"action": "erase_personal_data", "_selected_action": [str(ada.pk)]},
    )

    # then: the action is not offered, and posting it changes nothing
    assert b"erase_personal_data" not in page.content
    assert response.status_code == 200
    assert Student.objects.get(pk=ada.pk).name == "Ada King"
    assert not ActionLog.objects.filter(action="student.erase").exists()
