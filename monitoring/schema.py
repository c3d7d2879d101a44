"""GraphQL entry points of the monitoring app (merged into config/schema.py).

Services send logs, results and health checks with an API key whose user holds the add
permission of the model; dashboards read with the view permission.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Q
from django.utils import timezone
from strawberry.utils.str_converters import to_camel_case

from config.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    Offset,
    Ordering,
    connection,
)
from config.context import Info, require_perm
from monitoring import selectors, services
from monitoring.models import MonitoringLog, MonitoringResult
from monitoring.types import (
    ComponentHealthType,
    HealthReportInput,
    LogIngestResultType,
    MonitoringDeleteResultType,
    MonitoringLogErrorType,
    MonitoringLogFilter,
    MonitoringLogInput,
    MonitoringLogType,
    MonitoringResultFilter,
    MonitoringResultOrder,
    MonitoringResultRecordInput,
    MonitoringResultType,
    MonitoringStatsType,
    MonitoringTimeRange,
    SystemHealthCheckType,
)

VIEW_LOG, ADD_LOG = "monitoring.view_monitoringlog", "monitoring.add_monitoringlog"
VIEW_RESULT, ADD_RESULT = "monitoring.view_monitoringresult", "monitoring.add_monitoringresult"
VIEW_HEALTH, ADD_HEALTH = "monitoring.view_systemhealth", "monitoring.add_systemhealth"
DELETE_RESULT, DELETE_HEALTH = (
    "monitoring.delete_monitoringresult",
    "monitoring.delete_systemhealth",
)
LOGS_PAGE_DEFAULT = 50


@strawberry.type
class Query:
    @strawberry.field(
        description="Logs, newest first (timestamp, then id); a page of them. Pages stay "
        "consistent while logs arrive (no log is returned twice) and cost the same however deep."
    )
    def logs(
        self,
        info: Info,
        filters: Annotated[
            MonitoringLogFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[MonitoringLogType]:
        require_perm(info, VIEW_LOG)
        logs = MonitoringLog.objects.filter(filters.q() if filters else Q()).newest_first()
        return connection(
            logs, info, first=first, after=after, last=last, before=before, offset=offset
        )

    @strawberry.field(
        description="Analysis results, newest first unless `ordering` says otherwise; a page "
        "of them."
    )
    def monitoring_results(
        self,
        info: Info,
        filters: Annotated[
            MonitoringResultFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        ordering: Ordering[MonitoringResultOrder] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[MonitoringResultType]:
        require_perm(info, VIEW_RESULT)
        return connection(
            MonitoringResult.objects.order_by("-created_at", "-id"),
            info,
            filters=filters,
            ordering=ordering,
            order_type=MonitoringResultOrder,
            first=first,
            after=after,
            last=last,
            before=before,
            offset=offset,
        )

    @strawberry.field(
        description="The latest check of every component, by component, with since when its "
        "status holds."
    )
    def system_health(self, info: Info) -> list[ComponentHealthType]:
        require_perm(info, VIEW_HEALTH)
        return [ComponentHealthType.of(check) for check in selectors.health_latest()]

    @strawberry.field(
        description="The checks of one component in a time range, newest first; a page of them."
    )
    def health_history(
        self,
        info: Info,
        component: Annotated[str, strawberry.argument(description="The component.")],
        range: Annotated[MonitoringTimeRange, strawberry.argument(description="Time range.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[SystemHealthCheckType]:
        require_perm(info, VIEW_HEALTH)
        start, end = range.bounds("healthHistory")
        checks = selectors.health_history(component=component, start=start, end=end)
        return connection(
            checks, info, first=first, after=after, last=last, before=before, offset=offset
        )

    @strawberry.field(
        description="Counts over the logs of a time range, or over every stored log when "
        "`range` is left out (then `from` and `to` are the earliest log's timestamp and just "
        "after the latest one's)."
    )
    def monitoring_stats(
        self,
        info: Info,
        range: Annotated[
            MonitoringTimeRange | None,
            strawberry.argument(description="Time range (by log timestamp); all time if null."),
        ] = None,
    ) -> MonitoringStatsType:
        require_perm(info, VIEW_LOG)
        if range is None:
            now = timezone.now()
            start, end = selectors.log_time_span() or (now, now)
            return MonitoringStatsType(start=start, end=end, all_time=True)
        start, end = range.bounds("monitoringStats")
        return MonitoringStatsType(start=start, end=end)


@strawberry.type
class Mutation:
    @strawberry_django.mutation(
        handle_django_errors=True,
        description=f"Store up to {services.INGEST_MAX_LOGS} logs in one transaction. Logs "
        "whose clientId is already stored are skipped, so a batch can safely be sent again. "
        "Invalid logs are reported by index and then nothing is stored. Pass the batch as a "
        "variable.",
    )
    def log_ingest(
        self,
        info: Info,
        logs: Annotated[list[MonitoringLogInput], strawberry.argument(description="The logs.")],
    ) -> LogIngestResultType:
        require_perm(info, ADD_LOG)
        outcome = services.logs_ingest(
            logs=[
                {
                    "client_id": log.client_id,
                    "timestamp": log.timestamp,
                    "level": log.level.value,
                    "source": log.source,
                    "message": log.message,
                    "context": log.context,
                }
                for log in logs
            ]
        )
        return LogIngestResultType(
            received=outcome.received,
            inserted=outcome.inserted,
            duplicates=outcome.duplicates,
            errors=[
                MonitoringLogErrorType(
                    index=error.index, field=to_camel_case(error.field), message=error.message
                )
                for error in outcome.errors
            ],
        )

    @strawberry_django.mutation(
        handle_django_errors=True, description="Record the outcome of a check."
    )
    def result_record(
        self,
        info: Info,
        input: Annotated[
            MonitoringResultRecordInput, strawberry.argument(description="The outcome.")
        ],
    ) -> MonitoringResultType:
        require_perm(info, ADD_RESULT)
        return services.result_record(
            target=input.target,
            check_name=input.check_name,
            status=input.status.value,
            score=input.score,
            details=input.details,
            created_at=input.created_at,
            log_ids=input.log_ids or (),
        )

    @strawberry_django.mutation(
        handle_django_errors=True, description="Record a health check of a component."
    )
    def health_report(
        self,
        info: Info,
        input: Annotated[HealthReportInput, strawberry.argument(description="The check.")],
    ) -> SystemHealthCheckType:
        require_perm(info, ADD_HEALTH)
        return services.health_report(
            component=input.component,
            status=input.status.value,
            latency_ms=input.latency_ms,
            details=input.details,
            checked_at=input.checked_at,
        )

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete the analysis results recorded in a time range (with their links to "
        f"logs): at most {services.DELETE_MAX_ROWS:,} per call, in statements of "
        f"{services.DELETE_BATCH:,}; `hasMore` says to call again.",
    )
    def monitoring_results_delete(
        self,
        info: Info,
        range: Annotated[
            MonitoringTimeRange, strawberry.argument(description="Time range (by createdAt).")
        ],
    ) -> MonitoringDeleteResultType:
        require_perm(info, DELETE_RESULT)
        start, end = range.bounds("monitoringResultsDelete")
        outcome = services.monitoring_results_delete(start=start, end=end)
        return MonitoringDeleteResultType(deleted=outcome.deleted, has_more=outcome.has_more)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete the health checks that ran in a time range, of one component or of "
        f"all: at most {services.DELETE_MAX_ROWS:,} per call, in statements of "
        f"{services.DELETE_BATCH:,}; `hasMore` says to call again.",
    )
    def health_history_delete(
        self,
        info: Info,
        range: Annotated[
            MonitoringTimeRange, strawberry.argument(description="Time range (by checkedAt).")
        ],
        component: Annotated[
            str | None, strawberry.argument(description="Only this component; all if null.")
        ] = None,
    ) -> MonitoringDeleteResultType:
        require_perm(info, DELETE_HEALTH)
        start, end = range.bounds("healthHistoryDelete")
        outcome = services.health_history_delete(start=start, end=end, component=component)
        return MonitoringDeleteResultType(deleted=outcome.deleted, has_more=outcome.has_more)
