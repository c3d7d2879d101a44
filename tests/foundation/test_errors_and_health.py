import pytest
import strawberry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client

from config.errors import NotFound, UserError
from config.schema import build_schema


@strawberry.type
class FailingQuery:
    @strawberry.field
    def crash(self) -> str:
        raise RuntimeError(
            'relation "secret_table" at /srv/app/config/x.py: SELECT password FROM users'
        )

    @strawberry.field
    def crash_db(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM table_that_does_not_exist")
        return "unreachable"

    @strawberry.field
    def invalid(self) -> str:
        raise ValidationError({"email": "Enter a valid email address."})

    @strawberry.field
    def denied(self) -> str:
        raise PermissionDenied("You don't have permission to do this (learn.view_learnitem).")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("Thread 'thread_x' not found.")

    @strawberry.field
    def refused(self) -> str:
        raise UserError("Daily token cap reached.", code="DAILY_CAP_REACHED")


failing_schema = build_schema(FailingQuery)


def test_unexpected_errors_are_masked():
    # when
    result = failing_schema.execute_sync("{ crash }")

    # then
    assert [e.formatted for e in result.errors] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["crash"],
            "extensions": {"code": "INTERNAL_ERROR"},
        }
    ]


def test_database_errors_are_masked(db):
    # when
    result = failing_schema.execute_sync("{ crashDb }")

    # then
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert "table_that_does_not_exist" not in str(result.errors[0].formatted)


@pytest.mark.parametrize(
    ("field", "message", "extensions"),
    [
        (
            "invalid",
            "email: Enter a valid email address.",
            {
                "code": "VALIDATION_ERROR",
                "fields": {"email": ["Enter a valid email address."]},
                "field": "email",
            },
        ),
        (
            "denied",
            "You don't have permission to do this (learn.view_learnitem).",
            {"code": "FORBIDDEN"},
        ),
        ("missing", "Thread 'thread_x' not found.", {"code": "NOT_FOUND"}),
        ("refused", "Daily token cap reached.", {"code": "DAILY_CAP_REACHED"}),
    ],
)
def test_expected_errors_stay_readable_with_a_code(field, message, extensions):
    # when
    result = failing_schema.execute_sync(f"{{ {field} }}")

    # then
    assert [e.formatted for e in result.errors] == [
        {
            "message": message,
            "locations": [{"line": 1, "column": 3}],
            "path": [field],
            "extensions": extensions,
        }
    ]


def test_healthz_answers_ok_with_the_database(db):
    # when
    response = Client().get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_refuses_writes(db):
    # when
    response = Client().post("/healthz")

    # then
    assert response.status_code == 405


@strawberry.type
class WordyQuery:
    @strawberry.field
    def unknown_ids(self) -> str:
        raise NotFound("Unknown students: " + ", ".join(f"s{i}" for i in range(10_000)))

    @strawberry.field
    def invalid_ids(self) -> str:
        raise ValidationError(
            {"studentIds": "Unknown: " + ", ".join(str(i) for i in range(10_000))}
        )


wordy_schema = build_schema(WordyQuery)


def test_long_error_messages_are_cut_with_a_count():
    # when
    unknown = wordy_schema.execute_sync("{ unknownIds }").errors[0].formatted
    invalid = wordy_schema.execute_sync("{ invalidIds }").errors[0].formatted

    # then
    assert len(unknown["message"]) == 1000 + len("… (67906 more characters)")
    assert unknown["message"].endswith(" s181, … (67906 more characters)")
    assert unknown["extensions"] == {"code": "NOT_FOUND"}
    (problem,) = invalid["extensions"]["fields"]["studentIds"]
    assert problem.startswith("Unknown: 0, 1, 2") and problem.endswith(" more characters)")
    assert len(invalid["message"]) < 1100
