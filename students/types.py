"""GraphQL types of the students app: records, with their filter and order."""

from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from strawberry import auto
from strawberry.scalars import JSON
from strawberry_django.permissions import HasPerm

from config.connections import NestedList, nested_connection
from config.enums import choices_enum
from config.text import nothing_if_unstorable
from students import models
from students.models import PerformanceRecord

VIEW_EMAIL = "students.view_student_email"
VIEW_PREDICTION = "students.view_dropoutprediction"


def may(info: strawberry.Info, perm: str) -> bool:
    user = info.context.request.user
    return user.is_authenticated and user.has_perm(perm)


StudentStatus = choices_enum(
    models.Student.Status,
    name="StudentStatus",
    description="Enrolment status of a student.",
    values={
        "ACTIVE": "Studying.",
        "WITHDRAWN": "Left without finishing.",
        "GRADUATED": "Finished.",
    },
)


DraftStatus = choices_enum(
    models.Draft.Status,
    name="DraftStatus",
    description="Where a draft is in its life.",
    values={
        "DRAFT": "Saved, not submitted.",
        "SUBMITTED": "Submitted, awaiting review.",
        "REVIEWED": "Reviewed, with feedback.",
    },
)


AssessmentKind = choices_enum(
    models.Assessment.Kind,
    name="AssessmentKind",
    description="Kind of assessment.",
    values={
        "QUIZ": "A short quiz.",
        "TEST": "A test.",
        "EXAM": "An exam.",
        "ASSIGNMENT": "A graded assignment.",
    },
)


EventKind = choices_enum(
    models.LearningEvent.EventType,
    name="LearningEventType",
    description="What a student did.",
    values={
        "LOGIN": "Signed in.",
        "VIEW": "Viewed material.",
        "SUBMIT": "Submitted work.",
        "QUIZ": "Took a quiz.",
    },
)


RiskBandEnum = choices_enum(
    models.RiskBand,
    name="RiskBand",
    description="Dropout risk band: low < 0.3 ≤ medium < 0.6 ≤ high.",
    values={
        "LOW": "Risk below 0.3.",
        "MEDIUM": "Risk from 0.3 to below 0.6.",
        "HIGH": "Risk 0.6 or more.",
    },
)


@strawberry_django.type(
    models.ConceptModule, name="ConceptModule", description="A learning concept (unit)."
)
class ConceptModuleType:
    id: strawberry.ID = strawberry_django.field(description="Module id.")
    code: str = strawberry_django.field(description="Short code, e.g. 'alg1'.")
    title: str = strawberry_django.field(description="Title.")
    order: int = strawberry_django.field(description="Position in the curriculum.")


@strawberry_django.type(models.Draft, name="Draft", description="A student's piece of work.")
class DraftType:
    id: strawberry.ID = strawberry_django.field(description="Draft id.")
    module: ConceptModuleType = strawberry_django.field(description="The module it is for.")
    content: str = strawberry_django.field(description="The text.")
    status: DraftStatus = strawberry_django.field(description="Draft, submitted or reviewed.")
    feedback: str = strawberry_django.field(description="Reviewer's feedback ('' before review).")
    due_at: datetime | None = strawberry_django.field(description="Deadline, if any.")
    submitted_at: datetime | None = strawberry_django.field(description="When submitted.")
    reviewed_at: datetime | None = strawberry_django.field(description="When reviewed.")
    created_at: datetime = strawberry_django.field(description="When first saved.")


@strawberry_django.type(
    models.Assessment,
    name="Assessment",
    description="One assessment as sat by a student: the latest result and attempt count.",
)
class AssessmentType:
    id: strawberry.ID = strawberry_django.field(description="Assessment id.")
    module: ConceptModuleType = strawberry_django.field(description="The module assessed.")
    kind: AssessmentKind = strawberry_django.field(description="Kind of assessment.")
    title: str = strawberry_django.field(description="Title, e.g. 'Quiz 2' ('' when none).")
    score: float = strawberry_django.field(description="Score of the latest attempt.")
    max_score: float = strawberry_django.field(description="Maximum score of the latest attempt.")
    taken_at: datetime = strawberry_django.field(description="When the latest attempt was taken.")
    attempt_count: int = strawberry_django.field(description="Attempts recorded so far.")


@strawberry_django.type(
    models.AttemptHistory, name="Attempt", description="One attempt at an assessment."
)
class AttemptType:
    id: strawberry.ID = strawberry_django.field(description="Attempt id.")
    assessment: AssessmentType = strawberry_django.field(description="The assessment.")
    attempt_number: int = strawberry_django.field(
        description="1, 2, 3 … per assessment, in the order recorded, without gaps."
    )
    score: float = strawberry_django.field(description="Score.")
    max_score: float = strawberry_django.field(description="Maximum score.")
    taken_at: datetime = strawberry_django.field(description="When it was taken.")

    @strawberry_django.field(
        only=["score", "max_score"], description="Score at least half the maximum."
    )
    def passed(self) -> bool:
        return self.passed


@strawberry_django.type(
    models.LearningEvent, name="LearningEvent", description="Something a student did."
)
class LearningEventType:
    id: strawberry.ID = strawberry_django.field(description="Event id.")
    module: ConceptModuleType | None = strawberry_django.field(description="Module, if any.")
    event_type: EventKind = strawberry_django.field(description="What happened.")
    occurred_at: datetime = strawberry_django.field(description="When it happened.")
    duration_s: int | None = strawberry_django.field(description="Duration in seconds.")
    metadata: JSON = strawberry_django.field(description="Free-form details (a JSON object).")
    event_id: strawberry.ID | None = strawberry_django.field(
        description="Client-supplied UUID that made the write idempotent, if given."
    )


@strawberry_django.type(
    PerformanceRecord,
    name="PerformanceRecord",
    description="How a student does in one module; derived from their data, recomputed on "
    "every change.",
)
class PerformanceRecordType:
    module: ConceptModuleType = strawberry_django.field(description="The module.")
    mastery: float = strawberry_django.field(
        description="Mean of score/maxScore of each assessment's latest attempt, 0 to 1."
    )
    average_score: float | None = strawberry_django.field(
        description="Mean of score/maxScore over all attempts, 0 to 1; null without attempts."
    )
    completion: float = strawberry_django.field(
        description="Share of drafts submitted or reviewed and assessments passed, 0 to 1."
    )
    attempt_count: int = strawberry_django.field(description="Attempts in the module.")
    event_count: int = strawberry_django.field(description="Events in the module.")
    updated_at: datetime = strawberry_django.field(description="When last recomputed.")


@strawberry.type(name="RiskFactor", description="One input that raised a student's risk.")
class RiskFactorType:
    factor: str = strawberry.field(description="Input name, e.g. 'inactivity_weeks'.")
    value: float = strawberry.field(description="The input's value.")
    weight: float = strawberry.field(description="Its weight in the model.")
    contribution: float = strawberry.field(description="Weight times value, added to the logit.")


def risk_factors(factors: list[dict]) -> list[RiskFactorType]:
    return [RiskFactorType(**factor) for factor in factors]


@strawberry_django.type(
    models.FeatureSet, name="FeatureSet", description="The model inputs of one computation."
)
class FeatureSetType:
    features: JSON = strawberry_django.field(description="Feature name -> value.")
    feature_version: str = strawberry_django.field(description="Version of the feature SQL.")
    window_start: datetime = strawberry_django.field(description="Start of the window.")
    window_end: datetime = strawberry_django.field(
        description="The asOf instant; nothing later counts."
    )
    computed_at: datetime = strawberry_django.field(description="When computed.")


@strawberry_django.type(
    models.DropoutPrediction,
    name="DropoutPrediction",
    description="One computed dropout risk; earlier ones are kept as history.",
)
class DropoutPredictionType:
    id: strawberry.ID = strawberry_django.field(description="Prediction id.")
    risk_score: float = strawberry_django.field(description="Probability-like risk, 0 to 1.")
    risk_band: RiskBandEnum = strawberry_django.field(description="Low, medium or high.")
    model_version: str = strawberry_django.field(description="Scoring model version.")
    as_of: datetime = strawberry_django.field(description="The instant the data was read at.")
    predicted_at: datetime = strawberry_django.field(description="When it was computed.")
    feature_set: FeatureSetType = strawberry_django.field(description="The inputs used.")

    @strawberry_django.field(
        only=["top_factors"], description="Inputs that raised the risk most, largest first."
    )
    def top_factors(self) -> list[RiskFactorType]:
        return risk_factors(self.top_factors)


def _rows(model, perm: str | None = None):
    """Every row of `model` in its own order; without `perm`, none (the list reads empty)."""
    return NestedList(
        rows=lambda: model.objects.order_by(*model._meta.ordering),
        link="student_id",
        permission=perm,
    )


@strawberry_django.type(models.Student, name="Student", description="A student's record.")
class StudentType:
    id: strawberry.ID = strawberry_django.field(description="Student id.")
    code: str = strawberry_django.field(description="External code, e.g. 's001'.")
    name: str = strawberry_django.field(description="Full name.")
    status: StudentStatus = strawberry_django.field(description="Enrolment status.")
    enrolled_at: datetime = strawberry_django.field(description="When the student enrolled.")
    created_at: datetime = strawberry_django.field(description="When the record was created.")
    updated_at: datetime = strawberry_django.field(description="When it last changed.")
    erased_at: datetime | None = strawberry_django.field(
        description="When the personal data was erased (studentErase); null: never."
    )
    drafts = nested_connection(
        _rows(models.Draft), DraftType, description="Drafts, newest first; a page of them."
    )
    assessments = nested_connection(
        _rows(models.Assessment),
        AssessmentType,
        description="Assessments with their latest result, most recently taken first; a page "
        "of them.",
    )
    attempts = nested_connection(
        _rows(models.AttemptHistory),
        AttemptType,
        description="Every attempt, most recently taken first; a page of them.",
    )
    performance: list[PerformanceRecordType] = strawberry_django.field(
        field_name="performance_records",
        description="Performance per module, in curriculum order.",
    )
    latest_prediction: DropoutPredictionType | None = strawberry_django.field(
        description="The most recently computed dropout prediction; null when none, or "
        f"without {VIEW_PREDICTION}.",
        extensions=[HasPerm(VIEW_PREDICTION, fail_silently=True)],
    )
    predictions = nested_connection(
        _rows(models.DropoutPrediction, VIEW_PREDICTION),
        DropoutPredictionType,
        description=f"Prediction history, newest first; a page of it. Empty without "
        f"{VIEW_PREDICTION}.",
    )
    events = nested_connection(
        _rows(models.LearningEvent),
        LearningEventType,
        description="Learning events, newest first; a page of them. For a list of students, "
        "one statement reads the page of every student.",
    )

    @strawberry_django.field(
        only=["email"],
        description=f"Email address; null unless the caller holds {VIEW_EMAIL}.",
    )
    def email(self, info: strawberry.Info) -> str | None:
        return self.email if may(info, VIEW_EMAIL) else None


@strawberry_django.filter_type(
    models.Student,
    name="StudentFilter",
    description="Conditions a student must all meet (fields left out do not filter).",
)
class StudentFilter:
    status: StudentStatus | None = strawberry_django.filter_field(description="Only this status.")

    @strawberry_django.filter_field(
        description="Students with drafts, assessments or events in the module with this code."
    )
    def module(self, value: str, prefix: str) -> Q:
        if nothing := nothing_if_unstorable(value):
            return nothing
        records = PerformanceRecord.objects.filter(
            student=OuterRef(f"{prefix}pk"), module__code=value
        )
        return Q(Exists(records))

    @strawberry_django.filter_field(
        description=f"Students whose latest prediction is in this band (needs {VIEW_PREDICTION})."
    )
    def risk_band(self, info: strawberry.Info, value: RiskBandEnum, prefix: str) -> Q:
        if not may(info, VIEW_PREDICTION):
            raise PermissionDenied(f"You don't have permission to do this ({VIEW_PREDICTION}).")
        return Q(**{f"{prefix}latest_prediction__risk_band": value.value})

    @strawberry_django.filter_field(
        description="Case-insensitive text in the name or code, or in the email for callers "
        f"holding {VIEW_EMAIL}."
    )
    def search(self, info: strawberry.Info, value: str, prefix: str) -> Q:
        if nothing := nothing_if_unstorable(value):
            return nothing
        q = Q(**{f"{prefix}name__icontains": value}) | Q(**{f"{prefix}code__icontains": value})
        if may(info, VIEW_EMAIL):
            q |= Q(**{f"{prefix}email__icontains": value})
        return q


@strawberry_django.order_type(
    models.Student,
    name="StudentOrder",
    description="One sort key; pass a list for several. Default: by code.",
)
class StudentOrder:
    code: auto = strawberry_django.order_field(description="By code.")
    name: auto = strawberry_django.order_field(description="By name.")
    status: auto = strawberry_django.order_field(description="By status.")
    enrolled_at: auto = strawberry_django.order_field(description="By enrolment time.")

    @strawberry_django.order_field(
        description=f"By the latest prediction's risk score (needs {VIEW_PREDICTION}); "
        "students without one come last."
    )
    def risk_score(self, info: strawberry.Info, value: auto, prefix: str) -> list:
        if not may(info, VIEW_PREDICTION):
            raise PermissionDenied(f"You don't have permission to do this ({VIEW_PREDICTION}).")
        order = value.resolve(f"{prefix}latest_prediction__risk_score")
        order.nulls_first, order.nulls_last = None, True
        return [order]


@strawberry_django.type(models.ActionLog, name="ActionLog", description="One audited write.")
class ActionLogType:
    id: strawberry.ID = strawberry_django.field(description="Log id.")
    action: str = strawberry_django.field(description="What was done, e.g. 'student.create'.")
    target_type: str = strawberry_django.field(description="Kind of object, e.g. 'student'.")
    target_id: str = strawberry_django.field(description="Its id ('' for batch writes).")
    payload: JSON = strawberry_django.field(description="Details of the write.")
    at: datetime = strawberry_django.field(description="When.")
    actor_label: str = strawberry_django.field(
        description="Username (and API-key prefix) at the time of the write."
    )
