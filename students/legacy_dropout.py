"""import_legacy for the Veritas dropout detection: dropout_students, dropout_learning_events,
dropout_assessments, dropout_attempt_history, dropout_feature_sets and dropout_predictions
(in that order). Its concept codes name the dashboard's concept modules: import
veritas-dashboard first (`all` does)."""

from __future__ import annotations

import uuid

from django.db import connection

from config.legacy.framework import (
    Column,
    Refused,
    TableSpec,
    checked_values,
    clean_field,
    legacy_choice,
    legacy_json,
    legacy_number,
    legacy_text,
    legacy_time,
    resolve_columns,
)
from config.legacy.sql import insert_returning
from students.legacy_assessments import (
    assessment_values,
    check_attempt,
    insert_assessments,
    insert_attempts,
)
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
from students.models import (
    DropoutPrediction,
    FeatureSet,
    LearningEvent,
    RiskBand,
)
from students.risk import band_of

SYSTEM = "veritas-dropout"
# Event ids of imported events: uuid5 of `dropout_learning_events:<legacy id>` in this
# namespace, so a rerun finds them (the same ON CONFLICT (event_id) as learningEventsRecord).
EVENT_NAMESPACE = uuid.UUID("6f1c3a52-7a0e-4c7b-9d55-3f1f0e8b2a10")
LEGACY_VERSION = "legacy"

EVENT_TYPES = {t: t for t in LearningEvent.EventType.values} | {
    "page_view": "view",
    "content_view": "view",
    "video_view": "view",
    "material_view": "view",
    "submission": "submit",
    "assignment_submit": "submit",
    "quiz_attempt": "quiz",
    "quiz_submit": "quiz",
    "sign_in": "login",
}

EVENT_INSERT = """
    INSERT INTO students_learningevent
        (student_id, module_id, event_type, occurred_at, duration_s, metadata, event_id)
    SELECT r.student_id, r.module_id, r.event_type, r.occurred_at, r.duration_s, r.metadata,
           r.event_id
    FROM jsonb_to_recordset(%s::jsonb) AS r(student_id bigint, module_id bigint,
        event_type text, occurred_at timestamptz, duration_s int, metadata jsonb, event_id uuid,
        n int)
    ORDER BY n
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id::text
"""

FEATURES_INSERT = """
    INSERT INTO students_featureset
        (id, student_id, features, feature_version, window_start, window_end, computed_at)
    SELECT r.id, r.student_id, r.features, r.feature_version, r.window_start, r.window_end,
           r.computed_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, student_id bigint, features jsonb,
        feature_version text, window_start timestamptz, window_end timestamptz,
        computed_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING id
"""

PREDICTION_INSERT = """
    INSERT INTO students_dropoutprediction (id, student_id, feature_set_id, risk_score,
        risk_band, model_version, top_factors, as_of, predicted_at)
    SELECT r.id, r.student_id, r.feature_set_id, r.risk_score, r.risk_band, r.model_version,
           r.top_factors, r.as_of, r.predicted_at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, student_id bigint, feature_set_id bigint,
        risk_score float8, risk_band text, model_version text, top_factors jsonb,
        as_of timestamptz, predicted_at timestamptz, n int)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING id
"""

# As dropoutRiskCompute keeps it: a student's latest prediction is the newest computed.
LATEST_UPDATE = """
    UPDATE students_student AS s SET latest_prediction_id = p.id
    FROM (
        SELECT DISTINCT ON (student_id) student_id, id FROM students_dropoutprediction
        WHERE student_id = ANY(%s) ORDER BY student_id, predicted_at DESC, id DESC
    ) AS p
    WHERE s.id = p.student_id AND s.latest_prediction_id IS DISTINCT FROM p.id
"""


def event_id(legacy_key) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"dropout_learning_events:{legacy_key}")


def convert_event(row, ctx):
    """The checks of the event model's fields (event type by the mapping, the time by the
    API's range), one field at a time: a whole `full_clean` per event halved the rate."""
    metadata = legacy_json(row, "metadata", default={})
    if not isinstance(metadata, dict):
        raise Refused(f"metadata: must be a JSON object, got {type(metadata).__name__}")
    return {
        "student": legacy_text(row, "student"),
        "module": legacy_text(row, "module") or None,
        "event_type": legacy_choice(row, "event_type", EVENT_TYPES),
        "occurred_at": legacy_time(row, "occurred_at", required=True),
        "duration_s": clean_field(LearningEvent, "duration_s", row.get("duration_s")),
        "metadata": clean_field(LearningEvent, "metadata", metadata),
        "event_id": str(event_id(legacy_id(row))),
    }


def insert_events(rows, ctx) -> dict:
    ready, outcome = resolve(rows, module="optional")
    inserted = set(insert_returning(EVENT_INSERT, [row for _, row in ready]))
    for key, row in ready:
        outcome[key] = "imported" if row["event_id"] in inserted else "present"
    return outcome


def convert_assessment(row, ctx):
    return assessment_values(row, time_column="taken_at")


def convert_attempt(row, ctx):
    number_ = row.get("attempt_number")
    if number_ is not None and (not isinstance(number_, int) or number_ < 1):
        raise Refused(f"attempt_number: {number_!r} is not a whole number from 1")
    score = legacy_number(row, "score", required=True)
    max_score = legacy_number(row, "max_score", required=True)
    check_attempt(score=score, max_score=max_score)
    return {
        "assessment": legacy_id(row, "assessment_id"),
        "student": legacy_text(row, "student") or None,
        "attempt_number": number_,
        "score": score,
        "max_score": max_score,
        "taken_at": legacy_time(row, "taken_at", required=True),
        "import_key": f"dropout_attempt_history:{legacy_id(row)}",
    }


def insert_attempt_history(rows, ctx) -> dict:
    """Each attempt takes its assessment's student, module, kind and title from the legacy
    dropout_assessments row it names (read back from the legacy database)."""
    assessments = _legacy_assessments(ctx, {row["assessment"] for _, row in rows})
    outcome, ready = {}, []
    for key, row in rows:
        found = assessments.get(row["assessment"])
        if isinstance(found, str):
            outcome[key] = f"its assessment {row['assessment']}: {found}"
        elif found is None:
            outcome[key] = f"its assessment {row['assessment']} is not in dropout_assessments"
        elif row["student"] and row["student"] != found["student"]:
            outcome[key] = (
                f"student {row['student']!r} is not its assessment's ({found['student']!r})"
            )
        else:
            ready.append((key, {**found, **row, "student": found["student"]}))
    return outcome | insert_attempts(ready, ctx)


def _legacy_assessments(ctx, ids: set[int]) -> dict:
    """{legacy id: the values of its dropout_assessments row, or why that row is refused}."""
    found = ctx.cache.get("dropout_assessments_columns")
    if found is None:
        try:
            columns = ctx.source.columns("dropout_assessments") or {}
            found = resolve_columns(ASSESSMENTS, columns)[0]
        except Refused:
            return {}  # no such table, or not one this import reads: none are found
        ctx.cache["dropout_assessments_columns"] = found
    legacy = ctx.source.rows_in("dropout_assessments", list(found.values()), found["id"], ids)
    result = {}
    for theirs in legacy:
        row = {ours: theirs[name] for ours, name in found.items()}
        try:
            values = assessment_values(row, time_column="taken_at")
        except Refused as exc:
            result[row["id"]] = f"refused ({exc})"
        else:
            result[row["id"]] = {k: values[k] for k in ("student", "module", "kind", "title")}
    return result


def convert_feature_set(row, ctx):
    features = legacy_json(row, "features")
    if not isinstance(features, dict):
        raise Refused("features: must be a JSON object")
    computed_at = legacy_time(row, "computed_at")
    window_end = legacy_time(row, "window_end") or computed_at
    if window_end is None:
        raise Refused("computed_at: is required when window_end is missing")
    feature_set = FeatureSet(
        id=legacy_id(row),
        features=features,
        feature_version=legacy_text(row, "feature_version") or LEGACY_VERSION,
        window_start=legacy_time(row, "window_start") or window_end,
        window_end=window_end,
        computed_at=computed_at or window_end,
    )
    return checked_values(
        feature_set,
        ("id", "features", "feature_version", "window_start", "window_end", "computed_at"),
        exclude=["student"],
    ) | {"student": legacy_text(row, "student")}


def insert_feature_sets(rows, ctx) -> dict:
    ready, outcome = resolve(rows, module=None)
    return outcome | insert_kept_ids(
        FEATURES_INSERT, "students_featureset", FeatureSet, ready, ctx, what="feature set"
    )


FACTOR_KEYS = {"factor", "value", "weight", "contribution"}


def _factors(row) -> list:
    factors = legacy_json(row, "top_factors", default=[])
    ok = isinstance(factors, list) and all(
        isinstance(f, dict)
        and set(f) == FACTOR_KEYS
        and isinstance(f["factor"], str)
        and all(
            isinstance(f[k], int | float) and not isinstance(f[k], bool)
            for k in FACTOR_KEYS - {"factor"}
        )
        for f in factors
    )
    if not ok:
        raise Refused(
            "top_factors: must be a list of objects with factor, value, weight and contribution"
        )
    return factors


def convert_prediction(row, ctx):
    risk_score = legacy_number(row, "risk_score", required=True)
    if not 0 <= risk_score <= 1:
        raise Refused(f"risk_score: {risk_score:g} is not from 0 to 1")
    bands = {b: b for b in RiskBand.values}
    predicted_at = legacy_time(row, "predicted_at", required=True)
    prediction = DropoutPrediction(
        id=legacy_id(row),
        feature_set_id=legacy_id(row, "feature_set_id"),
        risk_score=risk_score,
        risk_band=legacy_choice(row, "risk_band", bands, default=band_of(risk_score)),
        model_version=legacy_text(row, "model_version") or LEGACY_VERSION,
        top_factors=_factors(row),
        as_of=legacy_time(row, "as_of") or predicted_at,
        predicted_at=predicted_at,
    )
    # top_factors is checked above (an empty list is a prediction with nothing raising it).
    fields = ("id", "feature_set_id", "risk_score", "risk_band", "model_version", "top_factors")
    return checked_values(
        prediction,
        (*fields, "as_of", "predicted_at"),
        exclude=["student", "feature_set", "top_factors"],
        validate_constraints=False,
    ) | {"student": legacy_text(row, "student")}


def insert_predictions(rows, ctx) -> dict:
    ready, outcome = resolve(rows, module=None)
    owners = dict(
        FeatureSet.objects.filter(pk__in={r["feature_set_id"] for _, r in ready}).values_list(
            "pk", "student_id"
        )
    )
    taken = dict(
        DropoutPrediction.objects.filter(feature_set_id__in=set(owners)).values_list(
            "feature_set_id", "pk"
        )
    )
    checked = []
    for key, row in ready:
        feature_set = row["feature_set_id"]
        if feature_set not in owners:
            outcome[key] = f"its feature set {feature_set} was not imported"
        elif owners[feature_set] != row["student_id"]:
            outcome[key] = f"its feature set {feature_set} is another student's"
        elif taken.get(feature_set, row["id"]) != row["id"]:
            outcome[key] = f"feature set {feature_set} already has prediction {taken[feature_set]}"
        else:
            taken[feature_set] = row["id"]
            checked.append((key, row))
    outcome |= insert_kept_ids(
        PREDICTION_INSERT,
        "students_dropoutprediction",
        DropoutPrediction,
        checked,
        ctx,
        what="prediction",
    )
    students = sorted({row["student_id"] for key, row in checked if outcome[key] == "imported"})
    if students:
        with connection.cursor() as cursor:
            cursor.execute(LATEST_UPDATE, [students])
    return outcome


STUDENT_COLUMN = Column("student", required=True, aliases=("student_id", "student_code"))

ASSESSMENTS = TableSpec(
    system=SYSTEM,
    table="dropout_assessments",
    key="id",
    columns=(
        Column("id", required=True),
        STUDENT_COLUMN,
        Column("module", required=True, aliases=MODULE_CODE),
        Column("kind", required=True, aliases=("assessment_type", "type")),
        Column("title", aliases=("assessment_name", "name")),
        Column("score", required=True),
        Column("max_score", required=True, aliases=("total", "out_of")),
        Column("taken_at", required=True, aliases=("timestamp", "assessed_at", "created_at")),
    ),
    convert=convert_assessment,
    insert=insert_assessments,
    finish=recompute_performance,
    time_column="taken_at",
    target="students.Assessment",
)

DROPOUT = (
    TableSpec(
        system=SYSTEM,
        table="dropout_students",
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
        table="dropout_learning_events",
        key="id",
        columns=(
            Column("id", required=True),
            STUDENT_COLUMN,
            Column("module", aliases=MODULE_CODE),
            Column("event_type", required=True, aliases=("type", "activity_type")),
            Column("occurred_at", required=True, aliases=("timestamp", "created_at")),
            Column("duration_s", aliases=("duration_seconds", "duration")),
            Column("metadata", aliases=("details", "data", "event_data")),
        ),
        convert=convert_event,
        insert=insert_events,
        finish=recompute_performance,
        time_column="occurred_at",
        target="students.LearningEvent",
    ),
    ASSESSMENTS,
    TableSpec(
        system=SYSTEM,
        table="dropout_attempt_history",
        key="id",
        columns=(
            Column("id", required=True),
            Column("assessment_id", required=True),
            Column("student", aliases=("student_id", "student_code")),
            Column("attempt_number", aliases=("attempt", "attempt_no")),
            Column("score", required=True),
            Column("max_score", required=True, aliases=("total", "out_of")),
            Column("taken_at", required=True, aliases=("attempted_at", "timestamp")),
        ),
        convert=convert_attempt,
        insert=insert_attempt_history,
        finish=recompute_performance,
        time_column="taken_at",
        target="students.AttemptHistory",
    ),
    TableSpec(
        system=SYSTEM,
        table="dropout_feature_sets",
        key="id",
        columns=(
            Column("id", required=True),
            STUDENT_COLUMN,
            Column("features", required=True, aliases=("feature_vector", "data")),
            Column("feature_version", aliases=("version",)),
            Column("window_start"),
            Column("window_end"),
            Column("computed_at", aliases=("created_at", "timestamp")),
        ),
        convert=convert_feature_set,
        insert=insert_feature_sets,
        time_column="computed_at",
        target="students.FeatureSet",
    ),
    TableSpec(
        system=SYSTEM,
        table="dropout_predictions",
        key="id",
        columns=(
            Column("id", required=True),
            STUDENT_COLUMN,
            Column("feature_set_id", required=True),
            Column("risk_score", required=True, aliases=("dropout_probability", "probability")),
            Column("risk_band", aliases=("risk_level", "risk_category")),
            Column("model_version", aliases=("version",)),
            Column("top_factors", aliases=("contributing_factors", "factors")),
            Column("as_of"),
            Column("predicted_at", required=True, aliases=("created_at", "timestamp")),
        ),
        convert=convert_prediction,
        insert=insert_predictions,
        time_column="predicted_at",
        target="students.DropoutPrediction",
    ),
)
