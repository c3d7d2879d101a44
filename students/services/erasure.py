"""Erasing a student's personal data on request, keeping their history anonymised."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import NotFound
from students.audit import Actor, log_action, scrub_audit_of_student
from students.models import Draft, LearningEvent, Student

ERASED_NAME = "Erased student"
# What erasure replaces or clears, as recorded in its audit row.
ERASED_FIELDS = ["name", "email", "code", "draft.content", "draft.feedback", "event.metadata"]


def erased_code(student_id: int) -> str:
    return f"erased-{student_id}"


def erased_email(student_id: int) -> str:
    # .invalid is reserved (RFC 2606): no mail can ever reach it, and it stays unique.
    return f"erased-{student_id}@erased.invalid"


@transaction.atomic
def student_erase(*, actor: Actor, code: str) -> Student:
    """Erase a student's personal data: name, email and code are replaced, the texts of
    their drafts and the metadata of their events cleared, and the earlier audit rows
    scrubbed of them; scores, attempts, events, statuses and times are kept, anonymised.
    The erasure is audited without the data it removed."""
    student = Student.objects.by_ref(code=code).select_for_update().first()
    if student is None:
        raise NotFound(f"No student with code {code!r}.")
    if student.erased_at is not None:
        raise ValidationError({"code": f"Student {code!r} has already been erased."})
    now = timezone.now()
    new_code = erased_code(student.pk)
    scrubbed = scrub_audit_of_student(student_id=student.pk, code=student.code, new_code=new_code)
    student.code = new_code
    student.name = ERASED_NAME
    student.email = erased_email(student.pk)
    student.erased_at = now
    student.updated_at = now
    student.full_clean(validate_constraints=False, validate_unique=False)
    student.save(update_fields=["code", "name", "email", "erased_at", "updated_at"])
    drafts = Draft.objects.filter(student=student).update(content="", feedback="")
    events = LearningEvent.objects.filter(student=student).exclude(metadata={}).update(metadata={})
    log_action(
        actor=actor,
        action="student.erase",
        target_type="student",
        target_id=student.pk,
        payload={
            "code": new_code,
            "fields": ERASED_FIELDS,
            "drafts_cleared": drafts,
            "events_cleared": events,
            "audit_rows_scrubbed": scrubbed,
        },
    )
    return student
