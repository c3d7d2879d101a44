from datetime import timedelta

import pytest
from django.test import Client

from students import services
from students.models import ActionLog, Student
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def student_with_data(system_actor):
    ConceptModuleFactory(code="alg1")
    student = StudentFactory(code="s001", name="Ada")
    services.assessment_record(
        actor=system_actor,
        student="s001",
        module="alg1",
        kind="quiz",
        score=3,
        max_score=10,
        taken_at=T0,
    )
    services.draft_submit(actor=system_actor, student="s001", module="alg1", content="essay")
    for day in range(7):
        services.dropout_risk_compute(actor=system_actor, as_of=T0 + timedelta(days=day))
    return student


@pytest.mark.parametrize(
    "url",
    [
        "/admin/students/student/",
        "/admin/students/student/?status__exact=active",
        "/admin/students/student/?latest_prediction__risk_band=medium",
        "/admin/students/student/?q=ada",
        "/admin/students/student/add/",
        "/admin/students/conceptmodule/",
        "/admin/students/draft/",
        "/admin/students/learningevent/",
        "/admin/students/actionlog/",
    ],
)
def test_pages_render(url, admin_client_, student_with_data):
    # when
    response = admin_client_.get(url)

    # then
    assert response.status_code == 200


def test_student_page_shows_drafts_assessments_and_the_latest_predictions(
    admin_client_, student_with_data
):
    # when
    response = admin_client_.get(f"/admin/students/student/{student_with_data.pk}/change/")

    # then: 7 predictions stored, the 5 newest shown
    assert response.status_code == 200
    inlines = {
        formset.opts.model.__name__: formset
        for formset in response.context["inline_admin_formsets"]
    }
    assert sorted(inlines) == ["Assessment", "Draft", "DropoutPrediction"]
    shown = [form.original.as_of for form in inlines["DropoutPrediction"]]
    assert shown == [T0 + timedelta(days=day) for day in (6, 5, 4, 3, 2)]


def test_risk_band_filter_narrows_the_list(admin_client_, student_with_data):
    # given: a student without predictions
    StudentFactory(code="s002")
    band = Student.objects.get(code="s001").latest_prediction.risk_band

    # when
    response = admin_client_.get("/admin/students/student/", {"latest_prediction__risk_band": band})

    # then
    assert [s.code for s in response.context["cl"].result_list] == ["s001"]


def test_adding_a_student_goes_through_the_service_and_is_audited(admin_client_, superuser):
    # when
    response = admin_client_.post(
        "/admin/students/student/add/",
        {
            "code": "s009",
            "name": "Grace",
            "email": "grace@example.com",
            "status": "active",
            "enrolled_at_0": "2026-01-05",
            "enrolled_at_1": "09:00:00",
            **{
                f"{prefix}-{key}": value
                for prefix in ("drafts", "assessments", "predictions")
                for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
            },
        },
    )

    # then
    assert response.status_code == 302
    student = Student.objects.get(code="s009")
    assert list(ActionLog.objects.values_list("action", "target_id", "actor_id")) == [
        ("student.create", str(student.pk), superuser.pk)
    ]


def test_admin_refuses_a_duplicate_email_in_another_case(admin_client_):
    # given
    StudentFactory(code="s001", email="Ada@Example.com")

    # when
    response = admin_client_.post(
        "/admin/students/student/add/",
        {
            "code": "s002",
            "name": "Other",
            "email": "ada@example.COM",
            "status": "active",
            "enrolled_at_0": "2026-01-05",
            "enrolled_at_1": "09:00:00",
            **{
                f"{prefix}-{key}": value
                for prefix in ("drafts", "assessments", "predictions")
                for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
            },
        },
    )

    # then
    assert response.status_code == 200
    assert "A student with this email already exists." in response.content.decode()
    assert Student.objects.count() == 1


def test_action_log_is_read_only_even_for_superusers(admin_client_, student_with_data):
    # given
    entry = ActionLog.objects.first()
    base = "/admin/students/actionlog/"

    # when
    add = admin_client_.get(f"{base}add/")
    view = admin_client_.get(f"{base}{entry.pk}/change/")
    change = admin_client_.post(f"{base}{entry.pk}/change/", {"action": "tampered"})
    delete = admin_client_.post(f"{base}{entry.pk}/delete/", {"post": "yes"})
    bulk = admin_client_.post(
        base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )

    # then
    assert (add.status_code, view.status_code, change.status_code, delete.status_code) == (
        403,
        200,
        403,
        403,
    )
    assert 'name="_save"' not in view.content.decode()
    assert bulk.status_code == 200
    entry.refresh_from_db()
    assert entry.action == "dropout_risk.compute"
    assert ActionLog.objects.filter(pk=entry.pk).exists()


def test_staff_without_the_email_permission_see_no_emails(make_user, student_with_data):
    # given
    clerk = make_user(
        "clerk", is_staff=True, perms=["students.view_student", "students.change_student"]
    )
    client = Client()
    client.force_login(clerk)

    # when
    listing = client.get("/admin/students/student/")
    page = client.get(f"/admin/students/student/{student_with_data.pk}/change/")
    by_email = client.get("/admin/students/student/", {"q": "s001@school"})

    # then
    assert listing.status_code == page.status_code == 200
    assert "s001@school.example" not in listing.content.decode()
    assert "s001@school.example" not in page.content.decode()
    assert list(by_email.context["cl"].result_list) == []
