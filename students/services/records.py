"""Students and concept modules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from config.errors import CONFLICT, NotFound
from config.text import is_storable
from students.audit import Actor, log_action, scrub_audit_of_student
from students.models import ConceptModule, LearningEvent, Student

STUDENT_EDITABLE = frozenset({"name", "email", "status", "enrolled_at"})
DUPLICATE_EMAIL = "A student with this email already exists."
DUPLICATE_CODE = "A student with this code already exists."
# A caller who may not see emails is not told which of code and email is in use: every
# uniqueness conflict on the student reads the same, as a non-field error.
DUPLICATE_DETAILS = (
    "A student with these details cannot be saved: a code or email is already in use."
)
VIEW_EMAIL = "students.view_student_email"


def may_see_emails(actor: Actor) -> bool:
    """Whether the actor may learn which email is taken (the system, or the permission)."""
    return actor.user is None or actor.user.has_perm(VIEW_EMAIL)


def _conflict(field: str, message: str, *, named: bool) -> ValidationError:
    if named:
        return ValidationError({field: ValidationError(message, code=CONFLICT)})
    return ValidationError(DUPLICATE_DETAILS, code=CONFLICT)


def student_by_code(code: str, *, field: str = "student", lock: bool = False) -> Student:
    queryset = Student.objects.by_ref(code=code)
    if lock:
        queryset = queryset.select_for_update()
    student = queryset.first()
    if student is None:
        raise ValidationError({field: f"No student with code {code!r}."})
    return student


def module_by_code(code: str, *, field: str = "module") -> ConceptModule:
    # A code the database cannot hold (NUL, lone surrogate) names no module.
    module = ConceptModule.objects.filter(code=code).first() if is_storable(code) else None
    if module is None:
        raise ValidationError({field: f"No concept module with code {code!r}."})
    return module


def _email_taken(student: Student) -> bool:
    return (
        Student.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=student.email.lower())
        .exclude(pk=student.pk)
        .exists()
    )


def _save_student(student: Student, *, named: bool, **save_kwargs) -> None:
    """Save; a concurrent duplicate the checks could not see reads as the same conflict."""
    try:
        with transaction.atomic():
            student.save(**save_kwargs)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "email" in constraint:
            raise _conflict("email", DUPLICATE_EMAIL, named=named) from exc
        if "code" in constraint:
            raise _conflict("code", DUPLICATE_CODE, named=named) from exc
        raise


def _clean_student(student: Student, *, named: bool) -> None:
    """Validate; uniqueness conflicts name their field only when `named`."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        student.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = exc.error_dict
    conflicts = []
    code_errors = errors.get("code", [])
    if any(error.code == "unique" for error in code_errors):
        errors["code"] = [error for error in code_errors if error.code != "unique"] or None
        conflicts.append(("code", DUPLICATE_CODE))
    if "email" not in errors and student.email and _email_taken(student):
        conflicts.append(("email", DUPLICATE_EMAIL))
    errors = {field: field_errors for field, field_errors in errors.items() if field_errors}
    if conflicts and named:
        for field, message in conflicts:
            errors[field] = [ValidationError(message, code=CONFLICT)]
    elif conflicts:
        errors[NON_FIELD_ERRORS] = [ValidationError(DUPLICATE_DETAILS, code=CONFLICT)]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def student_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    email: str,
    status: str = Student.Status.ACTIVE,
    enrolled_at: datetime | None = None,
) -> Student:
    """Enrol a student; code and email (whatever its case) must be new."""
    now = timezone.now()
    student = Student(
        code=code,
        name=name,
        email=email.strip(),
        status=status,
        enrolled_at=enrolled_at or now,
        created_at=now,
        updated_at=now,
    )
    named = may_see_emails(actor)
    _clean_student(student, named=named)
    _save_student(student, named=named)
    log_action(
        actor=actor,
        action="student.create",
        target_type="student",
        target_id=student.pk,
        payload={"code": code, "name": name, "status": status},
    )
    return student


@transaction.atomic
def student_update(*, actor: Actor, code: str, changes: Mapping[str, object]) -> Student:
    """Change some fields of a student; the code is permanent."""
    unknown = set(changes) - STUDENT_EDITABLE
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    student = Student.objects.by_ref(code=code).select_for_update().first()
    if student is None:
        raise NotFound(f"No student with code {code!r}.")
    if student.erased_at is not None and {"name", "email"} & set(changes):
        raise ValidationError(
            {
                name: "This student's personal data has been erased; it cannot be set again."
                for name in sorted({"name", "email"} & set(changes))
            }
        )
    for name, value in changes.items():
        setattr(student, name, value.strip() if name == "email" and value else value)
    student.updated_at = timezone.now()
    named = may_see_emails(actor)
    _clean_student(student, named=named)
    _save_student(student, named=named, update_fields=[*changes, "updated_at"])
    payload = {name: value for name, value in changes.items() if name != "email"}
    if "email" in changes:
        payload["email_changed"] = True
    log_action(
        actor=actor,
        action="student.update",
        target_type="student",
        target_id=student.pk,
        payload={k: v.isoformat() if isinstance(v, datetime) else v for k, v in payload.items()},
    )
    return student


@transaction.atomic
def concept_module_create(*, actor: Actor, code: str, title: str, order: int = 0) -> ConceptModule:
    """Add a learning concept."""
    module = ConceptModule(code=code, title=title, order=order)
    module.full_clean()
    module.save()
    log_action(
        actor=actor,
        action="concept_module.create",
        target_type="concept_module",
        target_id=module.pk,
        payload={"code": code, "title": title, "order": order},
    )
    return module


def _listing(counts: dict[str, int]) -> str:
    """{"draft": 1, "learning event": 2} -> "1 draft, 2 learning events" (zeros left out)."""
    return ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in counts.items() if n)


def _history_counts(student: Student) -> dict[str, int]:
    """The student's own records (not the derived ones), by kind."""
    return {
        "draft": student.drafts.count(),
        "assessment": student.assessments.count(),
        "learning event": student.learning_events.count(),
    }


@transaction.atomic
def student_delete(*, actor: Actor, code: str) -> Student:
    """Delete a student who has no history (drafts, assessments, events), e.g. one enrolled
    by mistake; their derived rows (performance, features, predictions) go with them. A
    student with history is refused: withdraw them, or erase their personal data."""
    student = Student.objects.by_ref(code=code).select_for_update().first()
    if student is None:
        raise NotFound(f"No student with code {code!r}.")
    listed = _listing(_history_counts(student))
    if listed:
        raise ValidationError(
            {
                "code": f"Student {code!r} has history ({listed}) and cannot be deleted; set "
                "its status to WITHDRAWN, or erase its personal data with studentErase."
            }
        )
    pk = student.pk
    scrub_audit_of_student(student_id=pk, code=code, new_code=None)
    student.delete()
    student.pk = pk
    log_action(
        actor=actor, action="student.delete", target_type="student", target_id=pk, payload={}
    )
    return student


MODULE_EDITABLE = frozenset({"title", "order"})


def _locked_module(code: str) -> ConceptModule:
    module = (
        ConceptModule.objects.select_for_update().filter(code=code).first()
        if is_storable(code)
        else None
    )
    if module is None:
        raise NotFound(f"No concept module with code {code!r}.")
    return module


@transaction.atomic
def concept_module_update(
    *, actor: Actor, code: str, changes: Mapping[str, object]
) -> ConceptModule:
    """Change the title or position of a concept module; the code is permanent."""
    unknown = set(changes) - MODULE_EDITABLE
    if unknown:
        raise ValidationError({name: "cannot be changed" for name in sorted(unknown)})
    if any(value is None for value in changes.values()):
        raise ValidationError(
            {name: "cannot be null" for name, value in sorted(changes.items()) if value is None}
        )
    module = _locked_module(code)
    for name, value in changes.items():
        setattr(module, name, value)
    module.full_clean()
    module.save(update_fields=list(changes) or None)
    log_action(
        actor=actor,
        action="concept_module.update",
        target_type="concept_module",
        target_id=module.pk,
        payload=dict(changes),
    )
    return module


@transaction.atomic
def concept_module_delete(*, actor: Actor, code: str) -> ConceptModule:
    """Delete a concept module nothing refers to (no drafts, assessments or events)."""
    module = _locked_module(code)
    listed = _listing(
        {
            "draft": module.drafts.count(),
            "assessment": module.assessments.count(),
            "learning event": LearningEvent.objects.filter(module=module).count(),
        }
    )
    if listed:
        raise ValidationError(
            {"code": f"Concept module {code!r} is in use ({listed}) and cannot be deleted."}
        )
    pk = module.pk
    module.delete()  # its (empty) performance records go with it
    module.pk = pk
    log_action(
        actor=actor,
        action="concept_module.delete",
        target_type="concept_module",
        target_id=pk,
        payload={"code": code, "title": module.title},
    )
    return module
