"""A value PostgreSQL refuses and no validation caught is the client's input: it is answered
with a readable message, not masked as an unexpected error (found by fuzzing: a NUL
character in a jsonb filter)."""

import pytest
import strawberry
from django.db import connection

from config.errors import INVALID_VALUE_MESSAGE
from config.schema import build_schema


@strawberry.type
class ValuesQuery:
    @strawberry.field
    def as_json(self, text: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::jsonb::text", [text])
            return cursor.fetchone()[0]


values_schema = build_schema(ValuesQuery)


@pytest.mark.django_db
def test_a_value_postgres_refuses_is_reported_as_invalid():
    # when: jsonb cannot hold the \u0000 escape
    result = values_schema.execute_sync('{ asJson(text: "[\\"\\\\u0000\\"]") }')

    # then
    assert result.data is None
    assert [(e.message, e.extensions) for e in result.errors] == [
        (INVALID_VALUE_MESSAGE, {"code": "INVALID_VALUE"})
    ]


@pytest.mark.django_db
def test_a_value_postgres_accepts_is_answered():
    # when
    result = values_schema.execute_sync('{ asJson(text: "[\\"a\\"]") }')

    # then
    assert result.errors is None
    assert result.data == {"asJson": '["a"]'}
