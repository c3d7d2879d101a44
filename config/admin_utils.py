"""Admin building blocks shared by the apps: declared lookups only, cheap counts on big tables
and CSV export in constant memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.core.paginator import Paginator
from django.db import connections
from django.db.models.constants import LOOKUP_SEP
from django.http import StreamingHttpResponse
from django.utils.functional import cached_property

from config.enums import choice_spellings

# Below this many rows (by the planner's statistics) an exact COUNT(*) is cheap enough.
EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    """Uses PostgreSQL's row estimate instead of COUNT(*) for an unfiltered big table.

    Filtered lists (a search, a list filter) are counted exactly: they are what a person
    narrows down to, and their count is what they want to see.
    """

    exact_count_below = EXACT_COUNT_BELOW

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where:
            estimate = table_row_estimate(queryset.model._meta.db_table, queryset.db)
            if estimate >= self.exact_count_below:
                return estimate
        return super().count


# A partitioned table has no rows of its own: its estimate is the sum of its partitions'.
ROW_ESTIMATE_SQL = """
    SELECT sum(greatest(c.reltuples, 0))::bigint FROM pg_class c
    WHERE (c.oid = %(table)s::regclass AND c.relkind <> 'p')
       OR c.oid IN (SELECT relid FROM pg_partition_tree(%(table)s::regclass) WHERE isleaf)
"""


def table_row_estimate(table: str, using: str = "default") -> int:
    """The planner's row estimate for `table` (pg_class.reltuples, summed over the partitions
    of a partitioned table), 0 when never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute(ROW_ESTIMATE_SQL, {"table": table})
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


class BigTableAdminMixin:
    """For tables of millions of rows: no full COUNT(*) on every page load."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


# The URL parameters Django's own list filters read for a declared field (`status__exact`,
# `created_at__gte`, `revoked_at__isempty`, ...); a relation adds `<field>__<target>__exact`.
FILTER_SUFFIXES = ("exact", "isnull", "gte", "lt", "isempty")
SEARCH_PREFIXES = "^=@"


def search_field_path(search_field: str) -> str:
    return search_field.lstrip(SEARCH_PREFIXES)


def _touches(path: str, hidden: set[str]) -> bool:
    return any(path == field or path.startswith(field + LOOKUP_SEP) for field in hidden)


class DeclaredLookupsMixin:
    """Only the declared list filters and the date hierarchy may be used as URL lookups
    (`?email__startswith=z` answers 400, like Django's user admin does for passwords), and a
    field hidden from a user is never filtered, ordered, searched or listed for them.

    `hidden_fields` maps a field path to the permission that reveals it (None: nobody).
    """

    hidden_fields: dict[str, str | None] = {}

    def fields_hidden_from(self, request) -> set[str]:
        return {
            field
            for field, perm in self.hidden_fields.items()
            if perm is None or not request.user.has_perm(perm)
        }

    def declared_lookups(self, request) -> set[str]:
        allowed: set[str] = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                allowed.add(item.parameter_name)
                continue
            path = item[0] if isinstance(item, (list, tuple)) else item
            allowed.add(path)
            allowed.update(f"{path}{LOOKUP_SEP}{suffix}" for suffix in FILTER_SUFFIXES)
            field = admin.utils.get_fields_from_path(self.model, path)[-1]
            if field.is_relation:
                target = field.target_field.name
                allowed.add(f"{path}{LOOKUP_SEP}{target}{LOOKUP_SEP}exact")
        if self.date_hierarchy:
            allowed.update(
                f"{self.date_hierarchy}{LOOKUP_SEP}{part}" for part in ("year", "month", "day")
            )
        return allowed

    def lookup_allowed(self, lookup, value, request):
        if _touches(lookup, self.fields_hidden_from(request)):
            return False
        return lookup in self.declared_lookups(request)

    def get_list_filter(self, request):
        hidden = self.fields_hidden_from(request)
        return [
            item
            for item in super().get_list_filter(request)
            if not (isinstance(item, str) and _touches(item, hidden))
            and not (isinstance(item, (list, tuple)) and _touches(item[0], hidden))
        ]

    def get_search_fields(self, request):
        hidden = self.fields_hidden_from(request)
        return [
            field
            for field in super().get_search_fields(request)
            if not _touches(search_field_path(field), hidden)
        ]

    def get_list_display(self, request):
        hidden = self.fields_hidden_from(request)
        return [
            field
            for field in super().get_list_display(request)
            if not (isinstance(field, str) and _touches(field, hidden))
        ]

    def get_sortable_by(self, request):
        hidden = self.fields_hidden_from(request)
        return [
            field
            for field in super().get_sortable_by(request)
            if not (isinstance(field, str) and _touches(field, hidden))
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


# Rows per statement of an export: each page is one SELECT fetched whole, so memory is bounded by
# a page whether or not server-side cursors are available (a transaction pooler disables them).
EXPORT_BATCH = 2000


def keyset_values(
    queryset, fields: list[str], *, batch_size: int = EXPORT_BATCH
) -> Iterator[tuple]:
    """The `fields` of every row of `queryset` in primary-key order, one statement per batch."""
    ordered = queryset.order_by("pk")
    last = None
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        rows = list(page.values_list("pk", *fields)[:batch_size])
        for row in rows:
            yield row[1:]
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def csv_rows(queryset, fields: list[str], *, batch_size: int = EXPORT_BATCH) -> Iterator[str]:
    """The rows as CSV lines; a field with choices reads as the API spells it (USER, not user)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(fields)
    spellings = choice_spellings(queryset.model, fields)
    for row in keyset_values(queryset, fields, batch_size=batch_size):
        values = list(row)
        for index, spelling in spellings.items():
            values[index] = spelling.get(values[index], values[index])
        yield writer.writerow(["" if value is None else value for value in values])


def export_csv_action(fields: list[str], *, description: str = "Export selected rows as CSV"):
    """An admin action streaming the selected rows' `fields` as CSV, in constant memory."""

    def export_csv(modeladmin, request, queryset):
        name = queryset.model._meta.model_name
        response = StreamingHttpResponse(csv_rows(queryset, fields), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    export_csv.short_description = description
    export_csv.allowed_permissions = ("view",)
    return export_csv
