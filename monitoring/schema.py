"""GraphQL entry points of the monitoring app (merged into config/schema.py).

Services send logs, results and health checks with an API key whose user holds the add
permission of the model; dashboards read with the view permission.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
import strawberry_django
from django.conf import settings
from django.db.models import Q, QuerySet
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.pagination import OffsetPaginated

from config.context import Info, require_perm
from config.errors import invalid
from monitoring import selectors, services
from monitoring.models import MonitoringResult, SystemHealth
from monitoring.types import (
    ComponentHealthType,
    HealthReportInput,
    LogIngestResultType,
    MonitoringLogConnectionType,
    MonitoringLogErrorType,
    MonitoringLogFilter,
    MonitoringLogInput,
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
LOGS_PAGE_DEFAULT = 50


@strawberry.type
class Query:
    @strawberry.field(
        description="Logs, newest first (timestamp, then id), a page at a time: pass the "
        "`endCursor` of a page as `after` to get the next one. Pages stay consistent while "
        "logs arrive (no log is returned twice) and cost the same however deep."
    )
    def logs(
        self,
        info: Info,
        filters: Annotated[
            MonitoringLogFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="Page size, 1 to 100 (default 50).")
        ] = LOGS_PAGE_DEFAULT,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> MonitoringLogConnectionType:
        require_perm(info, VIEW_LOG)
        if not 1 <= first <= settings.GRAPHQL_PAGE_SIZE:
            raise invalid(
                f"logs: 'first' must be between 1 and {settings.GRAPHQL_PAGE_SIZE}.", field="first"
            )
        q = filters.q() if filters else Q()
        page = selectors.log_page(filters=q, first=first, after=after)
        return MonitoringLogConnectionType.of(page)

    @strawberry_django.offset_paginated(
        OffsetPaginated[MonitoringResultType],
        filters=MonitoringResultFilter,
        ordering=MonitoringResultOrder,
        description="Analysis results, newest first unless `ordering` says otherwise; paginated.",
    )
    def monitoring_results(self, info: Info) -> QuerySet[MonitoringResult]:
        require_perm(info, VIEW_RESULT)
        return MonitoringResult.objects.order_by("-created_at", "-id")

    @strawberry.field(
        description="The latest check of every component, by component, with since when its "
        "status holds."
    )
    def system_health(self, info: Info) -> list[ComponentHealthType]:
        require_perm(info, VIEW_HEALTH)
        return [ComponentHealthType.of(check) for check in selectors.health_latest()]

    @strawberry_django.offset_paginated(
        OffsetPaginated[SystemHealthCheckType],
        description="The checks of one component in a time range, newest first; paginated.",
    )
    def health_history(
        self,
        info: Info,
        component: Annotated[str, strawberry.argument(description="The component.")],
        range: Annotated[MonitoringTimeRange, strawberry.argument(description="Time range.")],
    ) -> QuerySet[SystemHealth]:
        require_perm(info, VIEW_HEALTH)
        start, end = range.bounds("healthHistory")
        return selectors.health_history(component=component, start=start, end=end)

    @strawberry.field(description="Counts over the logs of a time range.")
    def monitoring_stats(
        self,
        info: Info,
        range: Annotated[
            MonitoringTimeRange, strawberry.argument(description="Time range (by log timestamp).")
        ],
    ) -> MonitoringStatsType:
        require_perm(info, VIEW_LOG)
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
