"""Schema extensions whose behaviour follows settings at request time."""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from graphql import (
    GraphQLArgument,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    TypeInfo,
    TypeInfoVisitor,
    value_from_ast_untyped,
)
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    IntValueNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from config.errors import LIST_TOO_LONG, PAGE_SIZE_TOO_LARGE, VALIDATION_ERROR


class MutationsAllOrNothing(SchemaExtension):
    """A mutation operation runs in one transaction, rolled back when its answer has errors.

    Services are atomic themselves; this covers what happens after them: a field of the
    answer that fails (a nested list refusing its arguments, a value that cannot be read back)
    must not leave the write in place while the client is told it failed. The answer's data is
    then null, so it cannot show objects that were not kept.
    """

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not OperationType.MUTATION:
            yield
            return
        with transaction.atomic():
            yield
            result = self.execution_context.result
            if result is not None and result.errors:
                transaction.set_rollback(True)
                result.data = None


PAGE_SIZE_ARGUMENTS = frozenset({"first", "last", "limit"})


def _value_of(node, variables: dict):
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    return None


def page_size_error(node: ArgumentNode, variables: dict, maximum: int) -> GraphQLError | None:
    """The error for a `first`/`last`/`limit` argument out of 0..`maximum`
    (PAGE_SIZE_TOO_LARGE), or an `offset` out of 0..GRAPHQL_MAX_OFFSET (VALIDATION_ERROR), or
    None; `extensions.field` names the argument."""
    name = node.name.value
    if name != "offset" and name not in PAGE_SIZE_ARGUMENTS:
        return None
    value = _value_of(node.value, variables)
    if not isinstance(value, int):
        return None
    if name == "offset":
        most = settings.GRAPHQL_MAX_OFFSET
        if value < 0:
            return GraphQLError(
                f"Page offset must be 0 or more: 'offset' is {value}.",
                node,
                extensions={"code": VALIDATION_ERROR, "field": name},
            )
        if value > most:
            return GraphQLError(
                f"Page offset too large: 'offset' is {value}, the maximum is {most} "
                "(page further with cursors).",
                node,
                extensions={"code": VALIDATION_ERROR, "field": name},
            )
        return None
    if value < 0:
        return GraphQLError(
            f"Page size must be 0 or more: '{name}' is {value}.",
            node,
            extensions={"code": VALIDATION_ERROR, "field": name},
        )
    if value > maximum:
        return GraphQLError(
            f"Page size too large: '{name}' is {value}, the maximum is {maximum}.",
            node,
            extensions={"code": PAGE_SIZE_TOO_LARGE, "field": name},
        )
    return None


# The variables of the operation being validated (the rules below check their values).
_variables: ContextVar[dict | None] = ContextVar("graphql_variables", default=None)


class _PageSizes(ValidationRule):
    """`first`, `last` and `offset` of every list, inline or from this request's variables."""

    def enter_argument(self, node: ArgumentNode, *_args) -> None:
        error = page_size_error(node, _variables.get() or {}, settings.GRAPHQL_PAGE_SIZE)
        if error is not None:
            self.report_error(error)


# The longest list any argument or input field accepts unless LIST_CAPS says otherwise.
DEFAULT_LIST_MAX = 1000
# Declared maximum lengths, by schema coordinate: `Type.field.argument` for an argument,
# `InputType.field` for a field of an input. Filled once by config.schema (declare_list_caps).
LIST_CAPS: dict[str, int] = {}


def declare_list_caps(caps: Mapping[str, int]) -> None:
    """Declare the maximum length of the schema's list arguments and input list fields."""
    LIST_CAPS.update(caps)


def _unwrap(type_):
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _long_list(value, type_, coordinate: str, path: str) -> tuple[str, int, int] | None:
    """(path, length, maximum) of the first list in `value` (of GraphQL input type `type_`)
    longer than its cap; nested inputs and lists of inputs are walked too."""
    type_ = _unwrap(type_)
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        maximum = LIST_CAPS.get(coordinate, DEFAULT_LIST_MAX)
        if len(value) > maximum:
            return path, len(value), maximum
        item_type = _unwrap(type_.of_type)
        if isinstance(item_type, GraphQLInputObjectType | GraphQLList):
            for index, item in enumerate(value):
                found = _long_list(item, item_type, coordinate, f"{path}[{index}]")
                if found is not None:
                    return found
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in type_.fields.items():
            if value.get(name) is not None:
                found = _long_list(
                    value[name], field.type, f"{type_.name}.{name}", f"{path}.{name}"
                )
                if found is not None:
                    return found
    return None


def list_length_error(
    node: ArgumentNode, argument: GraphQLArgument, coordinate: str, variables: dict
) -> GraphQLError | None:
    """The error for a list in this argument (or in its inputs) past its cap, or None."""
    if not isinstance(_unwrap(argument.type), GraphQLList | GraphQLInputObjectType):
        return None
    value = value_from_ast_untyped(node.value, variables)
    found = _long_list(value, argument.type, coordinate, node.name.value)
    if found is None:
        return None
    path, length, maximum = found
    return GraphQLError(
        f"List too long: '{path}' has {length} items, the maximum is {maximum}.",
        node,
        extensions={"code": LIST_TOO_LONG, "field": path},
    )


@dataclass(frozen=True)
class _Argument:
    node: ArgumentNode
    # The argument's definition and `Type.field.argument`, when the schema has it.
    definition: GraphQLArgument | None
    coordinate: str


class _ListLengths(ValidationRule):
    """Every list argument and input list field against its cap (LIST_CAPS, else
    DEFAULT_LIST_MAX), inline or from this request's variables, nested inputs included."""

    def enter_argument(self, node: ArgumentNode, *_args) -> None:
        argument = _argument(node, self.context)
        if argument.definition is None:
            return
        variables = _variables.get() or {}
        error = list_length_error(node, argument.definition, argument.coordinate, variables)
        if error is not None:
            self.report_error(error)


@functools.cache
def _rules(max_depth: int, max_aliases: int, introspection: bool) -> tuple[type, ...]:
    rules = (
        depth_validator(max_depth, None, None),
        aliases_validator(max_aliases),
        _PageSizes,
        _ListLengths,
    )
    return rules if introspection else (*rules, NoSchemaIntrospectionCustomRule)


class RequestLimits(SchemaExtension):
    """Every operation's limits, as validation rules, so a refused request never reaches the
    database: its depth (settings.GRAPHQL_MAX_DEPTH), its aliases (GRAPHQL_MAX_ALIASES), its
    tokens (GRAPHQL_MAX_TOKENS, counted while parsing), its page sizes (GRAPHQL_PAGE_SIZE,
    PAGE_SIZE_TOO_LARGE) and list lengths (LIST_CAPS, LIST_TOO_LONG) with this request's
    variables, and no introspection (`__schema`, `__type`) unless GRAPHQL_INTROSPECTION.
    Errors name the argument (`extensions.field`).

    One extension whose rule classes are built once per setting value: Strawberry calls every
    extension's hooks on every request, and a rule class built per request costs more than the
    check itself once DocumentCache has validated the text."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = settings.GRAPHQL_MAX_TOKENS
        rules = _rules(
            settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES, settings.GRAPHQL_INTROSPECTION
        )
        context.validation_rules = (*context.validation_rules, *rules)
        # Read by the rules while this operation is validated, in this same context (a thread,
        # or the task of an async operation); the next operation sets its own.
        _variables.set(context.variables or {})
        yield


def _argument(node: ArgumentNode, type_info) -> _Argument:
    """The argument with its definition, from a ValidationContext or a TypeInfo."""
    definition, parent = type_info.get_argument(), type_info.get_parent_type()
    field = type_info.get_field_def()
    if definition is None or parent is None or field is None:
        return _Argument(node, None, "")
    field_name = next((name for name, value in parent.fields.items() if value is field), "")
    return _Argument(node, definition, f"{parent.name}.{field_name}.{node.name.value}")


def variable_errors(arguments: tuple[_Argument, ...], variables: dict) -> list[GraphQLError]:
    """The page-size and list-length errors of a validated document's arguments."""
    maximum = settings.GRAPHQL_PAGE_SIZE
    errors = []
    for argument in arguments:
        error = page_size_error(argument.node, variables, maximum)
        if error is None and argument.definition is not None:
            error = list_length_error(
                argument.node, argument.definition, argument.coordinate, variables
            )
        if error is not None:
            errors.append(error)
    return errors


@dataclass(frozen=True)
class _ValidDocument:
    document: DocumentNode
    # Every argument, in document order: the page sizes and list lengths to check against
    # new variables.
    arguments: tuple[_Argument, ...]


class _Arguments(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: list[_Argument] = []

    def enter_argument(self, node: ArgumentNode, *_args) -> None:
        self.found.append(_argument(node, self.type_info))


class DocumentCache(SchemaExtension):
    """Parse and validate each distinct query text once per process, not on every request.

    A query text that parsed and passed every validation rule is kept (LRU, per schema and per
    limit settings); later requests with the same text reuse its document and only check their
    variables' page sizes and list lengths, the rules that depend on them. Anything else (new
    texts, texts that failed) goes through parsing and the full validation as before.
    """

    MAXSIZE = 256
    _lock = threading.Lock()
    _caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, *, execution_context=None) -> None:
        super().__init__(execution_context=execution_context)
        self._key: tuple | None = None
        self._hit: _ValidDocument | None = None

    @staticmethod
    def key(query: str) -> tuple:
        """What a kept document is kept under: its text and the settings its validation read."""
        return (
            query,
            settings.GRAPHQL_INTROSPECTION,
            settings.GRAPHQL_FIELD_SUGGESTIONS,
            settings.GRAPHQL_MAX_DEPTH,
            settings.GRAPHQL_MAX_ALIASES,
            settings.GRAPHQL_MAX_TOKENS,
        )

    @classmethod
    def kept(cls, schema, key: tuple) -> _ValidDocument | None:
        """The document kept under `key` for `schema` (it parsed and passed every rule)."""
        with cls._lock:
            cache = cls._caches.get(schema)
            return cache.get(key) if cache is not None else None

    def _cache(self) -> OrderedDict:
        with self._lock:
            return self._caches.setdefault(self.execution_context.schema, OrderedDict())

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            self._key = self.key(context.query)
            cache = self._cache()
            with self._lock:
                self._hit = cache.get(self._key)
                if self._hit is not None:
                    cache.move_to_end(self._key)
            if self._hit is not None:
                context.graphql_document = self._hit.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._hit is not None:
            context.pre_execution_errors = variable_errors(
                self._hit.arguments, context.variables or {}
            )
        elif self._key is not None and context.graphql_document is not None:
            errors = validate_document(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
            context.pre_execution_errors = errors
            if not errors:
                type_info = TypeInfo(context.schema._schema)
                arguments = _Arguments(type_info)
                visit(context.graphql_document, TypeInfoVisitor(type_info, arguments))
                entry = _ValidDocument(context.graphql_document, tuple(arguments.found))
                cache = self._cache()
                with self._lock:
                    cache[self._key] = entry
                    while len(cache) > self.MAXSIZE:
                        cache.popitem(last=False)
        yield
