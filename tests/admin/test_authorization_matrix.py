"""Every project admin as staff holding exactly one permission (and as staff with none): pages
answer by that permission, undeclared lookups answer 400, hidden values never show, refused
writes change nothing."""

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from chat import services as chat_services
from chat.models import Message, Thread
from students.models import Student
from tests.chat.factories import MessageFactory, ThreadFactory
from tests.factories import UserFactory
from tests.learn.factories import LearnItemFactory
from tests.monitoring.factories import (
    MonitoringLogFactory,
    MonitoringResultFactory,
    SystemHealthFactory,
)
from tests.students.factories import ConceptModuleFactory, StudentFactory

APPS = {"chat", "learn", "monitoring", "students"}
EMAIL_CANARY = "canary-email@hidden.example"
CONTENT_CANARY = "canary message content"


def project_admins():
    return {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS
    }


def seed(owner):
    thread = ThreadFactory(id="canary-thread", owner=owner, title="canary thread")
    MessageFactory(thread=thread, id="canary-message", content=CONTENT_CANARY)
    StudentFactory(code="C1", name="Canary", email=EMAIL_CANARY)
    ConceptModuleFactory()
    LearnItemFactory()
    MonitoringLogFactory()
    MonitoringResultFactory()
    SystemHealthFactory()
    key, _ = chat_services.api_key_create(user=owner, name="canary key")
    return key


def url(model, view, *args):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + "".join(f"{a}/" for a in args) + ("" if view == "changelist" else f"{view}/")


def test_staff_with_one_permission_reach_only_what_it_grants(db):
    # given
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    key = seed(root)
    admins = project_admins()
    permissions = Permission.objects.filter(content_type__app_label__in=APPS).select_related(
        "content_type"
    )
    staff = [(None, UserFactory(username="none", is_staff=True))] + [
        (
            p,
            UserFactory(
                username=f"only-{p.codename}",
                is_staff=True,
                perms=[f"{p.content_type.app_label}.{p.codename}"],
            ),
        )
        for p in permissions
    ]
    rows = {model: model._default_manager.order_by("pk").first() for model in admins}
    student_names = list(Student.objects.values_list("code", "name"))
    checked = 0

    for permission, user in staff:
        client = Client()
        client.force_login(user)
        granted_model = permission.content_type.model_class() if permission else None
        action, _, target = permission.codename.partition("_") if permission else (None, "", "")
        if permission and target != granted_model._meta.model_name:
            action = "custom"  # e.g. view_student_email: reveals a field, opens no page
        for model, model_admin in admins.items():
            mine = model is granted_model
            viewer = mine and action in ("view", "change")
            row = rows[model]

            # when
            changelist = client.get(url(model, "changelist"))
            add = client.get(url(model, "add"))
            pages = [changelist, add]
            if row is not None and (mine or permission is None):
                change = client.get(url(model, "change", row.pk))
                history = client.get(url(model, "history", row.pk))
                delete = client.get(url(model, "delete", row.pk))
                pages += [change, history, delete]

            # then
            assert changelist.status_code == (200 if viewer else 403), (user, model)
            may_add = mine and action == "add" and model_admin.has_add_permission(_request(user))
            assert add.status_code == (200 if may_add else 403), (user, model)
            if row is not None and (mine or permission is None):
                assert change.status_code == (200 if viewer else 403), (user, model)
                assert history.status_code == (200 if viewer else 403), (user, model)
                assert delete.status_code in ((200, 403) if mine and action == "delete" else (403,))
            for page in pages:
                body = page.content.decode()
                assert EMAIL_CANARY not in body, (user, model)
                assert key.key_hash not in body, (user, model)
                if not (model is Message and viewer):
                    assert CONTENT_CANARY not in body, (user, model)
            if viewer:
                # an undeclared lookup on the first concrete field is refused
                field = next(f.name for f in model._meta.concrete_fields if not f.is_relation)
                lookup = client.get(url(model, "changelist"), {f"{field}__regex": "."})
                assert lookup.status_code == 400, (user, model, field)
            checked += len(pages)

        # a write outside the permission changes nothing (the delete_thread holder is the one
        # who may delete the canary thread, so it is not asked to)
        client.post(url(Student, "change", "C1"), {"name": "Renamed", "status": "active"})
        if not (permission and permission.codename == "delete_thread"):
            client.post(url(Thread, "delete", "canary-thread"), {"post": "yes"})
        client.post(
            url(Message, "changelist"),
            {"action": "delete_selected", "_selected_action": ["canary-message"], "post": "yes"},
        )
        assert list(Student.objects.values_list("code", "name")) == student_names, user
        assert Thread.objects.filter(pk="canary-thread").exists(), user
        assert Message.objects.filter(pk="canary-message").exists(), user

    assert checked > 1000


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request
