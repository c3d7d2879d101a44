"""Turning GraphQL input values into service arguments, the same way in every app."""

from __future__ import annotations

import enum
from dataclasses import MISSING
from datetime import datetime

from django.utils import timezone
from strawberry import UNSET
from strawberry.types.arguments import InputContext


def aware(value: datetime) -> datetime:
    """A time given without an offset is read in the server's time zone."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def input_data(value: object) -> dict[str, object]:
    """The fields of an input that were given, as model field values.

    Fields left out (UNSET) are omitted, enums become their value and times without an
    offset are read in the server's time zone.
    """
    data = {}
    for field in value.__strawberry_definition__.fields:
        given = getattr(value, field.python_name)
        if given is UNSET:
            continue
        if isinstance(given, enum.Enum):
            given = given.value
        elif isinstance(given, datetime):
            given = aware(given)
        data[field.python_name] = given
    return data


def converted_directly(input_type: type) -> type:
    """Class decorator for a Strawberry input whose items arrive by the thousand (a batch
    argument): builds each value the way Strawberry's `convert_argument` does, with the
    per-field work (type resolution, name conversion) done once per schema instead of for
    every field of every item.

    Scalars and enums are passed on unchanged, as `convert_argument` does; any other field
    (nested inputs, lists, Maybe, GlobalID) is converted by Strawberry itself. Not for inputs
    with `Maybe[T]` fields (without None): Strawberry skips its "Maybe must not be null"
    validation rule for types with a `from_input` hook.
    """
    definition = input_type.__strawberry_definition__
    plans: dict[int, tuple[dict[str, None], list[tuple[str, str, object]]]] = {}

    def plan(context: InputContext):
        from strawberry.relay.types import GlobalID
        from strawberry.types.arguments import _is_leaf_type, _is_optional_leaf_type
        from strawberry.types.base import StrawberryMaybe

        registry = context.scalar_registry
        required = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        fields = []
        for field in definition.fields:
            field_type = field.resolve_type(type_definition=definition)
            plain = not isinstance(field_type, StrawberryMaybe) and (
                _is_leaf_type(field_type, registry, skip_classes=(GlobalID,))
                or _is_optional_leaf_type(field_type, registry, skip_classes=(GlobalID,))
            )
            graphql_name = context.config.name_converter.from_field(field)
            fields.append((graphql_name, field.python_name, None if plain else field_type))
        return required, fields

    def from_input(cls: type, value, context: InputContext):
        try:
            required, fields = plans[id(context.config)]
        except KeyError:
            required, fields = plans[id(context.config)] = plan(context)
        kwargs = dict(required)
        for graphql_name, python_name, field_type in fields:
            if graphql_name in value:
                given = value[graphql_name]
                kwargs[python_name] = (
                    given
                    if field_type is None
                    else context.convert(given, field_type, graphql_name)
                )
        return cls(**kwargs)

    definition.from_input = from_input
    return input_type


def database_id(raw_id: object) -> int | None:
    """`raw_id` (a GraphQL ID) as a bigint primary key, or None when no row can have it."""
    text = str(raw_id)
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        return int(text)
    return None
