"""Every query and mutation of the committed schema, with a minimal valid request for each.

Read from schema.graphql (exported from the code, and checked for drift by `make test`), so a
field added to any app is exercised without editing the suite.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_schema,
    get_named_type,
)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"

# Values for scalars; IDs come from `ids` (by the type the field returns) when one is known.
SCALAR_VALUES: dict[str, object] = {
    "String": "reliability",
    "Int": 1,
    "Float": 1.5,
    "Boolean": False,
    "ID": "1",
    "Date": "2026-01-01",
    "DateTime": "2026-01-01T00:00:00+00:00",
    "Time": "12:00:00",
    "Decimal": "1.0",
    "UUID": "00000000-0000-0000-0000-000000000001",
    "JSON": {},
}


def load_schema(path: Path = SCHEMA_FILE) -> GraphQLSchema:
    return build_schema(path.read_text())


@dataclass(frozen=True)
class Operation:
    kind: str  # "query" or "mutation"
    field: str
    query: str
    variables: dict
    # Names of the types it returns or takes, and the stems of its `…Id` arguments.
    related: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.kind} {self.field}"


def is_required(arg) -> bool:
    """A non-null argument or input field without a default must be passed."""
    return (
        isinstance(arg.type, GraphQLNonNull)
        and arg.default_value is Undefined
        and getattr(arg, "default", None) is None
    )


def takes_required_args(field: GraphQLField) -> bool:
    return any(is_required(arg) for arg in field.args.values())


def unwrap(type_):
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def is_connection(named) -> bool:
    """A page of a list (`edges`, `nodes`, `pageInfo`, `totalCount`)."""
    return isinstance(named, GraphQLObjectType) and {"edges", "nodes", "pageInfo"} <= set(
        named.fields
    )


def conflicting_fields(union: GraphQLUnionType) -> set[str]:
    """Field names that members of `union` declare with different types (a thread's
    `messages` connection and OperationInfo's `messages`): one selection cannot ask for both."""
    types: dict[str, set[str]] = {}
    for member in union.types:
        for name, field in member.fields.items():
            types.setdefault(name, set()).add(str(field.type))
    return {name for name, found in types.items() if len(found) > 1}


def selection(
    type_, depth: int = 0, max_depth: int = 2, aliased: frozenset[str] = frozenset()
) -> str:
    """Every argument-free leaf of the type, and objects nested up to `max_depth`. A connection
    does not count as a level: its `nodes` get the depth the list itself has (and `edges` only
    their cursors: their nodes are the same objects). Fields named in `aliased` are asked for
    under an alias prefixed with the type's name (`threadMessages: messages`)."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType):
        parts = ["__typename"]
        conflicts = frozenset(conflicting_fields(named))
        for member in named.types:
            rename = conflicts if member.name != "OperationInfo" else frozenset()
            inner = selection(member, depth, max_depth, rename)
            if inner:
                parts.append(f"... on {member.name} {inner}")
        return "{ " + " ".join(parts) + " }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    parts = ["__typename"]
    connection = is_connection(named)
    prefix = named.name[:1].lower() + named.name[1:]
    for name, field in named.fields.items():
        if takes_required_args(field):
            continue
        if connection and name == "edges":
            parts.append("edges { __typename cursor }")
            continue
        if connection and name == "nodes":
            inner = selection(field.type, depth, max_depth)
            if inner:
                parts.append(f"nodes {inner}")
            continue
        label = f"{prefix}{name[:1].upper()}{name[1:]}: {name}" if name in aliased else name
        inner_type = get_named_type(field.type)
        if isinstance(inner_type, GraphQLScalarType | GraphQLEnumType):
            parts.append(label)
        elif depth < max_depth:
            inner = selection(field.type, depth + 1, max_depth)
            if inner:
                parts.append(f"{label} {inner}")
    return "{ " + " ".join(parts) + " }"


def input_value(
    type_,
    ids: Mapping[str, str],
    arg_name: str,
    return_type: str,
    values: Mapping[str, object] | None = None,
) -> object:
    """A valid value for an input type: required fields only, IDs of the probed objects,
    and `values` for arguments or input fields of those names."""
    values = values or {}
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [input_value(type_.of_type, ids, arg_name, return_type, values)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        value = {}
        for name, field in type_.fields.items():
            if (
                is_required(field)
                or (name == "id" and unwrap(field.type).name == "ID")
                or f"{type_.name}.{name}" in values
            ):
                # An id inside `MessageAppendInput` is a Message's id.
                value[name] = input_value(field.type, ids, name, type_.name, values)
        if type_.is_one_of and not value:
            name, field = next(iter(type_.fields.items()))
            value[name] = input_value(field.type, ids, name, return_type, values)
        return value
    if f"{return_type}.{arg_name}" in values:  # e.g. "ContextSnapshotSaveInput.clientId"
        return values[f"{return_type}.{arg_name}"]
    if arg_name in values:
        return values[arg_name]
    if type_.name in ("ID", "String") and (type_.name == "ID" or arg_name.endswith("Id")):
        return id_for(arg_name, return_type, ids)
    return SCALAR_VALUES.get(type_.name, "reliability")


def id_for(arg_name: str, context: str, ids: Mapping[str, str]) -> str:
    """`threadId` -> the probed Thread's id; a bare `id` -> the id of the type the field
    returns, or of the type its input object is named after (`MessageAppendInput`)."""
    stem = arg_name[:-2] if arg_name.endswith(("Id", "ID")) and len(arg_name) > 2 else ""
    for type_name, value in ids.items():
        if stem and type_name.lower() == stem.lower():
            return value
    for type_name, value in sorted(ids.items(), key=lambda item: -len(item[0])):
        if context.lower().startswith(type_name.lower()):
            return value
    for type_name, value in sorted(ids.items(), key=lambda item: -len(item[0])):
        if type_name.lower() in context.lower():
            return value
    return "1"


def returned_type_name(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if isinstance(named, GraphQLUnionType):
        members = [t.name for t in named.types if t.name != "OperationInfo"]
        return members[0] if members else named.name
    return named.name


def operations(
    schema: GraphQLSchema | None = None,
    ids: Mapping[str, str] | None = None,
    *,
    values: Mapping[str, object] | None = None,
) -> list[Operation]:
    """One request per root field, every required argument (and any id argument) passed
    as a variable; ids of the probed objects by type, `values` by argument name."""
    schema = schema or load_schema()
    ids = ids or {}
    found = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            return_type = returned_type_name(field)
            declared, passed, variables = [], [], {}
            for arg_name, arg in field.args.items():
                if not is_required(arg) and not (arg_name == "id" or arg_name.endswith("Id")):
                    continue
                declared.append(f"${arg_name}: {arg.type}")
                passed.append(f"{arg_name}: ${arg_name}")
                variables[arg_name] = input_value(arg.type, ids, arg_name, return_type, values)
            related = {return_type, *_related_inputs(field)}
            header = f"{kind} Probe" + (f"({', '.join(declared)})" if declared else "")
            call = name + (f"({', '.join(passed)})" if passed else "")
            body = selection(field.type)
            found.append(
                Operation(
                    kind, name, f"{header} {{ {call} {body} }}", variables, frozenset(related)
                )
            )
    return found


def _related_inputs(field: GraphQLField) -> set[str]:
    """Input type names and `…Id` stems reachable from the field's arguments."""
    found: set[str] = set()

    def visit(name: str, type_) -> None:
        if name.endswith("Id") and len(name) > 2:
            found.add(name[:-2][:1].upper() + name[1:-2])
        named = unwrap(type_)
        if isinstance(named, GraphQLInputObjectType) and named.name not in found:
            found.add(named.name)
            for field_name, input_field in named.fields.items():
                visit(field_name, input_field.type)

    for arg_name, arg in field.args.items():
        visit(arg_name, arg.type)
    return found


def deep_query(schema: GraphQLSchema, depth: int) -> str | None:
    """A valid query nesting `depth` object fields (without arguments), if the schema has one."""

    dead_ends: set[tuple[str, int]] = set()

    def walk(type_, remaining: int) -> str | None:
        named = get_named_type(type_)
        if not isinstance(named, GraphQLObjectType) or (named.name, remaining) in dead_ends:
            return None
        for name, field in named.fields.items():
            if takes_required_args(field):
                continue
            inner = get_named_type(field.type)
            if remaining == 1:
                if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
                    return name
                continue
            if isinstance(inner, GraphQLObjectType):
                rest = walk(inner, remaining - 1)
                if rest:
                    return f"{name} {{ {rest} }}"
        dead_ends.add((named.name, remaining))
        return None

    body = walk(schema.query_type, depth + 1)
    return f"{{ {body} }}" if body else None


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True)
