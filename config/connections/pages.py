"""One page of a list: the arguments, the query that reads it, and the connection it makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
import strawberry_django
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from strawberry_django.ordering import apply_ordering

from config.connections.keyset import (
    Key,
    after_q,
    before_q,
    cursor_of,
    decode_cursor,
    order_keys,
    with_keys,
)
from config.connections.selection import optimized, selected
from config.connections.types import EMPTY_PAGE_INFO, Connection, Edge, PageInfo

ROW_FIELDS = frozenset({"edges", "nodes", "pageInfo"})


@dataclass(frozen=True)
class PageArgs:
    """`first`/`after`/`last`/`before`/`offset` of one list field. Their ranges were checked
    before execution (config.extensions.RequestLimits); here only their combination."""

    size: int
    from_end: bool
    after: str | None
    before: str | None
    offset: int = 0

    @classmethod
    def of(
        cls,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        offset: int | None = None,
    ):
        maximum = settings.GRAPHQL_PAGE_SIZE
        if first is not None and last is not None:
            raise ValidationError(
                {"last": "Pass `first` (with `after`) or `last` (with `before`), not both."}
            )
        size = first if first is not None else last if last is not None else maximum
        return cls(
            size=size, from_end=last is not None, after=after, before=before, offset=offset or 0
        )

    def positions(self, keys: tuple[Key, ...]) -> tuple[list | None, list | None]:
        """The decoded cursors (refused before any SQL runs when malformed)."""
        after = decode_cursor(self.after, keys, "after") if self.after is not None else None
        before = decode_cursor(self.before, keys, "before") if self.before is not None else None
        return after, before

    def window(self, queryset: QuerySet, keys: tuple[Key, ...], positions) -> QuerySet:
        """The rows of the page and one more (which says whether more follow), read in the
        direction of the page: from the start, or from the end with `last`."""
        after, before = positions
        if after is not None:
            queryset = queryset.filter(after_q(keys, after))
        if before is not None:
            queryset = queryset.filter(before_q(keys, before))
        order = [key.reversed() for key in keys] if self.from_end else keys
        return queryset.order_by(*(key.order_by() for key in order))[
            self.offset : self.offset + self.size + 1
        ]

    def trim(self, rows: list) -> tuple[list, bool]:
        """The page's rows in list order from the rows `window` read (in list order too), and
        whether more exist in the direction of reading."""
        if len(rows) <= self.size:
            return rows, False
        return (rows[len(rows) - self.size :] if self.from_end else rows[: self.size]), True


@dataclass
class Batch:
    """Rows shown in one list (or in all lists at one place of a response), so that a list
    nested in each of them is read once for all, keyed by the selection asking for it."""

    rows: list
    loaded: dict = field(default_factory=dict)


BATCH_ATTR = "_connection_batch"


def batched(rows: list) -> list:
    """Mark `rows` as one batch for the connections nested in them; returns `rows`."""
    batch = Batch(rows)
    for row in rows:
        setattr(row, BATCH_ATTR, batch)
    return rows


def build(rows: list, keys: tuple[Key, ...], args: PageArgs, more: bool, names, total: int):
    """The connection of a page (rows in list order)."""
    batched(rows)
    edges = (
        [Edge(cursor=cursor_of(row, keys), node=row) for row in rows] if "edges" in names else []
    )
    if rows:
        page_info = PageInfo(
            has_next_page=more if not args.from_end else args.before is not None or args.offset > 0,
            has_previous_page=more if args.from_end else args.after is not None or args.offset > 0,
            start_cursor=edges[0].cursor if edges else cursor_of(rows[0], keys),
            end_cursor=edges[-1].cursor if edges else cursor_of(rows[-1], keys),
        )
    else:
        page_info = PageInfo(
            has_next_page=args.from_end and (args.before is not None or args.offset > 0),
            has_previous_page=not args.from_end and (args.after is not None or args.offset > 0),
            start_cursor=None,
            end_cursor=None,
        )
    return Connection(edges=edges, nodes=rows, page_info=page_info, total_count=total)


def connection(
    queryset: QuerySet,
    info: strawberry.Info,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    offset: int | None = None,
    filters: Any = None,
    ordering: Any = None,
    order_type: type | None = None,
) -> Connection:
    """A page of `queryset` (in its order, or in the client's `ordering` of `order_type`):
    one statement for the rows when they are selected, one count when `totalCount` is."""
    args = PageArgs.of(first, after, last, before, offset)
    if filters not in (None, strawberry.UNSET):
        queryset = strawberry_django.filters.apply(filters, queryset, info)
    if ordering:
        queryset = apply_ordering(order_type, ordering, info, queryset)
    queryset, keys = order_keys(queryset)
    positions = args.positions(keys)
    from config.compiler import compiled_connection  # the compiler builds on this module

    compiled = compiled_connection(queryset, keys, args, positions, info)
    if compiled is not None:
        return compiled
    names = selected(info)
    total = queryset.order_by().count() if "totalCount" in names else 0
    if not names & ROW_FIELDS or args.size == 0:
        if args.size == 0:
            return build([], keys, args, False, names, total)
        return Connection(edges=[], nodes=[], page_info=EMPTY_PAGE_INFO, total_count=total)
    rows = list(args.window(with_keys(optimized(queryset, info), keys), keys, positions))
    if args.from_end:
        rows.reverse()
    rows, more = args.trim(rows)
    return build(rows, keys, args, more, names, total)
