from datetime import timedelta

from students import services
from students.models import PerformanceRecord
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory


def records():
    return list(
        PerformanceRecord.objects.order_by("student__code", "module__code").values_list(
            "student__code",
            "module__code",
            "mastery",
            "average_score",
            "completion",
            "attempt_count",
            "event_count",
        )
    )


def test_records_follow_every_write_and_disappear_when_nothing_is_left(system_actor):
    # given
    ConceptModuleFactory(code="alg1")
    ConceptModuleFactory(code="geo1")
    StudentFactory(code="s001")
    StudentFactory(code="s002")
    draft = services.draft_submit(
        actor=system_actor, student="s001", module="alg1", content="v1", submit=False
    )
    services.learning_events_record(
        actor=system_actor,
        events=[
            {
                "student": "s002",
                "event_type": "view",
                "module": "geo1",
                "occurred_at": T0 + timedelta(minutes=m),
            }
            for m in range(3)
        ]
        + [{"student": "s002", "event_type": "login"}],
    )
    assert records() == [
        ("s001", "alg1", 0.0, None, 0.0, 0, 0),
        ("s002", "geo1", 0.0, None, 0.0, 0, 3),
    ]

    # when: the draft moves to geo1 and is submitted; s002 fails, then passes, a test
    services.draft_submit(
        actor=system_actor, student="s001", module="geo1", content="v2", draft_id=draft.pk
    )
    for score in (3, 6):
        services.assessment_record(
            actor=system_actor,
            student="s002",
            module="geo1",
            kind="test",
            score=score,
            max_score=10,
        )

    # then: s001's alg1 record is gone; s002's mastery is the latest result, the average
    # both, and the test counts as passed
    assert records() == [
        ("s001", "geo1", 0.0, None, 1.0, 0, 0),
        ("s002", "geo1", 0.6, 0.44999999999999996, 1.0, 2, 3),  # (0.3 + 0.6) / 2
    ]
