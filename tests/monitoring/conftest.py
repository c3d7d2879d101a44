import pytest

from monitoring.models import MonitoringLog, MonitoringResult, SystemHealth

MODELS = {
    "monitoringlog": MonitoringLog,
    "monitoringresult": MonitoringResult,
    "systemhealth": SystemHealth,
}
ALL_PERMS = [f"monitoring.{action}_{model}" for model in MODELS for action in ("view", "add")]
READ_PERMS = [f"monitoring.view_{model}" for model in MODELS]
WRITE_PERMS = [f"monitoring.add_{model}" for model in MODELS]


@pytest.fixture
def writer_client(api_client, make_user):
    """A service's API key: may add logs, results and health checks, not read them."""
    return api_client(make_user("service", perms=WRITE_PERMS))


@pytest.fixture
def reader_client(api_client, make_user):
    """A dashboard: may read everything, write nothing."""
    return api_client(make_user("dashboard", perms=READ_PERMS))
