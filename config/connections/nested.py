"""Connections nested in a list of parents (a thread's messages, a student's events): one
statement for the page of every parent in the list, keyed by the selection that asks for it.

The first parent to resolve the field reads the page of all parents of its batch (the rows of
the list it belongs to) with one LATERAL query: per parent, one index range scan that stops
after the page, however many children a parent has. Two aliases with different arguments are
two keys, so they read twice for the whole list, never once per parent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import strawberry
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db.models import Count, QuerySet
from django.db.models.expressions import RawSQL

from config.connections.keyset import Key, order_keys, with_keys
from config.connections.pages import BATCH_ATTR, Batch, PageArgs, build
from config.connections.selection import nested_info, optimized, raw, selected
from config.connections.types import EMPTY_PAGE_INFO, Connection

# Per parent id, the ids of its page (and one more): the inner query is the ORM's own
# (filters, cursor, order, limit), correlated with each id of the array.
LATERAL_IDS_SQL = (
    'SELECT "_page"."pk" FROM unnest(%s::{type}[]) AS "_parent"("id") '
    'CROSS JOIN LATERAL ({inner}) AS "_page"'
)


PAGE_ARGUMENTS = ("first", "after", "last", "before", "offset")


@dataclass(frozen=True)
class NestedList:
    """A parent's children as a connection: `rows()` is every child in its order, `link` the
    child's column holding the parent's id, and `permission` the one the caller needs (without
    it, the list is empty). The rows are the same for every caller: who may see them is the
    parent's visibility and `permission`, so the compiler reuses the SQL of a nested page for
    every request of the same shape (config.compiler.render)."""

    rows: Callable[[], QuerySet]
    link: str
    permission: str | None = None

    @cached_property
    def ordered(self) -> tuple[QuerySet, tuple[Key, ...]]:
        """`rows()` with its sort keys (keyset.order_keys), built once: the queryset is only
        ever cloned (filtered, paged), never read itself."""
        return order_keys(self.rows())

    def resolve(
        self,
        parent,
        info: strawberry.Info,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        offset: int | None = None,
    ) -> Connection:
        args = PageArgs.of(first, after, last, before, offset)
        if self.permission and not info.context.request.user.has_perm(self.permission):
            return Connection(edges=[], nodes=[], page_info=EMPTY_PAGE_INFO, total_count=0)
        batch: Batch = getattr(parent, BATCH_ATTR, None) or Batch([parent])
        key = (self, args, tuple(id(node) for node in raw(info).field_nodes))
        if key not in batch.loaded:
            batch.loaded[key] = self._load(batch, info, args)
        pages, totals, keys, names = batch.loaded[key]
        rows, more = pages.get(parent.pk, ([], False))
        return build(rows, keys, args, more, names, totals.get(parent.pk, 0))

    def preload(self, parent, info: strawberry.Info, *, type_name: str, field: str) -> None:
        """Read now the pages of `parent` (of GraphQL type `type_name`, with this list as
        `field`) that the current field's answer selects, for an answer that shows `parent`
        as it was before the write that follows (e.g. a deleted thread with its messages)."""
        batch = Batch([parent])
        setattr(parent, BATCH_ATTR, batch)
        for field_info, arguments in nested_info(info, type_name, field):
            try:
                args = PageArgs.of(
                    *(arguments.get(n) for n in ("first", "after", "last", "before"))
                )
                key = (self, args, tuple(id(node) for node in field_info.field_nodes))
                batch.loaded[key] = self._load(batch, field_info, args)
            except ValidationError:
                continue  # the field reports it when it resolves

    def _load(self, batch: Batch, info, args: PageArgs):
        queryset, keys = self.ordered
        positions = args.positions(keys)
        names = selected(info)
        parents = list(dict.fromkeys(row.pk for row in batch.rows))
        totals = {}
        if "totalCount" in names:
            counts = (
                queryset.filter(**{f"{self.link}__in": parents})
                .order_by()
                .values(self.link)
                .annotate(count=Count("pk"))
                .values_list(self.link, "count")
            )
            totals = dict(counts)
        pages: dict = {}
        if names & {"edges", "nodes", "pageInfo"} and args.size > 0:
            rows = self._read(queryset, info, args, keys, positions, parents)
            children = defaultdict(list)
            for row in rows:
                children[getattr(row, self.link)].append(row)
            # One batch for the children of all parents: what nests in them is read once too.
            all_children = [row for parent in parents for row in children.get(parent, ())]
            batch_of_children = Batch(all_children)
            for parent in parents:
                page, more = args.trim(children.get(parent, []))
                for row in page:
                    setattr(row, BATCH_ATTR, batch_of_children)
                pages[parent] = (page, more)
        return pages, totals, keys, names

    def _read(self, queryset, info, args: PageArgs, keys, positions, parents) -> list:
        """The page (and one more) of every parent, in list order per parent."""
        if len(parents) == 1:
            rows = list(
                args.window(
                    with_keys(optimized(queryset.filter(**{self.link: parents[0]}), info), keys),
                    keys,
                    positions,
                )
            )
            return rows[::-1] if args.from_end else rows
        model = queryset.model
        correlated = RawSQL('"_parent"."id"', ())
        inner = args.window(queryset.filter(**{self.link: correlated}), keys, positions)
        sql, params = inner.values_list("pk").query.sql_with_params()
        target = model._meta.get_field(self.link).target_field
        ids_sql = LATERAL_IDS_SQL.format(type=target.db_type(db), inner=sql)
        page_rows = queryset.filter(pk__in=RawSQL(ids_sql, (parents, *params)))  # noqa: S611
        rows = with_keys(optimized(page_rows, info), keys)
        return list(rows.order_by(*(key.order_by() for key in keys)))
