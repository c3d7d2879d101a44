"""Each subscription event executed once per selection, not once per subscriber.

The topics' resolvers build one value per event and hand the same value to every subscriber
allowed to see it (config.realtime.delivery). Marked with `shared()`, such a value keeps its
GraphQL result beside it for each selection that executed it (the operation and its
variables), and the next subscriber with the same selection gets that result without executing
it again. Shared values are plain types whose fields depend on the value alone (no viewer, no
context), so the result is the one execution would give. A result with errors is never kept,
and the results go with the value once every subscriber has had it.

Strawberry takes the execution class from its schema's `execution_context_class` attribute
(Strawberry 0.341): `sharing_schema` gives the subscription transports a copy of the schema
whose class adds this, or the schema itself where that attribute is missing.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from graphql import ExecutionResult

_RESULTS = "_shared_results"


def shared(value: Any) -> Any:
    """Mark a value handed to several subscribers: it is executed once per selection."""
    object.__setattr__(value, _RESULTS, {})
    return value


class SharedEventResults:
    """Mixin for the schema's execution class: a shared event's result, once per selection."""

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        results = getattr(self.root_value, _RESULTS, None)
        if results is None:
            return super().execute_operation(*args, **kwargs)
        # graphql-core 3.3 keeps the coerced values in VariableValues.coerced, 3.2 as a dict.
        variables = getattr(self.variable_values, "coerced", self.variable_values)
        key = (id(self.operation), repr(sorted(variables.items())))
        kept = results.get(key)
        if kept is not None and kept[0] is self.operation:
            return kept[1]
        result = super().execute_operation(*args, **kwargs)
        if isinstance(result, ExecutionResult) and not result.errors:
            # The operation is kept too: its id stays its own while the value lives.
            results[key] = (self.operation, result)
        return result


@functools.cache
def sharing_schema(schema):
    """The schema for the subscription transports: executing shared events once."""
    base = getattr(schema, "execution_context_class", None)
    if base is None:
        return schema
    sharing = copy.copy(schema)
    sharing.execution_context_class = type(f"Shared{base.__name__}", (SharedEventResults, base), {})
    return sharing
