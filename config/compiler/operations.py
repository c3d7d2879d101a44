"""Queries the compiler answers whole, answered without the executor.

A query operation whose every root field the compiler answered (one statement each), without
an error, is kept: per schema, document text, operation name and the settings its validation
read (config.extensions.DocumentCache), at most KEPT of them (the least recently used go
first). The next request with that text skips graphql-core's executor and Strawberry's
extension hooks: its variables are coerced as the executor coerces them
(`graphql.get_variable_values`) and checked against the limits that depend on them
(`config.extensions.variable_errors`), then each root field's resolver is called as the
executor calls it: Strawberry's resolver (argument conversion, field extensions, exception
handlers, and the permission checks of the resolver itself), with the arguments
`graphql.get_argument_values` gives and a resolve info holding what the executor's holds.

When every resolver answers with compiled JSON, that is the answer: the executor would hand
the same values on as they are (config.compiler.CompiledExecutionContext). Anything else —
variables that do not coerce or pass the limits, a resolver raising (a permission refused, a
cursor that does not decode), one answering otherwise (a stored value the standard path
answers with an error), a null for a non-null field — forgets the operation, and the request
runs again on the whole standard path, which gives the answer and its errors. Only reads are
kept, so running a resolver a second time writes nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

import strawberry
from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    get_argument_values,
    get_operation_ast,
    get_variable_values,
)
from graphql import OperationType as CoreOperationType
from graphql.pyutils import Path, is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from config.compiler import Precompleted, root_answers
from config.extensions import DocumentCache, variable_errors

KEPT = 256

# graphql-core's resolve info and the request's `extensions`, which Strawberry's executor adds
# for its Info (`Info.operation_extensions`).
ResolveInfo = NamedTuple(
    "ResolveInfo",
    [*((name, Any) for name in GraphQLResolveInfo._fields), ("operation_extensions", Any)],
)
_UNSET = dict.fromkeys(ResolveInfo._fields)


@dataclass(frozen=True)
class RootField:
    key: str  # the response key
    node: FieldNode
    definition: GraphQLField


@dataclass(frozen=True)
class Operation:
    """A kept query: its document's operation, its root fields in response order, and the
    arguments whose page sizes and list lengths each request's variables are checked for."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    fields: tuple[RootField, ...]
    arguments: tuple

    def answer(self, schema: strawberry.Schema, inputs: dict, context, root_value, extensions):
        """The answer's data, or None: the standard path answers this request."""
        if not isinstance(inputs, dict):  # the executor words the refusal
            return None
        core = schema._schema
        variables = get_variable_values(core, self.operation.variable_definitions or (), inputs)
        if isinstance(variables, list):  # errors: the executor words them
            return None
        if variable_errors(self.arguments, inputs):
            return None
        parent = core.query_type
        data = {}
        for field in self.fields:
            info = ResolveInfo(
                **{
                    **_UNSET,
                    "field_name": field.node.name.value,
                    "field_nodes": [field.node],
                    "return_type": field.definition.type,
                    "parent_type": parent,
                    "path": Path(None, field.key, parent.name),
                    "schema": core,
                    "fragments": self.fragments,
                    "root_value": root_value,
                    "operation": self.operation,
                    # Strawberry's executor hands resolvers the coerced values as a dict.
                    "variable_values": variables.coerced,
                    "context": context,
                    "is_awaitable": is_awaitable,
                    "operation_extensions": extensions,
                }
            )
            try:
                arguments = get_argument_values(field.definition, field.node, variables)
                result = field.definition.resolve(root_value, info, **arguments)
            except Exception:  # the standard path raises it again and words the error
                return None
            if type(result) is not Precompleted:
                return None
            if result.value is None and isinstance(field.definition.type, GraphQLNonNull):
                return None
            data[field.key] = result.value
        return data


def operation_of(schema: strawberry.Schema, key: tuple, answered: set) -> Operation | None:
    """The operation to keep for `key` (its DocumentCache key and operation name), whose
    root fields `answered` the compiler answered, or None when any other field is selected."""
    valid = DocumentCache.kept(schema, key[0])
    if valid is None:
        return None
    operation = get_operation_ast(valid.document, key[1])
    if operation is None or operation.operation is not CoreOperationType.QUERY:
        return None
    query_type = schema._schema.query_type
    fields: dict[str, RootField] = {}
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            return None  # fragments and directives at the root are the executor's to apply
        response_key = (selection.alias or selection.name).value
        definition = query_type.fields.get(selection.name.value)
        if (
            response_key in fields  # fields merged under one key
            or response_key not in answered
            or definition is None
            or definition.resolve is None
        ):
            return None
        fields[response_key] = RootField(response_key, selection, definition)
    fragments = {
        definition.name.value: definition
        for definition in valid.document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return Operation(operation, fragments, tuple(fields.values()), valid.arguments)


class CompilingSchema(strawberry.Schema):
    """Strawberry's schema, answering the queries the compiler answers whole without the
    executor (this module's docstring); everything else is Strawberry's own execution."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._operations: OrderedDict[tuple, Operation] = OrderedDict()
        self._operations_lock = threading.Lock()

    def execute_sync(
        self,
        query,
        variable_values=None,
        context_value=None,
        root_value=None,
        operation_name=None,
        allowed_operation_types=None,
        operation_extensions=None,
    ) -> ExecutionResult:
        watch = (
            settings.GRAPHQL_COMPILE
            and isinstance(query, str)
            and not operation_extensions
            and (allowed_operation_types is None or OperationType.QUERY in allowed_operation_types)
        )
        if watch:
            key = (DocumentCache.key(query), operation_name)
            with self._operations_lock:
                kept = self._operations.get(key)
                if kept is not None:
                    self._operations.move_to_end(key)
            if kept is not None:
                data = kept.answer(
                    self, variable_values or {}, context_value, root_value, operation_extensions
                )
                if data is not None:
                    return ExecutionResult(data=data, errors=None, extensions={})
                with self._operations_lock:
                    self._operations.pop(key, None)
        answered: set = set()
        token = root_answers.set(answered if watch else None)
        try:
            result = super().execute_sync(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        finally:
            root_answers.reset(token)
        if watch and answered and not result.errors and result.data is not None:
            operation = operation_of(self, key, answered)
            if operation is not None:
                with self._operations_lock:
                    self._operations[key] = operation
                    while len(self._operations) > KEPT:
                        self._operations.popitem(last=False)
        return result
