from datetime import UTC, datetime, timedelta

import factory

from monitoring.models import Level, MonitoringLog, MonitoringResult, SystemHealth

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class MonitoringLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringLog

    client_id = factory.Sequence(lambda n: f"log-{n:06d}")
    timestamp = factory.Sequence(lambda n: T0 + timedelta(seconds=n))
    level = Level.INFO
    source = "api"
    message = factory.Sequence(lambda n: f"message {n}")
    context = factory.LazyFunction(dict)


class MonitoringResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringResult

    target = "api"
    check_name = "error-spike"
    status = MonitoringResult.Status.OK
    score = 0.5
    created_at = factory.Sequence(lambda n: T0 + timedelta(minutes=n))


class SystemHealthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemHealth

    component = "database"
    status = SystemHealth.Status.UP
    latency_ms = 12.5
    checked_at = factory.Sequence(lambda n: T0 + timedelta(minutes=n))


def log_input(n: int, **fields) -> dict:
    """A logIngest input (GraphQL names)."""
    return {
        "clientId": f"c-{n:06d}",
        "timestamp": (T0 + timedelta(milliseconds=n)).isoformat(),
        "level": "INFO",
        "source": f"svc-{n % 3}",
        "message": f"request {n} served",
        "context": {"n": n, "path": "/api"},
        **fields,
    }
