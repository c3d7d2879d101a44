"""What PostgreSQL refuses and no validation caught is answered with a readable message, not
masked as an unexpected error (found by fuzzing: a NUL character in a jsonb filter, a null
title reaching a NOT NULL column)."""

import pytest
import strawberry
from django.db import connection, transaction

from config.errors import INVALID_VALUE_MESSAGE
from config.schema import build_schema


@strawberry.type
class ValuesQuery:
    @strawberry.field
    def as_json(self, text: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::jsonb::text", [text])
            return cursor.fetchone()[0]


@strawberry.type
class ValuesMutation:
    @strawberry.mutation
    def probe_save(self, id: int, display_title: str | None) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS probe "
                "(id int PRIMARY KEY, display_title text NOT NULL CHECK (display_title <> 'x'))"
            )
            cursor.execute("INSERT INTO probe VALUES (%s, %s)", [id, display_title])
        return id


values_schema = build_schema(ValuesQuery, ValuesMutation)


def errors_of(result) -> list[tuple[str, dict]]:
    return [(e.message, e.extensions) for e in result.errors or []]


@pytest.mark.django_db
def test_a_value_postgres_refuses_is_reported_as_invalid():
    # when: jsonb cannot hold the \u0000 escape
    result = values_schema.execute_sync('{ asJson(text: "[\\"\\\\u0000\\"]") }')

    # then
    assert result.data is None
    assert errors_of(result) == [(INVALID_VALUE_MESSAGE, {"code": "INVALID_VALUE"})]


@pytest.mark.django_db
def test_a_lone_surrogate_that_reaches_the_driver_is_reported_as_invalid():
    # when: psycopg cannot encode a lone surrogate as UTF-8 and raises UnicodeEncodeError
    result = values_schema.execute_sync(
        "query ($t: String!) { asJson(text: $t) }", variable_values={"t": "\ud800"}
    )

    # then
    assert result.data is None
    assert errors_of(result) == [(INVALID_VALUE_MESSAGE, {"code": "INVALID_VALUE"})]


@pytest.mark.django_db
def test_a_value_postgres_accepts_is_answered():
    # when
    result = values_schema.execute_sync('{ asJson(text: "[\\"a\\"]") }')

    # then
    assert result.errors is None
    assert result.data == {"asJson": '["a"]'}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("title", "message", "extensions"),
    [
        (
            "null",
            "displayTitle: must not be null.",
            {"code": "VALIDATION_ERROR", "field": "displayTitle"},
        ),
        ('"x"', "A value is outside what is allowed.", {"code": "INVALID_VALUE"}),
    ],
)
def test_a_constraint_refusal_names_its_kind(title, message, extensions):
    # when
    result = values_schema.execute_sync(f"mutation {{ probeSave(id: 1, displayTitle: {title}) }}")

    # then
    assert errors_of(result) == [(message, extensions)]


@pytest.mark.django_db
def test_a_duplicate_is_a_conflict():
    # given
    values_schema.execute_sync('mutation { probeSave(id: 1, displayTitle: "a") }')

    # when
    result = values_schema.execute_sync('mutation { probeSave(id: 1, displayTitle: "b") }')

    # then
    assert errors_of(result) == [
        ("This conflicts with data already stored (a duplicate).", {"code": "CONFLICT"})
    ]
