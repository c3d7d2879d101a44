"""GraphQL types of the monitoring store: logs, results, health checks, statistics."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Q
from django.utils import timezone
from strawberry import auto
from strawberry.scalars import JSON

from config.context import Info, require_perm
from config.enums import choices_enum
from config.errors import invalid
from config.inputs import aware, converted_directly
from config.text import nothing_if_unstorable, nothing_if_unstorable_json
from monitoring import selectors
from monitoring.models import Level, MonitoringLog, MonitoringResult, SystemHealth

MonitoringLevel = choices_enum(
    Level,
    name="MonitoringLevel",
    description="Severity of a log, from lowest to highest.",
    values={
        "DEBUG": "Detail for debugging.",
        "INFO": "Normal operation.",
        "WARNING": "Something to look at.",
        "ERROR": "A failure.",
        "CRITICAL": "A severe failure.",
    },
)


MonitoringResultStatus = choices_enum(
    MonitoringResult.Status,
    name="MonitoringResultStatus",
    description="Verdict of a check.",
    values={
        "OK": "Passed.",
        "WARNING": "Passed with concerns.",
        "CRITICAL": "Failed.",
        "UNKNOWN": "Could not tell.",
    },
)


HealthStatus = choices_enum(
    SystemHealth.Status,
    name="HealthStatus",
    description="State of a component.",
    values={
        "UP": "Working.",
        "DEGRADED": "Working, but slow or partly.",
        "DOWN": "Not working.",
    },
)


@strawberry.enum(name="StatsBucket", description="Width of a time bucket in the statistics.")
class StatsBucket(enum.Enum):
    MINUTE = strawberry.enum_value("minute", description="One minute.")
    HOUR = strawberry.enum_value("hour", description="One hour.")
    DAY = strawberry.enum_value("day", description="One day (in the server's time zone).")


# --- logs ----------------------------------------------------------------------------------


@strawberry_django.type(MonitoringLog, name="MonitoringLog", description="A log sent by a service.")
class MonitoringLogType:
    id: strawberry.ID = strawberry_django.field(description="Id in this store.")
    client_id: str = strawberry_django.field(description="Id chosen by the sender.")
    timestamp: datetime = strawberry_django.field(description="When the sender logged it.")
    received_at: datetime = strawberry_django.field(description="When this store received it.")
    level: MonitoringLevel = strawberry_django.field(description="Severity.")
    source: str = strawberry_django.field(description="Service or component that logged it.")
    message: str = strawberry_django.field(description="The message.")
    context: JSON = strawberry_django.field(description="Structured data (a JSON object).")


@converted_directly  # a logIngest batch has up to 5,000 of them
@strawberry.input(name="MonitoringLogInput", description="A log to store.")
class MonitoringLogInput:
    client_id: str = strawberry.field(
        description="Your unique id for this log (e.g. a UUID), at most 128 characters; "
        "sending it again is harmless."
    )
    timestamp: datetime = strawberry.field(
        description="When it was logged (without an offset: the server's time zone)."
    )
    level: MonitoringLevel = strawberry.field(description="Severity.")
    source: str = strawberry.field(description="Your service's name, at most 100 characters.")
    message: str = strawberry.field(description="The message, at most 32768 characters.")
    context: JSON | None = strawberry.field(
        default=None, description="Structured data: a JSON object (default {})."
    )


@strawberry.input(
    name="MonitoringLogFilter",
    description="Conditions a log must all meet (fields left out do not filter).",
)
class MonitoringLogFilter:
    level: MonitoringLevel | None = strawberry.field(
        default=None, description="Exactly this level."
    )
    min_level: MonitoringLevel | None = strawberry.field(
        default=None, description="This level or a higher one."
    )
    source: str | None = strawberry.field(default=None, description="Exactly this source.")
    timestamp_from: datetime | None = strawberry.field(
        default=None, description="Logged at or after this time."
    )
    timestamp_before: datetime | None = strawberry.field(
        default=None, description="Logged strictly before this time."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text the message contains."
    )
    context_contains: JSON | None = strawberry.field(
        default=None,
        description='A JSON object the context contains (`{"user": 7}` matches logs whose '
        "context has user 7, whatever else it has).",
    )

    def q(self) -> Q:
        q = nothing_if_unstorable(*(v for v in (self.source, self.search) if v)) or Q()
        if self.level is not None:
            q &= Q(level=self.level.value)
        if self.min_level is not None:
            q &= Q(level__gte=self.min_level.value)
        if self.source is not None:
            q &= Q(source=self.source)
        if self.timestamp_from is not None:
            q &= Q(timestamp__gte=aware(self.timestamp_from))
        if self.timestamp_before is not None:
            q &= Q(timestamp__lt=aware(self.timestamp_before))
        if self.search:
            q &= Q(message__icontains=self.search)
        if self.context_contains is not None:
            if not isinstance(self.context_contains, dict):
                raise invalid(
                    "logs: 'contextContains' must be a JSON object.",
                    field="filters.contextContains",
                )
            q &= nothing_if_unstorable_json(self.context_contains) or Q(
                context__contains=self.context_contains
            )
        return q


@strawberry.type(name="MonitoringLogError", description="Why one log of a batch was refused.")
class MonitoringLogErrorType:
    index: int = strawberry.field(description="Position of the log in `logs`, from 0.")
    field: str = strawberry.field(description="The input field at fault, e.g. 'clientId'.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(name="LogIngestResult", description="Outcome of logIngest.")
class LogIngestResultType:
    received: int = strawberry.field(description="Logs in the batch.")
    inserted: int = strawberry.field(description="Logs stored now (new client ids).")
    duplicates: int = strawberry.field(
        description="Logs skipped because their client id was already stored (or repeated in "
        "the batch)."
    )
    errors: list[MonitoringLogErrorType] = strawberry.field(
        description="Refused logs by index; any error means nothing was stored."
    )


# --- results -------------------------------------------------------------------------------


@strawberry_django.filter_type(
    MonitoringResult,
    name="MonitoringResultFilter",
    description="Conditions a result must all meet (fields left out do not filter).",
)
class MonitoringResultFilter:
    @strawberry_django.filter_field(description="Exactly this target.")
    def target(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}target": value})

    @strawberry_django.filter_field(description="Exactly this check.")
    def check_name(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or Q(**{f"{prefix}check_name": value})

    status: MonitoringResultStatus | None = strawberry_django.filter_field(
        description="Only this verdict."
    )

    @strawberry_django.filter_field(description="Recorded at or after this time.")
    def created_from(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__gte": aware(value)})

    @strawberry_django.filter_field(description="Recorded strictly before this time.")
    def created_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__lt": aware(value)})

    @strawberry_django.filter_field(description="Score at least this.")
    def min_score(self, value: float, prefix: str) -> Q:
        return Q(**{f"{prefix}score__gte": value})


@strawberry_django.order_type(
    MonitoringResult,
    name="MonitoringResultOrder",
    description="One sort key; pass a list for several. Default: newest first.",
)
class MonitoringResultOrder:
    created_at: auto = strawberry_django.order_field(description="By time recorded.")
    score: auto = strawberry_django.order_field(description="By score.")
    status: auto = strawberry_django.order_field(description="By verdict.")
    check_name: auto = strawberry_django.order_field(description="By check name.")
    target: auto = strawberry_django.order_field(description="By target.")
    id: auto = strawberry_django.order_field(description="By id (order of recording).")


@strawberry_django.type(
    MonitoringResult, name="MonitoringResult", description="The outcome of one check."
)
class MonitoringResultType:
    id: strawberry.ID = strawberry_django.field(description="Result id.")
    target: str = strawberry_django.field(description="What was analysed.")
    check_name: str = strawberry_django.field(description="Which check ran.")
    status: MonitoringResultStatus = strawberry_django.field(description="The verdict.")
    score: float | None = strawberry_django.field(description="Score; null when none.")
    details: JSON = strawberry_django.field(description="Anything else (a JSON object).")
    created_at: datetime = strawberry_django.field(description="When it was recorded.")
    logs: list[MonitoringLogType] = strawberry_django.field(
        description="Logs it is about, newest first (pruned logs drop out)."
    )


@strawberry.input(name="MonitoringResultRecordInput", description="A check's outcome to record.")
class MonitoringResultRecordInput:
    target: str = strawberry.field(description="What was analysed, at most 255 characters.")
    check_name: str = strawberry.field(description="Which check ran, at most 255 characters.")
    status: MonitoringResultStatus = strawberry.field(description="The verdict.")
    score: float | None = strawberry.field(default=None, description="A numeric score.")
    details: JSON | None = strawberry.field(default=None, description="A JSON object.")
    created_at: datetime | None = strawberry.field(default=None, description="Default now.")
    log_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Ids (MonitoringLog.id) of the logs it is about, at most 1000."
    )


# --- health --------------------------------------------------------------------------------


@strawberry_django.type(SystemHealth, name="SystemHealthCheck", description="One health check.")
class SystemHealthCheckType:
    id: strawberry.ID = strawberry_django.field(description="Check id.")
    component: str = strawberry_django.field(description="What was checked.")
    status: HealthStatus = strawberry_django.field(description="Its state.")
    latency_ms: float | None = strawberry_django.field(description="Latency in ms; null if none.")
    details: JSON = strawberry_django.field(description="Anything else (a JSON object).")
    checked_at: datetime = strawberry_django.field(description="When the check ran.")


@strawberry.type(
    name="ComponentHealth", description="The latest check of a component and since when it holds."
)
class ComponentHealthType:
    component: str = strawberry.field(description="The component.")
    status: HealthStatus = strawberry.field(description="Its latest state.")
    since: datetime = strawberry.field(
        description="First check of the current run of this status (when it began)."
    )
    latency_ms: float | None = strawberry.field(description="Latency of the latest check.")
    details: JSON = strawberry.field(description="Details of the latest check.")
    checked_at: datetime = strawberry.field(description="When the latest check ran.")

    @classmethod
    def of(cls, check: SystemHealth) -> ComponentHealthType:
        return cls(
            component=check.component,
            status=HealthStatus(check.status),
            since=check.since,
            latency_ms=check.latency_ms,
            details=check.details,
            checked_at=check.checked_at,
        )


@strawberry.input(name="HealthReportInput", description="A health check to record.")
class HealthReportInput:
    component: str = strawberry.field(description="What was checked, at most 100 characters.")
    status: HealthStatus = strawberry.field(description="Its state.")
    latency_ms: float | None = strawberry.field(default=None, description="0 or more.")
    details: JSON | None = strawberry.field(default=None, description="A JSON object.")
    checked_at: datetime | None = strawberry.field(default=None, description="Default now.")


@strawberry.input(name="MonitoringTimeRange", description="From (included) to (excluded).")
class MonitoringTimeRange:
    start: datetime = strawberry.field(name="from", description="Start, included.")
    end: datetime | None = strawberry.field(
        name="to", default=None, description="End, excluded; default now."
    )

    def bounds(self, field: str) -> tuple[datetime, datetime]:
        start = aware(self.start)
        end = aware(self.end) if self.end is not None else timezone.now()
        if end <= start:
            raise invalid(f"{field}: 'to' must be after 'from'.", field="range.to")
        return start, end


@strawberry.type(name="MonitoringDeleteResult", description="Outcome of a delete by time range.")
class MonitoringDeleteResultType:
    deleted: int = strawberry.field(description="Rows deleted by this call.")
    has_more: bool = strawberry.field(
        description="More rows of the range remain (a call deletes a bounded number): call again."
    )


# --- statistics ----------------------------------------------------------------------------


@strawberry.type(name="MonitoringLevelCount", description="How many logs have one level.")
class MonitoringLevelCountType:
    level: MonitoringLevel = strawberry.field(description="The level.")
    count: int = strawberry.field(description="Logs of that level.")


@strawberry.type(name="MonitoringSourceCount", description="How many logs one source sent.")
class MonitoringSourceCountType:
    source: str = strawberry.field(description="The source.")
    count: int = strawberry.field(description="Its logs.")


@strawberry.type(name="MonitoringErrorBucket", description="Logs and errors in one time bucket.")
class MonitoringErrorBucketType:
    start: datetime = strawberry.field(description="Start of the bucket.")
    total: int = strawberry.field(description="Logs in it.")
    errors: int = strawberry.field(description="Logs of level ERROR or CRITICAL in it.")
    rate: float | None = strawberry.field(description="Errors divided by total; null when no logs.")


LimitArg = Annotated[int, strawberry.argument(description="How many, 1 to 100 (default 10).")]


def check_limit(field: str, limit: int) -> None:
    if not 1 <= limit <= 100:
        raise invalid(f"{field}: 'limit' must be between 1 and 100.", field="limit")


@strawberry.type(
    name="MonitoringStats",
    description="Counts over the logs of a time range (by timestamp), computed in the database.",
)
class MonitoringStatsType:
    start: datetime = strawberry.field(name="from", description="Start of the range, included.")
    end: datetime = strawberry.field(name="to", description="End of the range, excluded.")
    # Over every stored log: read from the hourly counts, not the logs.
    all_time: strawberry.Private[bool] = False
    _levels: strawberry.Private[dict[int, int] | None] = None

    def levels(self) -> dict[int, int]:
        if self._levels is None:
            self._levels = selectors.log_counts_by_level(
                start=self.start, end=self.end, all_time=self.all_time
            )
        return self._levels

    @strawberry.field(description="Logs in the range.")
    def total(self) -> int:
        return sum(self.levels().values())

    @strawberry.field(description="Logs per level, every level listed (DEBUG first).")
    def count_by_level(self) -> list[MonitoringLevelCountType]:
        counts = self.levels()
        return [
            MonitoringLevelCountType(level=level, count=counts.get(level.value, 0))
            for level in MonitoringLevel
        ]

    @strawberry.field(description="Sources by their number of logs, most first, ties by name.")
    def count_by_source(self, limit: LimitArg = 10) -> list[MonitoringSourceCountType]:
        check_limit("countBySource", limit)
        rows = selectors.log_counts_by_source(
            start=self.start, end=self.end, limit=limit, all_time=self.all_time
        )
        return [MonitoringSourceCountType(source=r.source, count=r.count) for r in rows]

    @strawberry.field(
        description="Sources by their number of ERROR and CRITICAL logs, most first, ties by name."
    )
    def top_error_sources(self, limit: LimitArg = 10) -> list[MonitoringSourceCountType]:
        check_limit("topErrorSources", limit)
        rows = selectors.log_counts_by_source(
            start=self.start, end=self.end, limit=limit, errors_only=True, all_time=self.all_time
        )
        return [MonitoringSourceCountType(source=r.source, count=r.count) for r in rows]

    @strawberry.field(
        description="Logs and errors per bucket, every bucket of the range listed (empty ones "
        f"too); buckets are cut in the server's time zone; at most {selectors.STATS_MAX_BUCKETS}."
    )
    def error_rate(
        self,
        bucket: Annotated[StatsBucket, strawberry.argument(description="Bucket width.")],
    ) -> list[MonitoringErrorBucketType]:
        unit = bucket.value
        if selectors.bucket_count(start=self.start, end=self.end, unit=unit) > (
            selectors.STATS_MAX_BUCKETS
        ):
            raise invalid(
                f"errorRate: at most {selectors.STATS_MAX_BUCKETS} buckets; use a wider bucket "
                "or a shorter range.",
                field="bucket",
            )
        return [
            MonitoringErrorBucketType(start=b.start, total=b.total, errors=b.errors, rate=b.rate)
            for b in selectors.log_error_rate(
                start=self.start, end=self.end, unit=unit, all_time=self.all_time
            )
        ]

    @strawberry.field(
        description="Latest check of every component, by component (needs "
        "monitoring.view_systemhealth)."
    )
    def health(self, info: Info) -> list[ComponentHealthType]:
        require_perm(info, "monitoring.view_systemhealth")
        return [ComponentHealthType.of(check) for check in selectors.health_latest()]
