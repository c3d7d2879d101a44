"""Logs from many services, results of analyses, and the health history of components."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from config.text import validate_storable_text
from monitoring.jsontext import validate_json_object

CLIENT_ID_MAX_LENGTH = 128
SOURCE_MAX_LENGTH = 100
MESSAGE_MAX_LENGTH = 32_768
NAME_MAX_LENGTH = 255


class Level(models.IntegerChoices):
    """Severities as small integers (Python's logging numbers): "at least" is a range."""

    DEBUG = 10, "DEBUG"
    INFO = 20, "INFO"
    WARNING = 30, "WARNING"
    ERROR = 40, "ERROR"
    CRITICAL = 50, "CRITICAL"


# Logs at or above this level count as errors in the statistics.
ERROR_LEVEL = Level.ERROR


class MonitoringLogQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by("-timestamp", "-id")

    def at_least(self, level: int):
        return self.filter(level__gte=level)

    def errors(self):
        return self.at_least(ERROR_LEVEL)


class MonitoringLog(models.Model):
    """One log line sent by a service; immutable once stored.

    The table is partitioned by day of `timestamp` (monitoring.partitions; migration 0004):
    its primary key in the database is (id, timestamp), ids come from one sequence, and the
    client ids are kept unique by LogKey.
    """

    client_id = models.CharField(
        max_length=CLIENT_ID_MAX_LENGTH,
        help_text="Id chosen by the sender; a log with an id already stored is a duplicate.",
    )
    timestamp = models.DateTimeField(help_text="When the sender logged it (sender's clock).")
    received_at = models.DateTimeField(
        default=timezone.now, help_text="When this service stored it."
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, help_text="Severity.")
    source = models.CharField(
        max_length=SOURCE_MAX_LENGTH, help_text="The service or component that logged it."
    )
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH, help_text="The log message.")
    context = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="Structured data sent with the log (a JSON object).",
    )

    objects = MonitoringLogQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            # Newest-first lists and keyset pages: (timestamp, id) < (cursor) walks this index.
            models.Index(fields=["-timestamp", "-id"], name="monitoring_log_time"),
            models.Index(fields=["source", "-timestamp", "-id"], name="monitoring_log_source_time"),
            models.Index(fields=["level", "-timestamp", "-id"], name="monitoring_log_level_time"),
            # Finding a log by its client id (the admin's search); uniqueness is LogKey's.
            models.Index(fields=["client_id"], name="monitoring_log_client_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="monitoring_log_level_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(client_id=""), name="monitoring_log_client_id_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.get_level_display()}] {self.source}: {self.message[:80]}"


class LogKey(models.Model):
    """The client id of every stored log, unique: the idempotency key of logIngest across all
    partitions of the log table (a unique index of a partitioned table must contain the
    partition key, so the log table cannot hold this one). Written and deleted by statement
    triggers on the log table (migration 0004) and by retention when it drops a partition."""

    client_id = models.CharField(primary_key=True, max_length=CLIENT_ID_MAX_LENGTH)

    class Meta:
        # Created by SQL: a Django-made varchar key would get a second (LIKE) index.
        managed = False

    def __str__(self) -> str:
        return self.client_id


class LogHourCount(models.Model):
    """How many logs one source sent at one level in one hour (UTC): the all-time statistics
    read these instead of the logs. Kept by triggers on the log table (migration 0003) for
    every write, whoever makes it: ingest, import, pruning, the admin, TRUNCATE."""

    hour = models.DateTimeField(help_text="Start of the hour (UTC).")
    source = models.CharField(max_length=SOURCE_MAX_LENGTH)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    count = models.BigIntegerField()

    class Meta:
        ordering = ["hour", "source", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "source", "level"], name="monitoring_loghourcount_uniq"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.source} {self.get_level_display()} at {self.hour:%Y-%m-%d %H}:00: {self.count}"
        )


class MonitoringResult(models.Model):
    """The outcome of one check run against something (a service, a dataset, a batch of logs)."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        WARNING = "warning", "WARNING"
        CRITICAL = "critical", "CRITICAL"
        UNKNOWN = "unknown", "UNKNOWN"

    target = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_storable_text],
        help_text="What was analysed.",
    )
    check_name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_storable_text],
        help_text="Which check ran.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, help_text="The verdict.")
    score = models.FloatField(
        null=True, blank=True, help_text="A numeric score, if the check has one."
    )
    details = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="Anything else (a JSON object).",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was recorded.")
    logs = models.ManyToManyField(
        MonitoringLog,
        blank=True,
        related_name="results",
        # A foreign key to a partitioned table needs a unique key with the partition key in
        # it; the links are removed with their logs by retention and by the delete trigger.
        db_constraint=False,
        help_text="Logs the result is about (links vanish when retention prunes the logs).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="monitoring_result_created"),
            models.Index(fields=["check_name", "-created_at"], name="monitoring_result_check"),
            models.Index(fields=["target", "-created_at"], name="monitoring_result_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["ok", "warning", "critical", "unknown"]),
                name="monitoring_result_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_name} on {self.target}: {self.status}"


class SystemHealth(models.Model):
    """One health check of a component; the history is kept, the latest row is the status."""

    class Status(models.TextChoices):
        UP = "up", "UP"
        DEGRADED = "degraded", "DEGRADED"
        DOWN = "down", "DOWN"

    component = models.CharField(
        max_length=SOURCE_MAX_LENGTH,
        validators=[validate_storable_text],
        help_text="What was checked.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, help_text="Its state.")
    latency_ms = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Response time of the check in milliseconds.",
    )
    details = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="Anything else (a JSON object).",
    )
    checked_at = models.DateTimeField(default=timezone.now, help_text="When the check ran.")

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name_plural = "system health checks"
        indexes = [
            # Latest per component, history of one component, and the start of the current
            # status (the latest check with another status is one probe per status).
            models.Index(
                fields=["component", "-checked_at", "-id"], name="monitoring_health_latest"
            ),
            models.Index(
                fields=["component", "status", "-checked_at"], name="monitoring_health_status"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["up", "degraded", "down"]),
                name="monitoring_health_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(latency_ms__gte=0) | models.Q(latency_ms__isnull=True),
                name="monitoring_health_latency_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.status} at {self.checked_at:%Y-%m-%d %H:%M:%S}"
