"""Choices read the same everywhere a user sees them: the API's UPPERCASE names in the admin's
columns, filters and forms, in the dashboards and in the exports; the database keeps its values."""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client

from chat.models import Message
from config.schema import schema
from learn.models import LearnItem
from monitoring.models import Level, SystemHealth
from students import services
from students.audit import Actor
from students.models import RiskBand
from tests.chat.factories import MessageFactory, ThreadFactory
from tests.learn.factories import LearnItemFactory
from tests.monitoring.factories import T0, MonitoringLogFactory, SystemHealthFactory
from tests.students.factories import T0 as STUDENTS_T0
from tests.students.factories import ConceptModuleFactory, StudentFactory


def choice_fields():
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.app_label in {"chat", "learn", "monitoring", "students"}
        for field in model._meta.get_fields()
        if getattr(field, "choices", None) and not field.is_relation
    ]


def test_every_choice_label_is_its_api_name():
    # given
    fields = choice_fields()

    # then: eleven choice fields (LogHourCount repeats the log level), each label the member's name (what GraphQL shows)
    assert len(fields) == 11
    for model, field in fields:
        for value, label in field.flatchoices:
            assert label == label.upper() and " " not in label, (model, field.name, value)


@pytest.mark.parametrize(
    ("graphql_name", "choices"),
    [
        ("MessageRole", Message.Role),
        ("LearnItemKind", LearnItem.Kind),
        ("MonitoringLevel", Level),
        ("HealthStatus", SystemHealth.Status),
        ("RiskBand", RiskBand),
    ],
)
def test_the_graphql_enum_has_exactly_the_model_choices(graphql_name, choices):
    # when
    names = list(schema._schema.type_map[graphql_name].values)

    # then
    assert names == [member.name for member in choices]


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def cells(response, field: str) -> list[str]:
    return re.findall(rf'<td class="field-{field}">([^<]*)</td>', response.content.decode())


def filter_links(response, parameter: str) -> list[str]:
    return re.findall(
        rf'<a href="\?{re.escape(parameter)}=[^"]*">([^<]*)</a>', response.content.decode()
    )


def test_admin_message_list_shows_roles_as_the_api(admin_client_, superuser):
    # given
    MessageFactory(thread=ThreadFactory(owner=superuser), role="assistant")

    # when
    response = admin_client_.get("/admin/chat/message/")

    # then
    assert cells(response, "role") == ["ASSISTANT"]
    assert filter_links(response, "role__exact") == [
        "USER",
        "ASSISTANT",
        "MODEL",
        "SYSTEM",
        "TOOL",
    ]


def test_admin_learn_list_shows_kinds_as_the_api(admin_client_):
    # given
    LearnItemFactory(kind="bad")

    # when
    response = admin_client_.get("/admin/learn/learnitem/")

    # then
    assert cells(response, "kind") == ["BAD"]
    assert filter_links(response, "kind__exact") == ["GOOD", "BAD"]


def test_admin_monitoring_lists_show_levels_and_statuses_as_the_api(admin_client_):
    # given
    MonitoringLogFactory(level=Level.CRITICAL, timestamp=T0)
    SystemHealthFactory(status="degraded", checked_at=T0)

    # when
    logs = admin_client_.get("/admin/monitoring/monitoringlog/")
    health = admin_client_.get("/admin/monitoring/systemhealth/")

    # then
    assert cells(logs, "level") == ["CRITICAL"]
    assert filter_links(logs, "level__exact") == ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    assert cells(health, "status") == ["DEGRADED"]
    assert filter_links(health, "status__exact") == ["UP", "DEGRADED", "DOWN"]


def test_admin_student_list_shows_status_and_risk_band_as_the_api(admin_client_, superuser):
    # given
    ConceptModuleFactory(code="alg1")
    StudentFactory(code="s001")
    services.dropout_risk_compute(
        actor=Actor(user=superuser), as_of=STUDENTS_T0 + timedelta(days=1)
    )

    # when
    response = admin_client_.get("/admin/students/student/")
    page = admin_client_.get("/admin/students/student/?latest_prediction__risk_band__exact=low")

    # then
    assert cells(response, "status") == ["ACTIVE"]
    assert cells(response, "risk_band") == ["LOW"]
    assert filter_links(response, "latest_prediction__risk_band__exact") == [
        "LOW",
        "MEDIUM",
        "HIGH",
    ]
    assert cells(page, "risk_band") == ["LOW"]


def test_admin_student_form_offers_statuses_as_the_api(admin_client_):
    # when
    response = admin_client_.get("/admin/students/student/add/")

    # then
    assert re.findall(r'<option value="(\w+)"[^>]*>(\w+)</option>', response.content.decode()) == [
        ("active", "ACTIVE"),
        ("withdrawn", "WITHDRAWN"),
        ("graduated", "GRADUATED"),
    ]
