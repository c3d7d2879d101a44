"""Read-mostly admin: logs, results and health checks are written by services over GraphQL."""

from django.contrib import admin
from django.db import connection

from config.admin_utils import BigTableAdminMixin
from monitoring.models import MonitoringLog, MonitoringResult, SystemHealth

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


class SourceListFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        with connection.cursor() as cursor:
            cursor.execute(DISTINCT_SOURCES_SQL, [SOURCE_FILTER_CHOICES])
            return [(source, source) for (source,) in cursor.fetchall()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(source=value) if value else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
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
