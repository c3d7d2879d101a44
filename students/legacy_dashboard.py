"""import_legacy for the Veritas staff/student dashboard: concept_modules, students, drafts,
assessment_logs, action_logs and performance_records (in that order: what a row names is
imported before it)."""

from __future__ import annotations

from django.utils import timezone

from config.legacy.framework import (
    Column,
    TableSpec,
    checked_values,
    legacy_choice,
    legacy_json,
    legacy_text,
    legacy_time,
    results_from_returned,
)
from config.legacy.sql import insert_returning
from students.legacy_assessments import assessment_values, insert_attempts
from students.legacy_common import (
    MODULE_CODE,
    STUDENT_CODE,
    convert_student,
    insert_kept_ids,
    insert_students,
    legacy_id,
    recompute_performance,
    resolve,
)
from students.models import ActionLog, ConceptModule, Draft, PerformanceRecord

SYSTEM = "veritas-dashboard"

MODULE_INSERT = """
    INSERT INTO students_conceptmodule (code, title, "order")
    SELECT r.code, r.title, r.order
    FROM jsonb_to_recordset(%s::jsonb) AS r(code text, title text, "order" int, n int)
    ORDER BY n
    ON CONFLICT (code) DO NOTHING
    RETURNING code
"""

DRAFT_INSERT = """
    INSERT INTO students_draft (id, student_id, module_id, content, status, feedback, due_at,
        submitted_at, reviewed_at, created_at)
    SELECT r.id, r.student_id, r.module_id, r.content, r.status, r.feedback, r.due_at,
           r.submitted_at, r.reviewed_at, r.created_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, student_id bigint, module_id bigint,
        content text, status text, feedback text, due_at timestamptz, submitted_at timestamptz,
        reviewed_at timestamptz, created_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING id
"""

LOG_INSERT = """
    INSERT INTO students_actionlog
        (actor_label, action, target_type, target_id, payload, at, import_key)
    SELECT r.actor_label, r.action, r.target_type, r.target_id, r.payload, r.at, r.import_key
    FROM jsonb_to_recordset(%s::jsonb) AS r(actor_label text, action text, target_type text,
        target_id text, payload jsonb, at timestamptz, import_key text, n int)
    ORDER BY n
    ON CONFLICT (import_key) DO NOTHING
    RETURNING import_key
"""

DRAFT_STATUSES = {s: s for s in Draft.Status.values} | {
    "in_progress": Draft.Status.DRAFT,
    "pending": Draft.Status.SUBMITTED,
    "graded": Draft.Status.REVIEWED,
}


def convert_module(row, ctx):
    module = ConceptModule(
        code=legacy_text(row, "code"), title=legacy_text(row, "title"), order=row.get("order") or 0
    )
    return checked_values(module, ("code", "title", "order"))


def insert_modules(rows, ctx) -> dict:
    returned = set(insert_returning(MODULE_INSERT, [row for _, row in rows]))
    return {key: "imported" if row["code"] in returned else "present" for key, row in rows}


def convert_draft(row, ctx):
    submitted_at = legacy_time(row, "submitted_at")
    draft = Draft(
        id=legacy_id(row),
        content=legacy_text(row, "content"),
        status=legacy_choice(row, "status", DRAFT_STATUSES, default=Draft.Status.DRAFT),
        feedback=legacy_text(row, "feedback"),
        due_at=legacy_time(row, "due_at"),
        submitted_at=submitted_at,
        reviewed_at=legacy_time(row, "reviewed_at"),
        created_at=legacy_time(row, "created_at") or submitted_at or timezone.now(),
    )
    return checked_values(
        draft,
        ("id", "content", "status", "feedback", "due_at", "submitted_at", "reviewed_at"),
        exclude=["student", "module", "reviewed_by"],
    ) | {
        "student": legacy_text(row, "student"),
        "module": legacy_text(row, "module"),
        "created_at": draft.created_at,
    }


def insert_drafts(rows, ctx) -> dict:
    ready, outcome = resolve(rows)
    outcome |= insert_kept_ids(DRAFT_INSERT, "students_draft", Draft, ready, ctx, what="draft")
    return outcome


def convert_assessment_log(row, ctx):
    return assessment_values(row, time_column="taken_at") | {
        "import_key": f"assessment_logs:{legacy_id(row)}",
        "attempt_number": None,
    }


def convert_action_log(row, ctx):
    payload = legacy_json(row, "payload", default={})
    log = ActionLog(
        actor_label=legacy_text(row, "actor_label"),
        action=legacy_text(row, "action"),
        target_type=legacy_text(row, "target_type"),
        target_id=legacy_text(row, "target_id"),
        payload=payload,
        at=legacy_time(row, "at", required=True),
    )
    return checked_values(
        log,
        ("actor_label", "action", "target_type", "target_id", "payload", "at"),
        exclude=["actor", "api_key"],
    ) | {"import_key": f"action_logs:{legacy_id(row)}"}


def insert_action_logs(rows, ctx) -> dict:
    returned = set(insert_returning(LOG_INSERT, [row for _, row in rows]))
    by_key = {row["import_key"]: key for key, row in rows}
    return results_from_returned(by_key.values(), {by_key[k] for k in returned})


def convert_performance(row, ctx):
    return {"student": legacy_text(row, "student"), "module": legacy_text(row, "module")}


def insert_performance(rows, ctx) -> dict:
    """Derived here, never copied: present when the service derives a record for the same
    student and module from what was imported, refused otherwise."""
    ready, outcome = resolve(rows)
    derived = set(
        PerformanceRecord.objects.filter(
            student_id__in={r["student_id"] for _, r in ready}
        ).values_list("student_id", "module_id")
    )
    for key, row in ready:
        if (row["student_id"], row["module_id"]) in derived:
            outcome[key] = "present"
        else:
            outcome[key] = (
                "not derivable: no drafts, assessments or events of this student in this "
                "module were imported"
            )
    return outcome


DASHBOARD = (
    TableSpec(
        system=SYSTEM,
        table="concept_modules",
        key="id",
        columns=(
            Column("id", required=True),
            Column("code", required=True, aliases=("concept_id", "module_code", "slug")),
            Column("title", required=True, aliases=("name",)),
            Column("order", aliases=("order_index", "position", "sequence")),
        ),
        convert=convert_module,
        insert=insert_modules,
        integer_key=None,
        target="students.ConceptModule",
    ),
    TableSpec(
        system=SYSTEM,
        table="students",
        key="id",
        columns=(
            Column("id", required=True),
            STUDENT_CODE,
            Column("name", required=True, aliases=("full_name",)),
            Column("email", required=True),
            Column("status"),
            Column("enrolled_at", aliases=("enrollment_date", "enrolled_on")),
            Column("created_at"),
            Column("updated_at"),
        ),
        convert=convert_student,
        insert=insert_students,
        integer_key=None,
        time_column="created_at",
        target="students.Student",
    ),
    TableSpec(
        system=SYSTEM,
        table="drafts",
        key="id",
        columns=(
            Column("id", required=True),
            Column("student", required=True, aliases=("student_id", "student_code")),
            Column("module", required=True, aliases=MODULE_CODE),
            Column("content", required=True, aliases=("text", "body")),
            Column("status"),
            Column("feedback", aliases=("review_feedback", "comments")),
            Column("due_at", aliases=("deadline", "due_date")),
            Column("submitted_at"),
            Column("reviewed_at"),
            Column("created_at"),
        ),
        convert=convert_draft,
        insert=insert_drafts,
        finish=recompute_performance,
        time_column="created_at",
        target="students.Draft",
    ),
    TableSpec(
        system=SYSTEM,
        table="assessment_logs",
        key="id",
        columns=(
            Column("id", required=True),
            Column("student", required=True, aliases=("student_id", "student_code")),
            Column("module", required=True, aliases=MODULE_CODE),
            Column("kind", required=True, aliases=("assessment_type", "type")),
            Column("title", aliases=("assessment_name", "name")),
            Column("score", required=True),
            Column("max_score", required=True, aliases=("total", "out_of")),
            Column("taken_at", required=True, aliases=("timestamp", "created_at")),
        ),
        convert=convert_assessment_log,
        insert=insert_attempts,
        finish=recompute_performance,
        time_column="taken_at",
        target="students.Assessment, students.AttemptHistory",
    ),
    TableSpec(
        system=SYSTEM,
        table="action_logs",
        key="id",
        columns=(
            Column("id", required=True),
            Column("actor_label", aliases=("actor", "user", "performed_by")),
            Column("action", required=True),
            Column("target_type", required=True, aliases=("entity_type", "resource_type")),
            Column("target_id", aliases=("entity_id", "resource_id")),
            Column("payload", aliases=("details", "metadata", "data")),
            Column("at", required=True, aliases=("timestamp", "created_at")),
        ),
        convert=convert_action_log,
        insert=insert_action_logs,
        time_column="at",
        target="students.ActionLog",
    ),
    TableSpec(
        system=SYSTEM,
        table="performance_records",
        key="id",
        columns=(
            Column("id", required=True),
            Column("student", required=True, aliases=("student_id", "student_code")),
            Column("module", required=True, aliases=MODULE_CODE),
        ),
        convert=convert_performance,
        insert=insert_performance,
        reread=True,
        integer_key=None,
        target="students.PerformanceRecord (derived)",
    ),
)
