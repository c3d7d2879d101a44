"""Schema extensions whose behaviour follows settings at request time."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from graphql import GraphQLError
from graphql.language import ArgumentNode, IntValueNode, ObjectValueNode, VariableNode
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import SchemaExtension


class IntrospectionSwitch(SchemaExtension):
    """Refuse introspection (`__schema`, `__type`) unless settings.GRAPHQL_INTROSPECTION."""

    def on_operation(self) -> Iterator[None]:
        if not settings.GRAPHQL_INTROSPECTION:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


PAGE_SIZE_ARGUMENTS = frozenset({"first", "last", "limit"})


class PageSizeLimit(SchemaExtension):
    """Refuse page sizes above settings.GRAPHQL_PAGE_SIZE before anything runs.

    Checks `first`/`last`/`limit` arguments and the `limit` of a `pagination` input, whether
    written inline or passed as variables, and reports the argument by name. A negative
    `pagination.offset` is refused too.
    """

    def on_operation(self) -> Iterator[None]:
        variables = self.execution_context.variables or {}
        maximum = settings.GRAPHQL_PAGE_SIZE

        def value_of(node):
            if isinstance(node, VariableNode):
                return variables.get(node.name.value)
            if isinstance(node, IntValueNode):
                return int(node.value)
            if isinstance(node, ObjectValueNode):
                return {field.name.value: value_of(field.value) for field in node.fields}
            return None

        class Rule(ValidationRule):
            def enter_argument(self, node: ArgumentNode, *_args) -> None:
                name = node.name.value
                value = value_of(node.value)
                if name == "pagination" and isinstance(value, dict):
                    offset = value.get("offset")
                    if isinstance(offset, int) and offset < 0:
                        # A negative offset would reach the ORM as a negative slice.
                        self.report_error(
                            GraphQLError(
                                f"Page offset must be 0 or more: 'pagination.offset' is {offset}.",
                                node,
                            )
                        )
                    name, value = "pagination.limit", value.get("limit")
                elif name not in PAGE_SIZE_ARGUMENTS:
                    return
                if isinstance(value, int) and value > maximum:
                    self.report_error(
                        GraphQLError(
                            f"Page size too large: '{name}' is {value}, the maximum is {maximum}.",
                            node,
                        )
                    )

        self.execution_context.validation_rules = (*self.execution_context.validation_rules, Rule)
        yield
