"""What a selection asks of the database: a plan per object type and connection, built once per
distinct document (the parsed documents are cached, so their nodes are the same objects on
every request with the same text) and rendered into SQL per request.

A selection is compilable when every field in it is a plain column (ID, String, Int, Float,
Boolean, DateTime, Date, JSON, an enum, a list of strings kept as JSON), a forward relation to
a type without its own queryset rules, `__typename`, or a nested connection declared with
`NestedList`; fields may carry strawberry-django's `HasPerm` with `fail_silently`. Anything
else (custom resolvers, arguments, directives, other extensions) makes the whole list take the
standard path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    InlineFragmentNode,
    get_named_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.permissions import HasPerm, PermTarget
from strawberry_django.utils.typing import get_django_definition

from config.compiler import sql

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
MAX_ENTRIES = 100  # fields of one object: a bound on the statement's length
CONNECTION_FIELDS = frozenset({"totalCount", "pageInfo", "nodes", "edges", "__typename"})


class NotCompilable(Exception):
    """The selection (or this request's arguments) takes the standard path."""


@dataclass(frozen=True)
class Leaf:
    key: str
    attname: str
    render: Callable[[str], str]  # column expression -> JSON-able expression


@dataclass(frozen=True)
class Constant:
    key: str
    sql: str


@dataclass(frozen=True)
class Related:
    key: str
    attname: str  # the foreign key's column on this side
    model: type[models.Model]
    target: str  # the referenced column of `model`
    plan: ObjectPlan
    nullable: bool
    permission: str | None  # HasPerm(fail_silently): null without it


@dataclass(frozen=True)
class Nested:
    key: str
    nested: object  # config.connections.NestedList
    field: object  # the GraphQLField (its arguments)
    node: FieldNode
    parent_attname: str  # the parent's column the children point at
    model: type[models.Model]  # the children's
    plan: ConnectionPlan
    # The SQL of its pages by shape, reused by every request (config.compiler.render).
    templates: dict = dataclasses.field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class ObjectPlan:
    model: type[models.Model]
    entries: tuple

    def attnames(self) -> set[str]:
        names = set()
        for entry in self.entries:
            if isinstance(entry, Leaf | Related):
                names.add(entry.attname)
            elif isinstance(entry, Nested):
                names.add(entry.parent_attname)
        return names


@dataclass(frozen=True)
class ConnectionPlan:
    """Entries in response order: (key, "totalCount" | "__typename", constant)
    (key, "pageInfo", ((key, name), …)), (key, "nodes", ObjectPlan),
    (key, "edges", ((key, "cursor" | "node" | "__typename", ObjectPlan | str), …))."""

    type_name: str
    entries: tuple

    def names(self) -> set[str]:
        return {entry[1] for entry in self.entries}

    def object_plans(self) -> Iterable[ObjectPlan]:
        for _key, name, sub in self.entries:
            if name == "nodes":
                yield sub
            elif name == "edges":
                for _edge_key, edge_name, edge_sub in sub:
                    if edge_name == "node":
                        yield edge_sub


def grouped(info, nodes: Iterable[FieldNode], type_name: str) -> dict[str, list[FieldNode]]:
    """The fields selected under `nodes` by response key, in response order (fragments
    flattened); NotCompilable for directives or fragments on another type."""
    found: dict[str, list[FieldNode]] = {}

    def visit(selection_set, seen: frozenset[str]) -> None:
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                raise NotCompilable("directive")
            if isinstance(selection, FieldNode):
                found.setdefault((selection.alias or selection.name).value, []).append(selection)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner, name = selection.type_condition, selection.selection_set, None
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = info.fragments.get(name)
                if fragment is None or name in seen or fragment.directives:
                    raise NotCompilable("fragment")
                condition, inner = fragment.type_condition, fragment.selection_set
            if condition is not None and condition.name.value != type_name:
                raise NotCompilable("fragment on another type")
            visit(inner, seen | {name} if name else seen)

    for node in nodes:
        visit(node.selection_set, frozenset())
    return found


def _strip(gtype) -> tuple[object, bool]:
    if isinstance(gtype, GraphQLNonNull):
        return gtype.of_type, True
    return gtype, False


def _model_field(model: type[models.Model], name: str) -> models.Field:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for field in model._meta.concrete_fields:
            if field.attname == name:
                return field
        raise NotCompilable(f"{model.__name__}.{name} is not a column") from None


def _quoted(expr: str) -> str:
    """Text that needs no escaping (digits, ids, ISO times) as a JSON string."""
    return f"'\"' || {expr} || '\"'"


def _leaf(gtype, field: models.Field, nonnull: bool) -> Callable[[str], str]:
    """How to print `field` as the GraphQL leaf type `gtype` (already without NonNull): an
    expression of its JSON text, SQL NULL for null."""
    kind = sql.internal_type(field)
    nullable = field.null

    def required(render: Callable[[str], str]) -> Callable[[str], str]:
        if nonnull and nullable:
            return lambda col: f"COALESCE({render(col)}, {sql.SENTINEL_SQL})"
        return render

    if isinstance(gtype, GraphQLList):
        item, item_nonnull = _strip(gtype.of_type)
        if not (isinstance(item, GraphQLScalarType) and item.name == "String"):
            raise NotCompilable("list of non-strings")
        if kind != "JSONField":
            raise NotCompilable("list not kept as JSON")
        strict = '!= "string"' if item_nonnull else '!= "string" && @.type() != "null"'
        check = f"'strict $[*] ? (@.type() {strict})'"
        return required(
            lambda col: (
                f"CASE WHEN {col} IS NULL OR {col} = 'null'::jsonb THEN NULL "
                f"WHEN jsonb_typeof({col}) = 'array' AND NOT jsonb_path_exists({col}, {check}) "
                f"THEN {sql.string_list_text(col)} ELSE {sql.SENTINEL_SQL} END"
            )
        )
    if isinstance(gtype, GraphQLEnumType):
        names = {value.value: name for name, value in gtype.values.items()}
        if all(isinstance(value, str) for value in names):
            stored = sql.literal
        elif all(type(value) is int for value in names):
            stored = str
        else:
            raise NotCompilable("enum of other values")
        pairs = [
            (stored(value), sql.literal(sql.json_string(name))) for value, name in names.items()
        ]

        def enum(col: str) -> str:
            cases = " ".join(f"WHEN {col} = {value} THEN {name}" for value, name in pairs)
            return f"CASE WHEN {col} IS NULL THEN NULL {cases} ELSE {sql.SENTINEL_SQL} END"

        return required(enum)
    if not isinstance(gtype, GraphQLScalarType):
        raise NotCompilable("not a leaf")
    name = gtype.name
    if name == "ID" and (
        kind in sql.INTEGER_TYPES or kind in sql.BIG_INTEGER_TYPES or kind == "UUIDField"
    ):
        return required(lambda col: _quoted(f"({col})::text"))
    if name in ("ID", "String") and kind in sql.TEXT_TYPES:
        return required(lambda col: f"to_json({col})::text")
    if name == "Int" and kind in sql.INTEGER_TYPES:
        return required(lambda col: f"({col})::text")
    if name == "Int" and kind in sql.BIG_INTEGER_TYPES:
        low, high = sql.INT_MIN, sql.INT_MAX
        return required(
            lambda col: (
                f"CASE WHEN {col} IS NULL OR {col} BETWEEN {low} AND {high} "
                f"THEN ({col})::text ELSE {sql.SENTINEL_SQL} END"
            )
        )
    if name == "Float" and kind == "FloatField":
        return required(sql.float_text)
    if name == "Boolean" and kind == "BooleanField":
        return required(lambda col: f"({col})::text")
    if name == "DateTime" and kind == "DateTimeField":
        return required(lambda col: _quoted(sql.iso(col)))
    if name == "Date" and kind == "DateField":
        return required(lambda col: _quoted(sql.day(col)))
    if name == "JSON" and kind == "JSONField":
        return required(sql.json_text)
    raise NotCompilable(f"{name} over {kind}")


def _permission(strawberry_field, nullable: bool) -> str | None:
    extensions = list(getattr(strawberry_field, "extensions", ()) or ())
    if not extensions:
        return None
    if len(extensions) == 1 and isinstance(extensions[0], HasPerm):
        ext = extensions[0]
        perms = list(ext.perms)
        if ext.fail_silently and nullable and len(perms) == 1 and ext.target == PermTarget.GLOBAL:
            return perms[0].perm
    raise NotCompilable("field extension")


def object_plan(info, gtype: GraphQLObjectType, model, nodes: list[FieldNode]) -> ObjectPlan:
    entries = []
    for key, group in grouped(info, nodes, gtype.name).items():
        name = group[0].name.value
        if any(node.name.value != name for node in group):
            raise NotCompilable("one key, several fields")
        if name == "__typename":
            entries.append(Constant(key, sql.literal(sql.json_string(gtype.name))))
            continue
        gfield = gtype.fields[name]
        strawberry_field = gfield.extensions.get(DEFINITION)
        if strawberry_field is None:
            raise NotCompilable("not a Strawberry field")
        resolver = strawberry_field.base_resolver
        nested = getattr(resolver.wrapped_func, "nested_list", None) if resolver else None
        if nested is not None:
            entries.append(_nested(info, key, gfield, group, nested, model))
            continue
        if resolver is not None or gfield.args:
            raise NotCompilable("resolver")
        if isinstance(strawberry_field, StrawberryDjangoField):
            attr = strawberry_field.django_name or strawberry_field.python_name
        else:
            attr = strawberry_field.python_name
        field = _model_field(model, attr)
        gtype_inner, nonnull = _strip(gfield.type)
        permission = _permission(strawberry_field, not nonnull)
        if isinstance(gtype_inner, GraphQLObjectType):
            entries.append(_related(info, key, field, gtype_inner, group, nonnull, permission))
            continue
        if permission is not None:
            raise NotCompilable("permission on a column")
        if field.is_relation and not (field.many_to_one or field.one_to_one):
            raise NotCompilable("many-valued relation")
        if not field.concrete:
            raise NotCompilable("not a column")
        entries.append(Leaf(key, field.attname, _leaf(gtype_inner, field, nonnull)))
    if len(entries) > MAX_ENTRIES:
        raise NotCompilable("too many fields")
    return ObjectPlan(model, tuple(entries))


def _related(info, key, field, gtype, group, nonnull, permission) -> Related:
    if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)):
        raise NotCompilable("not a forward relation")
    definition = gtype.extensions.get(DEFINITION)
    origin = getattr(definition, "origin", None)
    django = get_django_definition(origin) if origin is not None else None
    if django is None or django.model is not field.related_model:
        raise NotCompilable("related type of another model")
    if hasattr(origin, "get_queryset"):
        raise NotCompilable("related type with its own rows")
    plan = object_plan(info, gtype, field.related_model, group)
    return Related(
        key=key,
        attname=field.attname,
        model=field.related_model,
        target=field.target_field.attname,
        plan=plan,
        nullable=not nonnull,
        permission=permission,
    )


def _nested(info, key, gfield, group, nested, parent_model) -> Nested:
    if len(group) != 1:
        raise NotCompilable("a nested list selected twice under one key")
    connection_type = get_named_type(gfield.type)
    child_model = nested.ordered[0].model
    link = _model_field(child_model, nested.link)
    if link.related_model is not parent_model:
        raise NotCompilable("nested list of another parent")
    return Nested(
        key=key,
        nested=nested,
        field=gfield,
        node=group[0],
        parent_attname=link.target_field.attname,
        model=child_model,
        plan=connection_plan(info, connection_type, child_model, group),
    )


def connection_plan(info, gtype: GraphQLObjectType, model, nodes: list[FieldNode]):
    entries = []
    node_type = get_named_type(gtype.fields["nodes"].type)
    edge_type = get_named_type(gtype.fields["edges"].type)
    for key, group in grouped(info, nodes, gtype.name).items():
        name = group[0].name.value
        if any(node.name.value != name for node in group) or name not in CONNECTION_FIELDS:
            raise NotCompilable("connection field")
        if name == "__typename":
            entries.append((key, name, sql.literal(sql.json_string(gtype.name))))
        elif name == "totalCount":
            entries.append((key, name, None))
        elif name == "pageInfo":
            page_type = get_named_type(gtype.fields["pageInfo"].type)
            fields = []
            for page_key, page_group in grouped(info, group, page_type.name).items():
                page_name = page_group[0].name.value
                if any(node.name.value != page_name for node in page_group):
                    raise NotCompilable("pageInfo field")
                fields.append((page_key, page_name))
            entries.append((key, name, tuple(fields)))
        elif name == "nodes":
            entries.append((key, name, object_plan(info, node_type, model, group)))
        else:
            edge_entries = []
            for edge_key, edge_group in grouped(info, group, edge_type.name).items():
                edge_name = edge_group[0].name.value
                if any(node.name.value != edge_name for node in edge_group):
                    raise NotCompilable("edge field")
                if edge_name == "node":
                    sub = object_plan(info, node_type, model, edge_group)
                elif edge_name == "__typename":
                    sub = sql.literal(sql.json_string(edge_type.name))
                else:
                    sub = None
                edge_entries.append((edge_key, edge_name, sub))
            entries.append((key, name, tuple(edge_entries)))
    if len(entries) > MAX_ENTRIES:
        raise NotCompilable("too many fields")
    return ConnectionPlan(gtype.name, tuple(entries))
