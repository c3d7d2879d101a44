"""Every element of the exported schema has a description: types (payload unions, pages,
filters and ordering inputs included), fields, arguments, enum values, input fields and the
arguments of its directives. Generated and library types get theirs from config.descriptions."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from config.descriptions import _words, describe


def _undescribed(sdl: str) -> list[str]:
    schema = build_schema(sdl)
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in type_.values.items() if not value.description]
    for directive in schema.directives:
        if directive.name == "oneOf":  # the spec's own, printed by Strawberry without its text
            continue
        if not directive.description:
            missing.append(f"@{directive.name}")
        missing += [
            f"@{directive.name}({a})" for a, arg in directive.args.items() if not arg.description
        ]
    return missing


def test_every_element_of_the_exported_schema_has_a_description():
    # given
    sdl = (Path(settings.BASE_DIR) / "schema.graphql").read_text()

    # when
    missing = _undescribed(sdl)

    # then
    assert missing == []


def test_describe_fills_generated_types_and_keeps_descriptions_written_in_the_code():
    # given a schema shaped like Strawberry's output, with one description of its own
    schema = build_schema(
        '''
        type Query { items(filters: ItemFilter, pagination: OffsetPaginationInput): ItemOffsetPaginated! }
        type Mutation { itemCreate: ItemCreatePayload! }
        """An item."""
        type Item { id: ID! }
        type ItemOffsetPaginated { pageInfo: OffsetPaginationInfo! totalCount: Int! results: [Item!]! }
        type ItemEdge { cursor: String! node: Item! }
        type OffsetPaginationInfo { offset: Int! limit: Int }
        input OffsetPaginationInput { offset: Int! = 0 limit: Int }
        input ItemFilter { AND: ItemFilter OR: ItemFilter NOT: ItemFilter DISTINCT: Boolean }
        type OperationInfo { messages: [String!]! }
        union ItemCreatePayload = Item | OperationInfo
        enum Ordering { ASC DESC }
        '''
    )

    # when
    describe(schema)

    # then
    assert schema.type_map["Item"].description == "An item."
    assert schema.type_map["ItemCreatePayload"].description == (
        "What `itemCreate` answers: an Item when it succeeds, or an OperationInfo saying why "
        "nothing was written."
    )
    assert schema.type_map["ItemOffsetPaginated"].description == (
        "A page of items (offset pagination) with the total count."
    )
    assert schema.type_map["ItemEdge"].description == "One item of a page, with its cursor."
    assert schema.type_map["ItemFilter"].fields["NOT"].description == (
        "Exclude what this filter matches."
    )
    assert schema.query_type.fields["items"].args["filters"].description == (
        "Only the rows matching every filter given (combined with AND)."
    )
    assert schema.type_map["Ordering"].values["DESC"].description == "Descending; nulls first."
    assert schema.type_map["Item"].fields["id"].description is None  # no rule invents one


def test_type_names_read_as_words():
    assert [_words(n) for n in ("LearnItem", "LLMRequest", "SystemHealthCheck")] == [
        "learn item",
        "LLM request",
        "system health check",
    ]
