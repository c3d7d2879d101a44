"""Ids and codes end where they end: a trailing newline is refused, never stored."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from chat.models import Thread
from students.models import Student
from tests.chat.graphql import THREAD_CREATE

PATTERNED_FIELDS = [
    (model, field)
    for app in ("chat", "learn", "monitoring", "students")
    for model in apps.get_app_config(app).get_models()
    for field in model._meta.get_fields()
    if any(isinstance(v, RegexValidator) for v in getattr(field, "validators", []))
]


def test_the_patterned_fields_are_the_ids_and_codes():
    assert sorted(f"{m.__name__}.{f.name}" for m, f in PATTERNED_FIELDS) == [
        "ConceptModule.code",
        "ContextSnapshot.client_id",
        "Student.code",
        "UserPreference.key",
    ]


@pytest.mark.parametrize("value", ["abc\n", "abc\r\n", "\nabc", "abc\t"])
def test_thread_and_message_ids_refuse_a_newline(value):
    # ids are any printable text (legacy ids such as 'my session 1'), never a control character
    from chat.validation import validate_object_id

    validate_object_id("my session 1")
    with pytest.raises(ValidationError):
        validate_object_id(value)


@pytest.mark.parametrize(
    "model,field", PATTERNED_FIELDS, ids=[f"{m.__name__}.{f.name}" for m, f in PATTERNED_FIELDS]
)
@pytest.mark.parametrize("value", ["abc\n", "abc\r\n", "\nabc", "ab\nc"])
def test_no_id_or_code_validator_accepts_a_newline(model, field, value):
    # given a valid value with a newline around it
    validators = [v for v in field.validators if isinstance(v, RegexValidator)]
    for validator in validators:
        validator("abc")  # the bare value passes

        # when / then
        with pytest.raises(ValidationError):
            validator(value)


def test_thread_create_refuses_an_id_with_a_trailing_newline(api_client, make_user):
    # given
    client = api_client(make_user("alice"))

    # when
    result = client.execute(THREAD_CREATE, {"input": {"id": "thread_abc\n", "title": "t"}})

    # then
    [message] = result["data"]["threadCreate"]["messages"]
    assert message["field"] == "id"
    assert message["kind"] == "VALIDATION"
    assert not Thread.objects.exists()


def test_student_create_refuses_a_code_with_a_trailing_newline(api_client, make_user):
    # given
    client = api_client(make_user("staff", perms=["students.add_student", "students.view_student"]))
    query = (
        "mutation ($input: StudentCreateInput!) { studentCreate(input: $input) "
        "{ ... on Student { code } ... on OperationInfo { messages { field kind } } } }"
    )

    # when
    result = client.execute(
        query, {"input": {"code": "s001\n", "name": "Ada", "email": "ada@example.com"}}
    )

    # then
    assert "errors" not in result, result
    assert result["data"]["studentCreate"] == {
        "messages": [{"field": "code", "kind": "VALIDATION"}]
    }
    assert not Student.objects.exists()
