"""Times and days are accepted within one documented range, in every input that takes one.

Beyond it (`9999-12-31T23:59:59-14:00` is year 10000 in UTC, `0001-01-01T00:00:00+05:00` is
year 0) a value could be stored but not read back, so the scalar refuses it before anything
runs, naming the input; nothing is written.
"""

import pytest
from django.apps import apps

from config.scalars import parse_date_in_range, parse_datetime_in_range
from tests.chat.factories import ThreadFactory
from tests.students.factories import ConceptModuleFactory, StudentFactory

OUT_OF_RANGE = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+05:00",
    "1899-12-31T23:59:59.999999Z",
    "3000-01-01T00:00:00Z",
    "1900-01-01T00:00:00+00:01",
]
IN_RANGE = ["1900-01-01T00:00:00Z", "2999-12-31T23:59:59.999999Z", "1900-01-01T00:00:00-14:00"]

MUTATIONS = {
    "logIngest": (
        'mutation ($t: DateTime!) { logIngest(logs: [{clientId: "c1", timestamp: $t, '
        'level: INFO, source: "api", message: "m"}]) { __typename } }'
    ),
    "healthReport": (
        'mutation ($t: DateTime) { healthReport(input: {component: "db", status: UP, '
        "checkedAt: $t}) { __typename } }"
    ),
    "learnItemCreate": (
        "mutation ($t: DateTime) { learnItemCreate(input: {kind: GOOD, createdAt: $t}) "
        "{ __typename } }"
    ),
    "messageAppend": (
        'mutation ($t: DateTime) { messageAppend(threadId: "t1", input: {role: USER, '
        'content: "hi", createdAt: $t}) { __typename } }'
    ),
    "studentCreate": (
        'mutation ($t: DateTime) { studentCreate(input: {code: "s9", name: "N", '
        'email: "n@example.com", enrolledAt: $t}) { __typename } }'
    ),
    "draftSubmit": (
        'mutation ($t: DateTime) { draftSubmit(input: {student: "s001", module: "m1", '
        'content: "c", dueAt: $t}) { __typename } }'
    ),
    "resultRecord": (
        'mutation ($t: DateTime) { resultRecord(input: {target: "x", checkName: "c", '
        "status: OK, createdAt: $t}) { __typename } }"
    ),
    "assessmentRecord": (
        'mutation ($t: DateTime) { assessmentRecord(input: {student: "s001", module: "m1", '
        "kind: QUIZ, score: 1, maxScore: 2, takenAt: $t}) { __typename } }"
    ),
    "learningEventRecord": (
        'mutation ($t: DateTime) { learningEventRecord(input: {student: "s001", '
        "eventType: LOGIN, occurredAt: $t}) { __typename } }"
    ),
    "dropoutRiskCompute": "mutation ($t: DateTime) { dropoutRiskCompute(asOf: $t) { __typename } }",
}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("chat", "learn", "monitoring", "students")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_the_scalar_refuses_times_beyond_the_range(text):
    with pytest.raises(ValueError, match="Times must be from 1900-01-01T00:00:00Z"):
        parse_datetime_in_range(text)


@pytest.mark.parametrize("text", IN_RANGE)
def test_the_scalar_accepts_the_range_edges(text):
    assert parse_datetime_in_range(text).year in (1899, 1900, 2999)


@pytest.mark.parametrize("text", ["1899-12-31", "3000-01-01", "0001-01-01", "9999-12-31"])
def test_days_beyond_the_range_are_refused(text):
    with pytest.raises(ValueError, match="Days must be from 1900-01-01"):
        parse_date_in_range(text)


@pytest.mark.parametrize("text", OUT_OF_RANGE[:2])
@pytest.mark.parametrize("mutation", MUTATIONS, ids=MUTATIONS.keys())
def test_every_time_input_refuses_values_beyond_the_range(api_client, superuser, mutation, text):
    # given the objects the mutation refers to
    ThreadFactory(id="t1", owner=superuser)
    StudentFactory(code="s001")
    ConceptModuleFactory(code="m1")
    client = api_client(superuser)
    before = row_counts()

    # when
    result = client.execute(MUTATIONS[mutation], {"t": text})

    # then the request is refused, naming the variable, and nothing is written
    assert result["data"] is None
    [error] = result["errors"]
    assert error["message"].startswith("Variable '$t' has invalid value"), error
    assert "Times must be from 1900-01-01T00:00:00Z" in error["message"]
    assert row_counts() == before


def test_an_inline_time_beyond_the_range_is_refused(api_client, superuser):
    result = api_client(superuser).execute(
        '{ logs(filters: {timestampFrom: "9999-12-31T23:59:59-14:00"}) { edges { cursor } } }'
    )

    [error] = result["errors"]
    assert "Times must be from 1900-01-01T00:00:00Z" in error["message"]


def test_a_time_beyond_the_range_inside_an_input_is_refused_naming_the_field(api_client, superuser):
    # given
    StudentFactory(code="s001")
    client = api_client(superuser)
    query = (
        "mutation ($input: LearningEventInput!) { learningEventRecord(input: $input) "
        "{ __typename } }"
    )

    # when
    result = client.execute(
        query,
        {"input": {"student": "s001", "eventType": "LOGIN", "occurredAt": OUT_OF_RANGE[0]}},
    )

    # then
    [error] = result["errors"]
    assert "Variable '$input' has invalid value at .occurredAt:" in error["message"]
    assert "Times must be from 1900-01-01T00:00:00Z" in error["message"]
