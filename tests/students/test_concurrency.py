import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from students import services
from students.audit import Actor
from students.models import ActionLog, Assessment, AttemptHistory, LearningEvent, Student
from tests.students.factories import ConceptModuleFactory, StudentFactory


def run_together(count, work):
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def target(n):
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_get_unique_gap_free_numbers():
    # given: one student, one quiz, 12 attempts submitted at the same moment
    ConceptModuleFactory(code="alg1")
    StudentFactory(code="s001")
    attempts = 12

    def record(n):
        services.assessment_record(
            actor=Actor(),
            student="s001",
            module="alg1",
            kind="quiz",
            title="Q1",
            score=n % 10,
            max_score=10,
        )

    # when
    failures = run_together(attempts, record)

    # then: 1..12, each once, and the assessment's counter agrees
    assert failures == []
    numbers = sorted(AttemptHistory.objects.values_list("attempt_number", flat=True))
    assert numbers == list(range(1, attempts + 1))
    assert Assessment.objects.get().attempt_count == attempts
    assert ActionLog.objects.count() == attempts


class Abort(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_an_attempt_rolled_back_after_numbering_leaves_no_gap():
    # given: attempt 1 stored; then 4 at once, one of them rolled back after it was numbered
    ConceptModuleFactory(code="alg1")
    StudentFactory(code="s001")
    record = dict(actor=Actor(), student="s001", module="alg1", kind="quiz", max_score=10)
    services.assessment_record(score=5, **record)

    def mixed(n):
        if n == 0:
            with pytest.raises(Abort), transaction.atomic():
                services.assessment_record(score=1, **record)
                raise Abort
        else:
            services.assessment_record(score=6, **record)

    # when
    failures = run_together(4, mixed)

    # then: the counter increment rolled back with it
    assert failures == []
    assert sorted(AttemptHistory.objects.values_list("attempt_number", flat=True)) == [1, 2, 3, 4]
    assert Assessment.objects.get().attempt_count == 4
    assert ActionLog.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_email_in_different_cases_keep_one():
    # given: four enrolments at once, same address in four spellings
    spellings = ["ada@example.com", "ADA@example.com", "Ada@Example.com", "ada@EXAMPLE.COM"]
    refused: list[dict] = []

    def create(n):
        try:
            services.student_create(actor=Actor(), code=f"s{n}", name="Ada", email=spellings[n])
        except ValidationError as exc:
            refused.append(exc.message_dict)

    # when
    failures = run_together(len(spellings), create)

    # then: the unique index on lower(email) decided; the others got the field error
    assert failures == []
    assert Student.objects.count() == 1
    assert refused == [{"email": ["A student with this email already exists."]}] * 3
    assert ActionLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_one_event_batch_store_it_once():
    # given
    StudentFactory(code="s001")
    batch = [
        {"student": "s001", "event_type": "view", "event_id": uuid.UUID(int=n + 1)}
        for n in range(50)
    ]
    stored: list[int] = []

    # when
    failures = run_together(
        4,
        lambda n: stored.append(len(services.learning_events_record(actor=Actor(), events=batch))),
    )

    # then
    assert failures == []
    assert sum(stored) == 50
    assert LearningEvent.objects.count() == 50
