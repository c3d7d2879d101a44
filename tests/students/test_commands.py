import pytest
from django.core.management import CommandError, call_command

from students import services
from students.models import ActionLog, PerformanceRecord
from tests.students.factories import ConceptModuleFactory, StudentFactory


def test_recompute_restores_derived_records(system_actor, capsys):
    # given: records, then one tampered with and one deleted
    ConceptModuleFactory(code="alg1")
    ConceptModuleFactory(code="geo1")
    StudentFactory(code="s001")
    for module, score in [("alg1", 8), ("geo1", 4)]:
        services.assessment_record(
            actor=system_actor,
            student="s001",
            module=module,
            kind="quiz",
            score=score,
            max_score=10,
        )
    expected = list(PerformanceRecord.objects.values_list("module__code", "mastery", "completion"))
    PerformanceRecord.objects.filter(module__code="alg1").update(mastery=0, completion=0)
    PerformanceRecord.objects.filter(module__code="geo1").delete()

    # when
    call_command("recompute_performance")

    # then
    assert list(PerformanceRecord.objects.values_list("module__code", "mastery", "completion")) == (
        expected
    )
    assert expected == [("alg1", 0.8, 1.0), ("geo1", 0.4, 0.0)]
    assert capsys.readouterr().out == "2 performance records up to date.\n"
    assert ActionLog.objects.filter(action="performance.recompute").get().payload == {
        "students": "all"
    }


def test_recompute_names_unknown_students(db):
    # when / then
    with pytest.raises(CommandError, match=r"No student with code ghost\."):
        call_command("recompute_performance", "ghost")
