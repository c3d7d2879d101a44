"""Schema extensions whose behaviour follows settings at request time."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from graphql import GraphQLError
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    IntValueNode,
    ObjectValueNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType


class IntrospectionSwitch(SchemaExtension):
    """Refuse introspection (`__schema`, `__type`) unless settings.GRAPHQL_INTROSPECTION."""

    def on_operation(self) -> Iterator[None]:
        if not settings.GRAPHQL_INTROSPECTION:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


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
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _value_of(field.value, variables) for field in node.fields}
    return None


def page_size_error(node: ArgumentNode, variables: dict, maximum: int) -> GraphQLError | None:
    """The error for a `first`/`last`/`limit`/`pagination` argument above `maximum` (or a
    negative `pagination.offset`), or None."""
    name = node.name.value
    if name != "pagination" and name not in PAGE_SIZE_ARGUMENTS:
        return None
    value = _value_of(node.value, variables)
    if name == "pagination":
        if not isinstance(value, dict):
            return None
        offset = value.get("offset")
        if isinstance(offset, int) and offset < 0:
            # A negative offset would reach the ORM as a negative slice.
            return GraphQLError(
                f"Page offset must be 0 or more: 'pagination.offset' is {offset}.", node
            )
        name, value = "pagination.limit", value.get("limit")
    if isinstance(value, int) and value > maximum:
        return GraphQLError(
            f"Page size too large: '{name}' is {value}, the maximum is {maximum}.", node
        )
    return None


class PageSizeLimit(SchemaExtension):
    """Refuse page sizes above settings.GRAPHQL_PAGE_SIZE before anything runs.

    Checks `first`/`last`/`limit` arguments and the `limit` of a `pagination` input, whether
    written inline or passed as variables, and reports the argument by name. A negative
    `pagination.offset` is refused too.
    """

    def on_operation(self) -> Iterator[None]:
        variables = self.execution_context.variables or {}
        maximum = settings.GRAPHQL_PAGE_SIZE

        class Rule(ValidationRule):
            def enter_argument(self, node: ArgumentNode, *_args) -> None:
                error = page_size_error(node, variables, maximum)
                if error is not None:
                    self.report_error(error)

        self.execution_context.validation_rules = (*self.execution_context.validation_rules, Rule)
        yield


@dataclass(frozen=True)
class _ValidDocument:
    document: DocumentNode
    # Every argument node, in document order: the page sizes to check against new variables.
    arguments: tuple[ArgumentNode, ...]


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[ArgumentNode] = []

    def enter_argument(self, node: ArgumentNode, *_args) -> None:
        self.found.append(node)


class DocumentCache(SchemaExtension):
    """Parse and validate each distinct query text once per process, not on every request.

    A query text that parsed and passed every validation rule is kept (LRU, per schema and per
    limit settings); later requests with the same text reuse its document and only check their
    variables' page sizes, the one rule that depends on them. Anything else (new texts, texts
    that failed) goes through parsing and the full validation as before.
    """

    MAXSIZE = 256
    _lock = threading.Lock()
    _caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, *, execution_context=None) -> None:
        super().__init__(execution_context=execution_context)
        self._key: tuple | None = None
        self._hit: _ValidDocument | None = None

    def _cache(self) -> OrderedDict:
        with self._lock:
            return self._caches.setdefault(self.execution_context.schema, OrderedDict())

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            self._key = (
                context.query,
                settings.GRAPHQL_INTROSPECTION,
                settings.GRAPHQL_FIELD_SUGGESTIONS,
                settings.GRAPHQL_MAX_DEPTH,
                settings.GRAPHQL_MAX_ALIASES,
                settings.GRAPHQL_MAX_TOKENS,
            )
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
            variables, maximum = context.variables or {}, settings.GRAPHQL_PAGE_SIZE
            errors = (page_size_error(node, variables, maximum) for node in self._hit.arguments)
            context.pre_execution_errors = [error for error in errors if error is not None]
        elif self._key is not None and context.graphql_document is not None:
            errors = validate_document(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
            context.pre_execution_errors = errors
            if not errors:
                arguments = _Arguments()
                visit(context.graphql_document, arguments)
                entry = _ValidDocument(context.graphql_document, tuple(arguments.found))
                cache = self._cache()
                with self._lock:
                    cache[self._key] = entry
                    while len(cache) > self.MAXSIZE:
                        cache.popitem(last=False)
        yield
