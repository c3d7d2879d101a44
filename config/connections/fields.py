"""Declaring a nested connection field in one line (no `from __future__ import annotations`
here: Strawberry reads the resolver's annotations as objects)."""

from typing import Any

import strawberry
from strawberry_django.optimizer import optimize

from config.connections.nested import NestedList
from config.connections.pages import batched
from config.connections.types import After, Before, Connection, First, Last, Offset


def nested_connection(list_: NestedList, node: Any, *, description: str) -> Any:
    """A field listing `list_` of its parent as `Connection[node]` with first/after/last/before."""

    def resolver(
        root,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ):
        return list_.resolve(
            root, info, first=first, after=after, last=last, before=before, offset=offset
        )

    resolver.__annotations__["return"] = Connection[node]
    resolver.nested_list = list_  # what the compiler reads (config.compiler.plan)
    return strawberry.field(resolver=resolver, description=description)


def batched_list(queryset, info: strawberry.Info) -> list:
    """The rows of a plain (bounded) list field, optimized as strawberry-django would, and
    marked as one batch so that the connections nested in them are read once for all."""
    return batched(list(optimize(queryset, info)))
