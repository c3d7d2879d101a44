import threading

import pytest
from django.db import connection

from monitoring import services
from monitoring.models import MonitoringLog
from tests.monitoring.factories import T0

BATCH = [
    {
        "client_id": f"c-{n:04d}",
        "timestamp": T0,
        "level": 20,
        "source": "api",
        "message": f"m{n}",
        "context": {"n": n},
    }
    for n in range(500)
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_a_batch_store_one_copy():
    # given: four senders retrying the same batch at once, one of them in reverse order
    runs = 4
    barrier = threading.Barrier(runs)
    outcomes: list[services.IngestOutcome] = []
    failures: list[BaseException] = []

    def send(logs):
        try:
            barrier.wait()
            outcomes.append(services.logs_ingest(logs=logs))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    batches = [BATCH, BATCH, BATCH, list(reversed(BATCH))]
    threads = [threading.Thread(target=send, args=(logs,)) for logs in batches]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: the unique constraint arbitrates; new and duplicate counts add up
    assert failures == []
    assert sum(outcome.inserted for outcome in outcomes) == len(BATCH)
    assert sum(outcome.duplicates for outcome in outcomes) == (runs - 1) * len(BATCH)
    assert MonitoringLog.objects.count() == len(BATCH)
