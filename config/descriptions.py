"""Descriptions of the schema's generated and library types, set once when the schema is built.

Our own types, fields, arguments and enum values are described where they are declared
(`description=`). What Strawberry and strawberry-django generate or bring — the mutation
payload unions, pages, filter combinators, pagination and ordering inputs, `OperationInfo`,
the permission directive — has no description of its own: `describe()` gives one to each
element still without, from the tables and rules below, and never replaces a description
written in the code. tests/foundation/test_schema_descriptions.py fails for anything left
undescribed in the exported schema.
"""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

# Exact names: a type ("Ordering"), a field or input field ("OperationInfo.messages"), an enum
# value ("Ordering.ASC"), an argument ("Query.threads(filters)") or a directive argument
# ("@hasPerm(any)").
DESCRIPTIONS = {
    "Query": "Every read of the API.",
    "Mutation": (
        "Every write of the API. Each mutation runs in one transaction: an answer with an "
        "error (or an OperationInfo) means nothing was written."
    ),
    "Subscription": (
        "Live streams over graphql-transport-ws (WebSocket) or Server-Sent Events, on /graphql/."
    ),
    "OperationInfo": (
        "Why a mutation wrote nothing: its messages name the field at fault and, for refusals "
        "a client branches on, carry a code (NOT_FOUND, CONFLICT, DAILY_CAP_REACHED…)."
    ),
    "OperationInfo.messages": "One message per problem found.",
    "OperationMessage": "One problem of a refused mutation.",
    "OperationMessageKind": "What kind of problem an OperationMessage reports.",
    "OperationMessageKind.INFO": "Information; nothing was wrong.",
    "OperationMessageKind.WARNING": "A warning about the input.",
    "OperationMessageKind.ERROR": "The operation failed, e.g. what it names does not exist.",
    "OperationMessageKind.PERMISSION": "The caller lacks the permission the operation needs.",
    "OperationMessageKind.VALIDATION": "The input was refused by validation or a limit.",
    "Ordering": "Direction of one ordering key.",
    "Ordering.ASC": "Ascending; nulls last.",
    "Ordering.ASC_NULLS_FIRST": "Ascending; nulls first.",
    "Ordering.ASC_NULLS_LAST": "Ascending; nulls last.",
    "Ordering.DESC": "Descending; nulls first.",
    "Ordering.DESC_NULLS_FIRST": "Descending; nulls first.",
    "Ordering.DESC_NULLS_LAST": "Descending; nulls last.",
    "OffsetPaginationInput": "Which page of a list to read: rows to skip and the page size.",
    "OffsetPaginationInput.offset": "Rows to skip before the page (default 0).",
    "OffsetPaginationInput.limit": (
        "Rows on the page, at most the page size limit (GRAPHQL_PAGE_SIZE, 100 by default); "
        "left out, the list's default."
    ),
    "OffsetPaginationInfo": "The offset and limit a page was read with.",
    "OffsetPaginationInfo.offset": "Rows skipped before the page.",
    "OffsetPaginationInfo.limit": "Rows asked for; null when left out.",
    "@hasPerm(permissions)": "The permissions required (app and codename).",
    "@hasPerm(any)": "True: any one of the permissions suffices; false: all are needed.",
}

# Field and argument names that mean the same on every type that has them.
FILTER_FIELDS = {
    "AND": "Also match this filter (both must hold).",
    "OR": "Or match this filter instead (either may hold).",
    "NOT": "Exclude what this filter matches.",
    "DISTINCT": "Remove duplicate rows from the answer.",
}
LIST_ARGUMENTS = {
    "filters": "Only the rows matching every filter given (combined with AND).",
    "ordering": "Keys to order by, the first one first; replaces the default order.",
    "pagination": "Which page to read (offset and limit).",
}
PAGE_FIELDS = {
    "pageInfo": "How this page was read (offset and limit).",
    "totalCount": "Number of rows matching the filters, all pages together.",
}


def _words(name: str) -> str:
    """'LearnItem' -> 'learn item', 'LLMRequest' -> 'LLM request'."""
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return " ".join(p if p.isupper() and len(p) > 1 else p.lower() for p in parts)


def _generated_type(name: str, type_, mutations: dict[str, str]) -> str | None:
    """A description for a type Strawberry or strawberry-django generated, from its shape."""
    if isinstance(type_, GraphQLUnionType) and name in mutations:
        result = next((t.name for t in type_.types if t.name != "OperationInfo"), None)
        article = "an" if result and result[0] in "AEIOU" else "a"
        return (
            f"What `{mutations[name]}` answers: {article} {result} when it succeeds, or an "
            "OperationInfo saying why nothing was written."
        )
    for suffix, text in (
        ("OffsetPaginated", "A page of {}s (offset pagination) with the total count."),
        ("Connection", "A page of {}s (cursor pagination)."),
        ("Edge", "One {} of a page, with its cursor."),
    ):
        if name.endswith(suffix) and name != suffix:
            return text.format(_words(name.removesuffix(suffix)))
    return None


def _describe_fields(type_name: str, fields: dict, element_text) -> None:
    for field_name, field in fields.items():
        if not field.description:
            field.description = DESCRIPTIONS.get(f"{type_name}.{field_name}") or element_text(
                field_name
            )
        for arg_name, arg in getattr(field, "args", {}).items():
            if not arg.description:
                arg.description = DESCRIPTIONS.get(
                    f"{type_name}.{field_name}({arg_name})"
                ) or LIST_ARGUMENTS.get(arg_name)


def describe(schema: GraphQLSchema) -> None:
    """Give every type, field, argument, enum value and directive argument left without a
    description the one this module has for it (in place, before the schema serves)."""
    mutations = {}
    if schema.mutation_type is not None:
        for field_name, field in schema.mutation_type.fields.items():
            mutations.setdefault(get_named_type(field.type).name, field_name)
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not type_.description:
            type_.description = DESCRIPTIONS.get(name) or _generated_type(name, type_, mutations)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            _describe_fields(name, type_.fields, PAGE_FIELDS.get)
        elif isinstance(type_, GraphQLInputObjectType):
            _describe_fields(name, type_.fields, FILTER_FIELDS.get)
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if not value.description:
                    value.description = DESCRIPTIONS.get(f"{name}.{value_name}")
    for directive in schema.directives:
        if not directive.description:
            directive.description = DESCRIPTIONS.get(f"@{directive.name}")
        for arg_name, arg in directive.args.items():
            if not arg.description:
                arg.description = DESCRIPTIONS.get(f"@{directive.name}({arg_name})")
