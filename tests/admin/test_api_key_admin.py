import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.test import Client

from chat import services
from chat.models import ApiKey
from tests.students.factories import StudentFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def key_adder(make_user):
    return make_user("adder", is_staff=True, perms=["chat.add_apikey", "chat.view_apikey"])


def test_staff_key_is_always_their_own_whatever_the_post_says(key_adder, superuser):
    # given
    client = logged_in(key_adder)

    # when
    response = client.post(
        "/admin/chat/apikey/add/", {"user": superuser.pk, "name": "mine", "expires_at": ""}
    )

    # then
    key = ApiKey.objects.get()
    assert response.status_code == 200
    assert (key.user, key.name) == (key_adder, "mine")
    assert ApiKey.objects.filter(user=superuser).count() == 0


def test_staff_add_form_has_no_user_field(key_adder):
    # when
    response = logged_in(key_adder).get("/admin/chat/apikey/add/")

    # then
    assert list(response.context["adminform"].form.fields) == ["name", "expires_at"]


def test_superuser_creates_a_key_for_another_user(superuser, key_adder):
    # when
    response = logged_in(superuser).post(
        "/admin/chat/apikey/add/", {"user": key_adder.pk, "name": "theirs", "expires_at": ""}
    )

    # then
    key = ApiKey.objects.get()
    assert response.status_code == 200
    assert key.user == key_adder


def test_plaintext_is_in_the_page_and_in_no_cookie(key_adder):
    # given
    client = logged_in(key_adder)

    # when
    response = client.post("/admin/chat/apikey/add/", {"name": "mine", "expires_at": ""})

    # then
    raw_key = response.context["raw_key"]
    key = ApiKey.objects.get()
    assert raw_key.startswith(f"dk_{key.prefix}_")
    assert raw_key in response.content.decode()
    assert all(raw_key not in morsel.value for morsel in client.cookies.values())
    messages_cookie = client.cookies.get("messages")
    stored = (
        CookieStorage(response.wsgi_request)._decode(messages_cookie.value)
        if messages_cookie
        else []
    )
    assert all(raw_key not in message.message for message in stored)
    assert all(raw_key not in str(value) for value in client.session.values())


@pytest.mark.parametrize("target", ["other", "superuser"])
def test_service_refuses_a_key_for_someone_else_to_a_non_superuser(make_user, target):
    # given
    creator = make_user("creator", is_staff=True, perms=["chat.add_apikey"])
    user = make_user(target, is_staff=True, is_superuser=target == "superuser")

    # when
    with pytest.raises(PermissionDenied):
        services.api_key_create(user=user, name="escalate", created_by=creator)

    # then
    assert ApiKey.objects.count() == 0


def test_revoke_action_needs_the_change_permission(make_user, superuser):
    # given
    services.api_key_create(user=superuser, name="root key")
    viewer = make_user("viewer", is_staff=True, perms=["chat.view_apikey"])

    # when
    response = logged_in(viewer).post(
        "/admin/chat/apikey/",
        {"action": "revoke_keys", "_selected_action": [ApiKey.objects.get().pk]},
    )

    # then
    assert response.status_code == 200
    assert ApiKey.objects.get().revoked_at is None


@pytest.mark.parametrize(
    "url",
    [
        "/admin/chat/apikey/?key_hash__startswith=a",
        "/admin/chat/apikey/?name__startswith=a",
        "/admin/students/student/?email__startswith=z",
        "/admin/students/student/?email__regex=^z.*",
        "/admin/students/student/?name__startswith=z",
        "/admin/chat/thread/?owner__password__startswith=p",
    ],
)
def test_undeclared_lookups_answer_400(make_user, url):
    # given
    staff = make_user(
        "staff",
        is_staff=True,
        perms=["chat.view_apikey", "students.view_student", "chat.view_thread"],
    )

    # when
    response = logged_in(staff).get(url)

    # then
    assert response.status_code == 400


def test_declared_filters_still_work(superuser):
    # when
    response = logged_in(superuser).get("/admin/chat/apikey/?revoked_at__isempty=1")

    # then
    assert response.status_code == 200


def test_email_is_not_searched_or_ordered_without_the_permission(make_user):
    # given
    StudentFactory(code="S1", name="Ann", email="zed@example.com")
    viewer = make_user("viewer", is_staff=True, perms=["students.view_student"])
    client = logged_in(viewer)

    # when
    searched = client.get("/admin/students/student/", {"q": "zed"})
    listed = client.get("/admin/students/student/", {"o": "3"})

    # then
    assert list(searched.context["cl"].result_list) == []
    assert "zed@example.com" not in listed.content.decode()


def test_email_is_searched_with_the_permission(make_user):
    # given
    StudentFactory(code="S1", name="Ann", email="zed@example.com")
    viewer = make_user(
        "viewer", is_staff=True, perms=["students.view_student", "students.view_student_email"]
    )

    # when
    searched = logged_in(viewer).get("/admin/students/student/", {"q": "zed"})

    # then
    assert [s.code for s in searched.context["cl"].result_list] == ["S1"]
