import json
import threading

import pytest
from django.db import connection

from learn import services
from learn.legacy import parse_line
from learn.models import LearnItem

LINES = [
    json.dumps({"kind": "good", "filename": f"{n}.md", "tags": ["bulk"]}).encode()
    for n in range(200)
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_the_same_lines_store_each_once():
    # given: four runs of the same file, started together
    runs = 4
    barrier = threading.Barrier(runs)
    inserted: list[int] = []
    failures: list[BaseException] = []

    def import_all():
        try:
            items = [parse_line(line) for line in LINES]
            barrier.wait()
            inserted.append(services.learn_items_insert_new(items=items))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_all) for _ in range(runs)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: the unique constraint arbitrates; the runs' counts add up to the rows stored
    assert failures == []
    assert sum(inserted) == len(LINES)
    assert LearnItem.objects.count() == len(LINES)
    assert LearnItem.objects.values("import_fingerprint").distinct().count() == len(LINES)
