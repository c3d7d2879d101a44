"""GraphQL enums made from the models' choices: one definition of each set of values.

A model's `TextChoices`/`IntegerChoices` holds the stored value and, as its label, the
spelling every user sees: the member's name (`USER`), which is also the GraphQL enum value.
The admin (list columns, filters, forms), the CSV/JSONL exports and the API thus all say
`USER` while the database keeps `user`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import strawberry
from django.core.exceptions import FieldDoesNotExist
from django.db import models


def choices_enum(
    choices: type[models.Choices],
    *,
    name: str,
    description: str,
    values: Mapping[str, str],
) -> type[enum.Enum]:
    """The GraphQL enum `name` of `choices`: one value per member, named as the member, with
    the stored value behind it; `values` gives each member's description (all of them)."""
    members = [member.name for member in choices]
    if sorted(values) != sorted(members):
        raise ValueError(f"{name}: describe exactly the members {members}, got {list(values)}")
    for member in choices:
        if member.label != member.name:
            raise ValueError(f"{name}: the label of {member.name} must be {member.name!r}")
    cls = enum.Enum(
        name,
        {
            member.name: strawberry.enum_value(member.value, description=values[member.name])
            for member in choices
        },
        module=__name__,
    )
    return strawberry.enum(cls, name=name, description=description)


def api_spelling(choices: type[models.Choices], value: object) -> object:
    """How a user sees a stored value of `choices` (its member's name); other values as they
    are (an export may meet a value from before a choice was removed)."""
    try:
        return choices(value).name
    except ValueError:
        return value


def choice_spellings(model: type[models.Model], fields: list[str]) -> dict[int, dict]:
    """For an export of `fields` of `model`: column index -> {stored value: API spelling} of
    every column that is a field with choices (looked up through relations)."""
    spellings = {}
    for index, path in enumerate(fields):
        current = model
        field = None
        for part in path.split("__"):
            try:
                field = current._meta.get_field(part)
            except FieldDoesNotExist:  # an annotation: no choices
                field = None
                break
            current = field.related_model or current
        if field is not None and getattr(field, "choices", None):
            spellings[index] = {value: label for value, label in field.flatchoices}
    return spellings
