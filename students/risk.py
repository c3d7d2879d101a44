"""Dropout risk: features computed in SQL for any number of students at once, and a small,
readable logistic model (weights named and versioned here; see docs/students.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from config.inputs import database_id
from students.audit import Actor, log_action
from students.models import PASS_RATIO, RiskBand, Student

FEATURE_VERSION = "features-v1"
MODEL_VERSION = "dropout-logit-v1"
WINDOW_DAYS = 28  # two halves of 14 days: "recent" and "previous"
INACTIVITY_CAP_DAYS = 56
COUNT_CAP = 10
SCORE_TARGET = 0.7
TOP_FACTORS = 3

# z = BIAS + sum(WEIGHTS[name] * inputs[name]); risk = 1 / (1 + exp(-z)).
# Every input is 0 for a student who is on track, so the bias alone gives the base risk
# (sigmoid(-2.0) = 0.12) and each positive contribution is a reason for more risk.
BIAS = -2.0
WEIGHTS = {
    "inactivity_weeks": 0.7,  # weeks since the last activity, capped at 8
    "activity_decline": 1.5,  # (previous - recent) / (previous + recent) events, -1 … 1
    "score_gap": 4.0,  # 0.7 - mean score share (0 without attempts), -0.3 … 0.7
    "score_decline": 3.0,  # earlier mean score - recent mean score, -1 … 1
    "failed_attempts": 0.4,  # failed attempts in the window, capped at 10
    "overdue_drafts": 0.6,  # drafts past due and not submitted, capped at 10
}
# risk < 0.3: low; < 0.6: medium; otherwise high.
BAND_LIMITS = ((0.3, RiskBand.LOW), (0.6, RiskBand.MEDIUM))

# One statement: the features of every student in scope, from their events, attempts and
# drafts up to asOf, stored as FeatureSets; returns them with the students' codes.
FEATURES_SQL = """
WITH scope AS (
    SELECT id, code, enrolled_at FROM students_student
    WHERE CASE WHEN %(ids)s::bigint[] IS NULL THEN status = 'active'
               ELSE id = ANY(%(ids)s::bigint[]) END
),
ev AS (
    SELECT e.student_id,
           max(e.occurred_at) AS last_at,
           count(*) FILTER (WHERE e.occurred_at > %(mid)s) AS recent,
           count(*) FILTER (WHERE e.occurred_at > %(start)s AND e.occurred_at <= %(mid)s)
               AS previous
    FROM students_learningevent AS e JOIN scope AS s ON s.id = e.student_id
    WHERE e.occurred_at <= %(as_of)s
    GROUP BY e.student_id
),
att AS (
    SELECT h.student_id,
           max(h.taken_at) AS last_at,
           avg(h.score / h.max_score) AS mean_score,
           avg(h.score / h.max_score) FILTER (WHERE h.taken_at > %(mid)s) AS recent_mean,
           avg(h.score / h.max_score) FILTER (WHERE h.taken_at <= %(mid)s) AS earlier_mean,
           count(*) FILTER (WHERE h.taken_at > %(start)s AND h.score < %(pass)s * h.max_score)
               AS failed
    FROM students_attempthistory AS h JOIN scope AS s ON s.id = h.student_id
    WHERE h.taken_at <= %(as_of)s
    GROUP BY h.student_id
),
dr AS (
    SELECT d.student_id,
           max(d.submitted_at) FILTER (WHERE d.submitted_at <= %(as_of)s) AS last_at,
           count(*) FILTER (
               WHERE d.due_at < %(as_of)s
                 AND (d.submitted_at IS NULL OR d.submitted_at > %(as_of)s)
           ) AS overdue
    FROM students_draft AS d JOIN scope AS s ON s.id = d.student_id
    WHERE d.created_at <= %(as_of)s
    GROUP BY d.student_id
),
features AS (
    SELECT s.id AS student_id, s.code, jsonb_build_object(
        'days_since_last_activity', round(greatest(0, extract(epoch FROM %(as_of)s - coalesce(
            greatest(ev.last_at, att.last_at, dr.last_at), least(s.enrolled_at, %(as_of)s)
        )) / 86400)::numeric, 3),
        'events_recent_14d', coalesce(ev.recent, 0),
        'events_previous_14d', coalesce(ev.previous, 0),
        'mean_score', round(att.mean_score::numeric, 4),
        'recent_mean_score', round(att.recent_mean::numeric, 4),
        'earlier_mean_score', round(att.earlier_mean::numeric, 4),
        'failed_attempts_28d', coalesce(att.failed, 0),
        'overdue_drafts', coalesce(dr.overdue, 0)
    ) AS features
    FROM scope AS s
    LEFT JOIN ev ON ev.student_id = s.id
    LEFT JOIN att ON att.student_id = s.id
    LEFT JOIN dr ON dr.student_id = s.id
),
stored AS (
    INSERT INTO students_featureset
        (student_id, features, feature_version, window_start, window_end, computed_at)
    SELECT student_id, features, %(version)s, %(start)s, %(as_of)s, %(now)s
    FROM features ORDER BY student_id
    RETURNING id, student_id, features
)
SELECT stored.id, stored.student_id, features.code, stored.features
FROM stored JOIN features USING (student_id)
ORDER BY stored.student_id
"""

PREDICTIONS_INSERT_SQL = """
    INSERT INTO students_dropoutprediction
        (student_id, feature_set_id, risk_score, risk_band, model_version, top_factors,
         as_of, predicted_at)
    SELECT student_id, feature_set_id, risk_score, risk_band, %s, top_factors, %s, %s
    FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::varchar[], %s::jsonb[])
        AS t(student_id, feature_set_id, risk_score, risk_band, top_factors)
    ORDER BY student_id
    RETURNING id, student_id
"""

LATEST_UPDATE_SQL = """
    UPDATE students_student AS s SET latest_prediction_id = t.prediction_id
    FROM unnest(%s::bigint[], %s::bigint[]) AS t(student_id, prediction_id)
    WHERE s.id = t.student_id
"""


def model_inputs(features: Mapping[str, object]) -> dict[str, float]:
    """The model's inputs from a student's stored features (0 means on track)."""
    days = float(features["days_since_last_activity"])
    recent = int(features["events_recent_14d"])
    previous = int(features["events_previous_14d"])
    mean = features.get("mean_score")
    recent_mean = features.get("recent_mean_score")
    earlier_mean = features.get("earlier_mean_score")
    return {
        "inactivity_weeks": min(days, INACTIVITY_CAP_DAYS) / 7,
        "activity_decline": (previous - recent) / (previous + recent) if recent + previous else 0.0,
        "score_gap": SCORE_TARGET - float(mean) if mean is not None else 0.0,
        "score_decline": (
            float(earlier_mean) - float(recent_mean)
            if recent_mean is not None and earlier_mean is not None
            else 0.0
        ),
        "failed_attempts": float(min(int(features["failed_attempts_28d"]), COUNT_CAP)),
        "overdue_drafts": float(min(int(features["overdue_drafts"]), COUNT_CAP)),
    }


def band_of(score: float) -> str:
    for limit, band in BAND_LIMITS:
        if score < limit:
            return band
    return RiskBand.HIGH


@dataclass(frozen=True)
class Score:
    risk_score: float
    risk_band: str
    top_factors: list[dict[str, object]]


def score(features: Mapping[str, object]) -> Score:
    """Risk, band and the inputs that raised the risk most (at most 3, largest first)."""
    inputs = model_inputs(features)
    contributions = {name: WEIGHTS[name] * value for name, value in inputs.items()}
    z = BIAS + sum(contributions.values())
    risk = 1 / (1 + math.exp(-z))
    raising = sorted(
        (item for item in contributions.items() if item[1] > 0), key=lambda kv: (-kv[1], kv[0])
    )
    top = [
        {
            "factor": name,
            "value": round(inputs[name], 4),
            "weight": WEIGHTS[name],
            "contribution": round(contribution, 4),
        }
        for name, contribution in raising[:TOP_FACTORS]
    ]
    return Score(risk_score=round(risk, 6), risk_band=band_of(risk), top_factors=top)


@dataclass(frozen=True)
class StudentRisk:
    student_id: int
    student_code: str
    feature_set_id: int
    prediction_id: int
    features: dict[str, object]
    risk_score: float
    risk_band: str
    top_factors: list[dict[str, object]]


@dataclass(frozen=True)
class RiskRun:
    as_of: datetime
    model_version: str
    results: list[StudentRisk]


def _known_ids(student_ids: Iterable[object]) -> list[int]:
    texts = [str(value) for value in student_ids]
    bad = [t for t in texts if database_id(t) is None]
    ids = sorted({database_id(t) for t in texts if t not in bad})
    found = set(Student.objects.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = bad + [str(i) for i in ids if i not in found]
    if unknown:
        raise ValidationError({"student_ids": f"No student with id {', '.join(unknown)}."})
    return ids


@transaction.atomic
def dropout_risk_compute(
    *, actor: Actor, student_ids: Iterable[object] | None = None, as_of: datetime | None = None
) -> RiskRun:
    """Features, FeatureSets and DropoutPredictions for the given students (all active ones
    when None) as of `as_of` (default now), in a fixed number of statements.

    Deterministic for the same data and as_of; earlier predictions are kept.
    """
    ids = None if student_ids is None else _known_ids(student_ids)
    now = timezone.now()
    as_of = as_of or now
    start = as_of - timedelta(days=WINDOW_DAYS)
    params = {
        "ids": ids,
        "as_of": as_of,
        "mid": as_of - timedelta(days=WINDOW_DAYS // 2),
        "start": start,
        "pass": PASS_RATIO,
        "version": FEATURE_VERSION,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(FEATURES_SQL, params)
        # Django reads jsonb as text (it decodes JSON fields itself).
        rows = [(pk, sid, code, json.loads(f)) for pk, sid, code, f in cursor.fetchall()]
        scored = [(row, score(row[3])) for row in rows]
        cursor.execute(
            PREDICTIONS_INSERT_SQL,
            [
                MODEL_VERSION,
                as_of,
                now,
                [row[1] for row, _ in scored],
                [row[0] for row, _ in scored],
                [s.risk_score for _, s in scored],
                [s.risk_band for _, s in scored],
                [Jsonb(s.top_factors) for _, s in scored],
            ],
        )
        prediction_ids = dict((student_id, pk) for pk, student_id in cursor.fetchall())
        cursor.execute(LATEST_UPDATE_SQL, [list(prediction_ids), list(prediction_ids.values())])
    results = [
        StudentRisk(
            student_id=row[1],
            student_code=row[2],
            feature_set_id=row[0],
            prediction_id=prediction_ids[row[1]],
            features=row[3],
            risk_score=s.risk_score,
            risk_band=s.risk_band,
            top_factors=s.top_factors,
        )
        for row, s in scored
    ]
    bands = {band: 0 for band in RiskBand.values}
    for result in results:
        bands[result.risk_band] += 1
    log_action(
        actor=actor,
        action="dropout_risk.compute",
        target_type="dropout_prediction",
        payload={
            "as_of": as_of.isoformat(),
            "model_version": MODEL_VERSION,
            "students": len(results),
            "bands": bands,
            "student_ids": None if ids is None else ids[:100],
        },
    )
    return RiskRun(as_of=as_of, model_version=MODEL_VERSION, results=results)


# What each model input means, in words for staff (dashboards and the admin).
FACTOR_WORDS = {
    "inactivity_weeks": "inactive for {value:.1f} weeks",
    "activity_decline": "activity down {percent:.0f}% on the previous two weeks",
    "score_gap": "mean score {percent:.0f} points below the 70% target",
    "score_decline": "recent scores {percent:.0f} points below earlier ones",
    "failed_attempts": "{value:.0f} failed attempts in four weeks",
    "overdue_drafts": "{value:.0f} overdue drafts",
}


def factor_text(factor: Mapping[str, object]) -> str:
    """One top factor of a prediction in words: "inactive for 3.0 weeks"."""
    name = str(factor.get("factor", ""))
    value = float(factor.get("value") or 0)
    words = FACTOR_WORDS.get(name)
    return words.format(value=value, percent=value * 100) if words else name.replace("_", " ")
