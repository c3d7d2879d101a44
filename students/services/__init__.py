"""Every write of the students app; each one adds an ActionLog row in its transaction."""

from students.performance import performance_recompute
from students.risk import dropout_risk_compute
from students.services.erasure import student_erase
from students.services.events import EVENTS_BATCH_MAX, learning_events_record
from students.services.records import (
    concept_module_create,
    concept_module_delete,
    concept_module_update,
    module_by_code,
    student_by_code,
    student_create,
    student_delete,
    student_update,
)
from students.services.work import (
    assessment_record,
    draft_delete,
    draft_review,
    draft_submit,
    draft_update,
)

__all__ = [
    "EVENTS_BATCH_MAX",
    "assessment_record",
    "concept_module_create",
    "concept_module_delete",
    "concept_module_update",
    "draft_delete",
    "draft_review",
    "draft_submit",
    "draft_update",
    "dropout_risk_compute",
    "learning_events_record",
    "module_by_code",
    "performance_recompute",
    "student_by_code",
    "student_create",
    "student_delete",
    "student_erase",
    "student_update",
]
