"""Read-mostly admin: logs, results and health checks are written by services over GraphQL."""

import json
from datetime import datetime, timedelta

from django.contrib import admin
from django.db import connections
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.functional import cached_property

from config.admin_utils import BigTableAdminMixin, DeclaredLookupsMixin, EstimatedCountPaginator
from monitoring.models import MonitoringLog, MonitoringLogQuerySet, MonitoringResult, SystemHealth

SOURCE_FILTER_CHOICES = 100

# One index probe per distinct source (loose index scan), not a scan of the whole table.
DISTINCT_SOURCES_SQL = """
    WITH RECURSIVE sources(source) AS (
        (SELECT source FROM monitoring_monitoringlog ORDER BY source LIMIT 1)
        UNION ALL
        SELECT (SELECT l.source FROM monitoring_monitoringlog l
                WHERE l.source > s.source ORDER BY l.source LIMIT 1)
        FROM sources s WHERE s.source IS NOT NULL
    )
    SELECT source FROM sources WHERE source IS NOT NULL LIMIT %s
"""


def planner_rows(queryset) -> int:
    """PostgreSQL's estimate of the number of rows `queryset` returns (EXPLAIN, not run)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class PlannerEstimatePaginator(EstimatedCountPaginator):
    """Filtered lists too: when the planner expects many rows, its estimate stands in for
    COUNT(*) (a month of logs can be millions of rows); small results are counted exactly."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if queryset.query.where:
            estimate = planner_rows(queryset)
            if estimate >= self.exact_count_below:
                return estimate
        return super().count


def _period_start(value: datetime, kind: str) -> datetime:
    fields = {"year": (value.year, 1, 1), "month": (value.year, value.month, 1)}
    y, m, d = fields.get(kind, (value.year, value.month, value.day))
    return timezone.make_aware(datetime(y, m, d), value.tzinfo)


def _next_period(start: datetime, kind: str) -> datetime:
    if kind == "year":
        naive = datetime(start.year + 1, 1, 1)
    elif kind == "month":
        naive = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    else:
        naive = datetime.combine(start.date(), datetime.min.time()) + timedelta(days=1)
    return timezone.make_aware(naive, start.tzinfo)


class ProbedDatesQuerySet(MonitoringLogQuerySet):
    """The date hierarchy's years/months/days without a DISTINCT over millions of rows: the
    periods between the first and the last log (index ends), each kept when an index probe
    finds a log in it."""

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month", "day"):
            return super().datetimes(field_name, kind, order, tzinfo)
        zone = tzinfo or timezone.get_current_timezone()
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (timezone.localtime(bounds[k], zone) for k in ("first", "last"))
        periods, start = [], _period_start(first, kind)
        while start <= last:
            end = _next_period(start, kind)
            if self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end}).exists():
                periods.append(start)
            start = end
        return periods[::-1] if order == "DESC" else periods


class SourceListFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        with connections["default"].cursor() as cursor:
            cursor.execute(DISTINCT_SOURCES_SQL, [SOURCE_FILTER_CHOICES])
            return [(source, source) for (source,) in cursor.fetchall()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(source=value) if value else queryset


class ReadOnlyAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    """Lists and detail pages; no adding or editing (deleting stays with the delete permission)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MonitoringLog)
class MonitoringLogAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["timestamp", "level", "source", "short_message", "client_id", "received_at"]
    list_filter = ["level", SourceListFilter]
    date_hierarchy = "timestamp"
    search_fields = ["=client_id"]
    ordering = ["-timestamp", "-id"]
    paginator = PlannerEstimatePaginator

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return ProbedDatesQuerySet(model=queryset.model, query=queryset.query, using=queryset.db)

    @admin.display(description="Message")
    def short_message(self, obj: MonitoringLog) -> str:
        return obj.message if len(obj.message) <= 120 else f"{obj.message[:119]}…"


@admin.register(MonitoringResult)
class MonitoringResultAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "check_name", "target", "status", "score"]
    list_filter = ["status", "check_name"]
    date_hierarchy = "created_at"
    search_fields = ["target", "check_name"]
    raw_id_fields = ["logs"]


@admin.register(SystemHealth)
class SystemHealthAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["checked_at", "component", "status", "latency_ms"]
    list_filter = ["status"]
    date_hierarchy = "checked_at"
    search_fields = ["=component"]
