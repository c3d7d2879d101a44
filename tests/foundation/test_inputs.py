"""config.inputs.converted_directly builds the same input values as Strawberry's conversion."""

import enum
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from config.inputs import converted_directly


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Inner:
    label: str
    colour: Colour = Colour.RED


def make_input(name: str):
    @strawberry.input(name=name)
    class Item:
        client_id: str
        at: datetime
        colour: Colour
        context: JSON | None = None
        note: str | None = strawberry.UNSET
        count: int = 7
        tags: list[str] | None = None
        inner: Inner | None = None
        inners: list[Inner] | None = None
        maybe_text: strawberry.Maybe[str | None] = None

    return Item


Standard = make_input("Standard")
Direct = converted_directly(make_input("Direct"))


@strawberry.type
class Query:
    @strawberry.field
    def standard(self, items: list[Standard]) -> list[str]:
        return [repr(vars(item)) for item in items]

    @strawberry.field
    def direct(self, items: list[Direct]) -> list[str]:
        return [repr(vars(item)) for item in items]


schema = strawberry.Schema(query=Query)

ITEMS = [
    {"clientId": "a", "at": "2026-01-02T03:04:05", "colour": "RED"},
    {
        "clientId": "b",
        "at": "2026-01-02T03:04:05.123456+02:00",
        "colour": "BLUE",
        "context": {"k": [1, 2.5, None, {"n": 12345678901234567890}]},
        "note": None,
        "count": 0,
        "tags": ["x", "y"],
        "inner": {"label": "in"},
        "inners": [{"label": "one", "colour": "BLUE"}, {"label": "two"}],
        "maybeText": "given",
    },
    {"clientId": "c", "at": "2026-01-02", "colour": "RED", "context": None, "maybeText": None},
    {"clientId": "d", "at": "2026-01-02T03:04:05Z", "colour": "BLUE", "tags": None, "inner": None},
]


def run(field: str, type_name: str, items) -> dict:
    result = schema.execute_sync(
        f"query ($items: [{type_name}!]!) {{ {field}(items: $items) }}",
        variable_values={"items": items},
    )
    return {
        "data": result.data and next(iter(result.data.values())),
        "errors": [e.message for e in result.errors or []],
    }


def test_direct_conversion_builds_the_same_values():
    # when
    standard = run("standard", "Standard", ITEMS)
    direct = run("direct", "Direct", ITEMS)

    # then
    assert direct == standard
    assert standard["errors"] == []
    assert standard["data"][0] == repr(
        {
            "client_id": "a",
            "at": datetime(2026, 1, 2, 3, 4, 5),
            "colour": Colour.RED,
            "context": None,
            "note": strawberry.UNSET,
            "count": 7,
            "tags": None,
            "inner": None,
            "inners": None,
            "maybe_text": None,
        }
    )


def test_direct_conversion_refuses_the_same_values():
    # given: a missing required field, a wrong enum, a bad date, a null for a non-null field
    bad = [
        {"at": "2026-01-02T03:04:05", "colour": "RED"},
        {"clientId": "x", "at": "2026-01-02T03:04:05", "colour": "GREEN"},
        {"clientId": "x", "at": "yesterday", "colour": "RED"},
        {"clientId": "x", "at": "2026-01-02T03:04:05", "colour": "RED", "count": None},
        {"clientId": "x", "at": "2026-01-02T03:04:05", "colour": "RED", "inners": [{}]},
    ]

    # when
    standard = run("standard", "Standard", bad)
    direct = run("direct", "Direct", bad)

    # then
    assert direct["data"] is None
    assert direct == {
        "data": None,
        "errors": [e.replace("Standard", "Direct") for e in standard["errors"]],
    }
    assert len(standard["errors"]) == 5
