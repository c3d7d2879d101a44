"""What the two Veritas education importers (the staff/student dashboard and the dropout
detection) share: students found by code, modules by code, rows that keep their legacy ids.

Both systems' students become the one `Student` of their code: the dashboard's `students`
and the dropout system's `dropout_students` are the same people.
"""

from __future__ import annotations

from django.db.models.functions import Lower
from django.utils import timezone

from config.legacy.framework import (
    Column,
    Refused,
    checked_values,
    legacy_choice,
    legacy_text,
    legacy_time,
)
from config.legacy.sql import insert_returning, move_sequence_past_max
from students.models import ConceptModule, Student
from students.performance import performance_recompute

STUDENT_STATUSES = {s: s for s in Student.Status.values} | {
    "enrolled": Student.Status.ACTIVE,
    "dropped": Student.Status.WITHDRAWN,
    "dropped_out": Student.Status.WITHDRAWN,
    "dropout": Student.Status.WITHDRAWN,
    "graduate": Student.Status.GRADUATED,
}

STUDENT_CODE = Column("code", required=True, aliases=("student_id", "student_code"))
MODULE_CODE = ("concept_id", "module_id", "module_code", "concept_code", "module")

STUDENT_INSERT = """
    INSERT INTO students_student (code, name, email, status, enrolled_at, created_at, updated_at)
    SELECT r.code, r.name, r.email, r.status, r.enrolled_at, r.created_at, r.updated_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(code text, name text, email text, status text,
        enrolled_at timestamptz, created_at timestamptz, updated_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING code
"""


def convert_student(row, ctx) -> dict:
    """A legacy student (either system): code, name, email, status and its times."""
    created_at = legacy_time(row, "created_at")
    enrolled_at = legacy_time(row, "enrolled_at") or created_at or timezone.now()
    created_at = created_at or enrolled_at
    student = Student(
        code=legacy_text(row, "code"),
        name=legacy_text(row, "name"),
        email=legacy_text(row, "email").strip(),
        status=legacy_choice(row, "status", STUDENT_STATUSES, default=Student.Status.ACTIVE),
        enrolled_at=enrolled_at,
        created_at=created_at,
        updated_at=max(legacy_time(row, "updated_at") or created_at, created_at),
    )
    return checked_values(
        student,
        ("code", "name", "email", "status", "enrolled_at", "created_at", "updated_at"),
        exclude=["latest_prediction"],
        validate_constraints=False,
    )


def insert_students(rows, ctx) -> dict:
    """New codes are inserted; a code already here is the same student when its email is the
    same (whatever its case), else refused; a new code with a taken email is refused."""
    inserted = set(insert_returning(STUDENT_INSERT, [row for _, row in rows]))
    rest = [(key, row) for key, row in rows if row["code"] not in inserted]
    by_code = dict(
        Student.objects.filter(code__in={row["code"] for _, row in rest}).values_list(
            "code", "email"
        )
    )
    by_email = dict(
        Student.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email__in={row["email"].lower() for _, row in rest})
        .values_list("lower_email", "email")
    )
    outcome = {key: "imported" for key, row in rows if row["code"] in inserted}
    for key, row in rest:
        code, email = row["code"], row["email"]
        if code in by_code:
            same = by_code[code].lower() == email.lower()
            outcome[key] = (
                "present" if same else f"code {code!r} is already a student with another email"
            )
        elif by_email.get(email.lower(), email) != email:
            outcome[key] = (
                f"email: {email!r} duplicates {by_email[email.lower()]!r} differing in case"
            )
        else:
            outcome[key] = f"email: {email!r} is already another student's"
    return outcome


def resolve(rows, *, module: str | None = "required") -> tuple[list, dict]:
    """Student (and module) codes to ids; rows naming one not here are refused.

    `module`: "required", "optional" or None (the rows have no module)."""
    students = dict(
        Student.objects.filter(code__in={r["student"] for _, r in rows}).values_list("code", "pk")
    )
    modules = {}
    if module:
        codes = {r["module"] for _, r in rows if r.get("module")}
        modules = dict(ConceptModule.objects.filter(code__in=codes).values_list("code", "pk"))
    ready, refused = [], {}
    for key, row in rows:
        row["student_id"] = students.get(row["student"])
        if row["student_id"] is None:
            refused[key] = f"student {row['student']!r} was not imported"
            continue
        if module:
            row["module_id"] = modules.get(row["module"]) if row.get("module") else None
            if row["module_id"] is None and (module == "required" or row.get("module")):
                refused[key] = (
                    f"concept module {row['module']!r} was not imported"
                    if row.get("module")
                    else "module: is required"
                )
                continue
        ready.append((key, row))
    return ready, refused


def insert_kept_ids(statement: str, table: str, model, rows, ctx, *, what: str) -> dict:
    """Rows keeping their legacy integer ids (`ON CONFLICT DO NOTHING RETURNING id`): an id
    already here is the same row when it belongs to the same student, else refused; the id
    sequence then moves past the largest id."""
    returned = set(insert_returning(statement, [row for _, row in rows]))
    if returned and not ctx.dry_run:  # a sequence does not roll back with a dry run
        move_sequence_past_max(table)
    owners = dict(
        model.objects.filter(pk__in={r["id"] for _, r in rows} - returned).values_list(
            "pk", "student_id"
        )
    )
    outcome = {}
    for key, row in rows:
        if row["id"] in returned:
            outcome[key] = "imported"
        elif owners.get(row["id"]) == row["student_id"]:
            outcome[key] = "present"
        elif row["id"] in owners:
            outcome[key] = f"id {row['id']} is taken by another student's {what}"
        else:
            outcome[key] = f"{what} {row['id']} conflicts with one already here"
    return outcome


def recompute_performance(ctx) -> None:
    """After a table that feeds the performance records: recompute them for everyone, in one
    statement (per batch, the students of each batch would be read again and again; and a
    killed run's committed batches are covered by the rerun's recompute)."""
    performance_recompute()


def legacy_id(row: dict, name: str = "id") -> int:
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{name}: {value!r} is not an integer id")
    return value
