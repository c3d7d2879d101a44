"""Every DateTime input is held to one range, so that whatever is stored can be read back."""

from datetime import datetime

import pytest
import strawberry

from config.scalars import RANGE_MESSAGE
from config.schema import build_schema


@strawberry.type
class EchoQuery:
    @strawberry.field
    def echo(self, at: datetime) -> str:
        return at.isoformat()


echo_schema = build_schema(EchoQuery)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00+00:00"),
        ("1900-01-01T05:00:00+05:00", "1900-01-01T05:00:00+05:00"),
        ("9999-12-30T23:59:59.999999Z", "9999-12-30T23:59:59.999999+00:00"),
        ("9999-12-30T23:59:59", "9999-12-30T23:59:59"),
    ],
)
def test_a_time_at_the_edges_of_the_range_is_accepted(text, answer):
    # when
    result = echo_schema.execute_sync(
        "query ($at: DateTime!) { echo(at: $at) }", variable_values={"at": text}
    )

    # then
    assert result.errors is None
    assert result.data == {"echo": answer}


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T00:00:00Z",
        "9999-12-30T23:59:59-00:01",
        "1899-12-31T23:59:59.999999Z",
        "1900-01-01T04:59:59+05:00",
        "0001-01-10T00:00:00Z",
        "9999-12-31T23:59:59.999999",
    ],
)
def test_a_time_outside_the_range_is_refused_as_a_variable_and_as_a_literal(text):
    # when
    as_variable = echo_schema.execute_sync(
        "query ($at: DateTime!) { echo(at: $at) }", variable_values={"at": text}
    )
    as_literal = echo_schema.execute_sync(f'{{ echo(at: "{text}") }}')

    # then
    assert as_variable.data is None
    assert [e.message for e in as_variable.errors] == [
        f"Variable '$at' has invalid value: Value cannot represent a DateTime: \"{text}\". "
        f"{RANGE_MESSAGE}"
    ]
    assert as_literal.data is None
    assert [e.message for e in as_literal.errors] == [
        f'Value cannot represent a DateTime: "{text}". {RANGE_MESSAGE}'
    ]
