"""Every list of the API as one Relay-style connection shape, with keyset cursors.

`connection(queryset, info, …)` pages a root list; `NestedList(…).resolve(parent, info, …)` a
list nested in each item of another (one statement for all parents); `batched(rows)` marks the
rows of a plain list so that connections nested in them are read once for all.
"""

from config.connections.fields import batched_list, nested_connection
from config.connections.nested import NestedList
from config.connections.pages import PageArgs, batched, connection
from config.connections.types import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    Offset,
    Ordering,
    PageInfo,
)

__all__ = [
    "After",
    "Before",
    "Connection",
    "Edge",
    "First",
    "Last",
    "NestedList",
    "Offset",
    "Ordering",
    "PageArgs",
    "PageInfo",
    "batched",
    "batched_list",
    "connection",
    "nested_connection",
]
