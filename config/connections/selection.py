"""What a client selected on a connection, read from the operation's syntax tree.

The only module that reads Strawberry's `Info._raw_info` (graphql-core's resolve info) for
connections: the rest of `config.connections` asks these functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    NameNode,
    OperationType,
    SelectionSetNode,
    get_argument_values,
    get_named_type,
)
from graphql.execution.values import VariableValues
from strawberry_django.optimizer import DjangoOptimizerExtension, OptimizerConfig, optimize


def raw(info: strawberry.Info | GraphQLResolveInfo) -> GraphQLResolveInfo:
    # Strawberry builds graphql-core's info as its own NamedTuple (not a GraphQLResolveInfo
    # subclass), so test for the wrapper rather than for the raw class.
    return info._raw_info if isinstance(info, strawberry.Info) else info


def fields_under(
    info: GraphQLResolveInfo, field_nodes: Iterable[FieldNode], on_type: str | None = None
) -> list[FieldNode]:
    """The fields selected under `field_nodes`, in document order, looking into fragments
    (only those on `on_type` when given). Directives are not evaluated: a field under `@skip`
    counts as selected (it only costs work, never data)."""
    found: list[FieldNode] = []

    def applies(condition) -> bool:
        return on_type is None or condition is None or condition.name.value == on_type

    def visit(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if applies(selection.type_condition):
                    visit(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = info.fragments.get(name)
                if fragment is not None and name not in seen and applies(fragment.type_condition):
                    visit(fragment.selection_set, seen | {name})

    for node in field_nodes:
        visit(node.selection_set, frozenset())
    return found


def subfields(
    info: GraphQLResolveInfo, field_nodes: Iterable[FieldNode]
) -> dict[str, list[FieldNode]]:
    """The fields selected under `field_nodes`, by name (see fields_under)."""
    found: dict[str, list[FieldNode]] = defaultdict(list)
    for node in fields_under(info, field_nodes):
        found[node.name.value].append(node)
    return found


def selected(info: strawberry.Info | GraphQLResolveInfo) -> set[str]:
    """Names of the fields selected on the current (connection) field."""
    return set(subfields(raw(info), raw(info).field_nodes))


def node_selections(info: GraphQLResolveInfo) -> list:
    """The selections made on a connection's nodes, through `edges { node }` and `nodes`."""
    connection = subfields(info, info.field_nodes)
    selections = []
    for node in connection.get("nodes", ()):
        selections.extend(node.selection_set.selections if node.selection_set else ())
    for node in subfields(info, connection.get("edges", ())).get("node", ()):
        selections.extend(node.selection_set.selections if node.selection_set else ())
    return selections


def optimized(queryset, info: strawberry.Info | GraphQLResolveInfo):
    """`queryset` with the columns, joins and prefetches its nodes' selection needs, as the
    strawberry-django optimizer gives a plain list (it only looks into `edges { node }`)."""
    if not DjangoOptimizerExtension.enabled.get():
        return queryset
    raw_info = raw(info)
    connection_type = get_named_type(raw_info.return_type)
    if not isinstance(connection_type, GraphQLObjectType) or "nodes" not in connection_type.fields:
        return queryset
    node_type = get_named_type(connection_type.fields["nodes"].type)
    merged = FieldNode(
        name=NameNode(value=raw_info.field_name),
        selection_set=SelectionSetNode(selections=tuple(node_selections(raw_info))),
    )
    node_info = raw_info._replace(field_nodes=[merged], return_type=node_type)
    config = OptimizerConfig(enable_only=raw_info.operation.operation == OperationType.QUERY)
    return optimize(queryset, node_info, config=config)


def argument_values(field_def, node: FieldNode, info: GraphQLResolveInfo) -> dict:
    """The coerced arguments of `node` (a selection of `field_def`) with the operation's
    variables, which Strawberry hands resolvers as a plain dict."""
    variables = info.variable_values
    if isinstance(variables, dict):
        variables = VariableValues(sources={}, coerced=variables)
    return get_argument_values(field_def, node, variables)


def nested_info(
    info: strawberry.Info, type_name: str, field: str
) -> list[tuple[GraphQLResolveInfo, dict]]:
    """For each response key selecting `field` on the `type_name` object that the current
    field answers with: the resolve info that field will get, and its argument values."""
    raw_info = raw(info)
    object_type = raw_info.schema.get_type(type_name)
    field_def = object_type.fields[field]
    groups: dict[str, list[FieldNode]] = defaultdict(list)
    for node in fields_under(raw_info, raw_info.field_nodes, on_type=type_name):
        if node.name.value == field:
            groups[(node.alias or node.name).value].append(node)
    return [
        (
            raw_info._replace(
                field_nodes=nodes,
                field_name=field,
                return_type=field_def.type,
                parent_type=object_type,
            ),
            argument_values(field_def, nodes[0], raw_info),
        )
        for nodes in groups.values()
    ]
