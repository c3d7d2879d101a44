from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from monitoring import services
from monitoring.models import MonitoringLog
from tests.monitoring.factories import MonitoringLogFactory, MonitoringResultFactory


def prune(*args):
    out = StringIO()
    call_command("prune_monitoring", *args, stdout=out)
    return out.getvalue()


def remaining():
    return sorted(MonitoringLog.objects.values_list("client_id", flat=True))


@pytest.fixture
def aged(db):
    """Logs 0..9 days old, client ids d0..d9, stored oldest first."""
    now = timezone.now()
    for days in reversed(range(10)):
        MonitoringLogFactory(client_id=f"d{days}", timestamp=now - timedelta(days=days, hours=1))


def test_dry_run_counts_and_deletes_nothing(aged):
    # when
    output = prune("--keep-days", "3")

    # then
    assert output.splitlines()[1:] == ["Dry run: nothing was deleted (add --yes to delete)."]
    assert output.splitlines()[0].endswith(": 7")
    assert MonitoringLog.objects.count() == 10


def test_keep_days_deletes_older_logs_in_batches(aged):
    # given: a result linked to a doomed log and to a kept one
    result = MonitoringResultFactory()
    result.logs.add(*MonitoringLog.objects.filter(client_id__in=["d0", "d8"]))

    # when
    output = prune("--keep-days", "3", "--batch-size", "2", "--yes")

    # then
    assert output.splitlines()[-1] == "deleted: 7"
    assert remaining() == ["d0", "d1", "d2"]
    assert list(result.logs.values_list("client_id", flat=True)) == ["d0"]


def test_keep_rows_keeps_the_newest_arrivals(aged):
    # when
    output = prune("--keep-rows", "4", "--yes")

    # then: arrival order (d9 first … d0 last)
    assert output.splitlines()[-1] == "deleted: 6"
    assert remaining() == ["d0", "d1", "d2", "d3"]


def test_both_policies_delete_what_either_says(aged):
    # when
    prune("--keep-days", "5", "--keep-rows", "3", "--yes")

    # then
    assert remaining() == ["d0", "d1", "d2"]


def test_keeping_more_rows_than_stored_deletes_nothing(aged):
    # when
    output = prune("--keep-rows", "10", "--yes")

    # then
    assert output.splitlines()[-1] == "deleted: 0"
    assert MonitoringLog.objects.count() == 10


def test_a_policy_is_required(db):
    with pytest.raises(CommandError) as error:
        prune()
    assert str(error.value) == "Give --keep-days and/or --keep-rows."


def test_pruning_runs_in_batches_of_the_given_size(aged):
    # given
    policy = services.logs_prune_policy(keep_days=None, keep_rows=3)
    batches: list[int] = []

    # when
    deleted = services.logs_prune(policy=policy, batch_size=2, on_batch=batches.append)

    # then: one transaction per batch; the last, short one ends the run
    assert (deleted, batches) == (7, [2, 2, 2, 1])
    assert remaining() == ["d0", "d1", "d2"]
