"""GraphQL inputs of the students app and the results of its batch mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from students.types import (
    AssessmentKind,
    EventKind,
    LearningEventType,
    RiskBandEnum,
    RiskFactorType,
    StudentStatus,
)


@strawberry.input(name="ActionTarget", description="The object an audit row is about.")
class ActionTargetInput:
    type: str = strawberry.field(
        description="Kind of object, e.g. 'student', 'draft', 'assessment'."
    )
    id: str | None = strawberry.field(default=None, description="Its id; all of that type if null.")


@strawberry.input(name="TimeRange", description="From (inclusive) to (exclusive).")
class TimeRangeInput:
    start: datetime | None = strawberry.field(
        name="from", default=None, description="At or after this time."
    )
    end: datetime | None = strawberry.field(
        name="to", default=None, description="Strictly before this time."
    )


@strawberry.input(name="StudentCreateInput", description="A new student.")
class StudentCreateInput:
    code: str = strawberry.field(description="Unique code, e.g. 's001'.")
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Unique email address (whatever its case).")
    status: StudentStatus = strawberry.field(
        default=StudentStatus.ACTIVE, description="Default ACTIVE."
    )
    enrolled_at: datetime | None = strawberry.field(default=None, description="Default now.")


@strawberry.input(
    name="StudentUpdateInput", description="Fields to change; fields left out stay as they are."
)
class StudentUpdateInput:
    name: str | None = strawberry.field(default=UNSET, description="Full name.")
    email: str | None = strawberry.field(default=UNSET, description="Unique email address.")
    status: StudentStatus | None = strawberry.field(default=UNSET, description="Status.")
    enrolled_at: datetime | None = strawberry.field(default=UNSET, description="Enrolment time.")


@strawberry.input(name="ConceptModuleCreateInput", description="A new concept module.")
class ConceptModuleCreateInput:
    code: str = strawberry.field(description="Unique short code.")
    title: str = strawberry.field(description="Title.")
    order: int = strawberry.field(default=0, description="Position in the curriculum.")


@strawberry.input(
    name="ConceptModuleUpdateInput",
    description="Fields to change; fields left out stay as they are (the code is permanent).",
)
class ConceptModuleUpdateInput:
    title: str | None = strawberry.field(default=UNSET, description="Title.")
    order: int | None = strawberry.field(default=UNSET, description="Position in the curriculum.")


@strawberry.input(
    name="DraftUpdateInput",
    description="Fields to change; fields left out stay as they are (the status too).",
)
class DraftUpdateInput:
    content: str | None = strawberry.field(default=UNSET, description="The text.")
    due_at: datetime | None = strawberry.field(
        default=UNSET, description="Deadline; null removes it."
    )
    module: str | None = strawberry.field(default=UNSET, description="The module's code.")


@strawberry.input(name="DraftSubmitInput", description="A draft to save and submit.")
class DraftSubmitInput:
    student: str = strawberry.field(description="The student's code.")
    module: str = strawberry.field(description="The module's code.")
    content: str = strawberry.field(description="The text.")
    id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing, not yet reviewed draft of that student."
    )
    due_at: datetime | None = strawberry.field(default=None, description="Deadline, if any.")
    submit: bool = strawberry.field(
        default=True, description="False saves without submitting (status DRAFT)."
    )


@strawberry.input(name="AssessmentRecordInput", description="One attempt at an assessment.")
class AssessmentRecordInput:
    student: str = strawberry.field(description="The student's code.")
    module: str = strawberry.field(description="The module's code.")
    kind: AssessmentKind = strawberry.field(description="Kind of assessment.")
    title: str = strawberry.field(default="", description="Which one, e.g. 'Quiz 2'.")
    score: float = strawberry.field(description="0 to maxScore.")
    max_score: float = strawberry.field(description="More than 0.")
    taken_at: datetime | None = strawberry.field(default=None, description="Default now.")


@strawberry.input(name="LearningEventInput", description="Something a student did.")
class LearningEventInput:
    student: str = strawberry.field(description="The student's code.")
    event_type: EventKind = strawberry.field(description="What happened.")
    module: str | None = strawberry.field(default=None, description="The module's code, if any.")
    occurred_at: datetime | None = strawberry.field(default=None, description="Default now.")
    duration_s: int | None = strawberry.field(default=None, description="Seconds, 0 or more.")
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")
    event_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A UUID chosen by the client; sending it again stores nothing new.",
    )


@strawberry.type(name="LearningEventsRecordResult", description="Outcome of a batch of events.")
class LearningEventsRecordResultType:
    received: int = strawberry.field(description="Events in the request.")
    events: list[LearningEventType] = strawberry.field(
        description="Events stored now (replays of known eventIds are left out)."
    )

    @strawberry.field(description="How many were stored.")
    def stored(self) -> int:
        return len(self.events)


@strawberry.type(name="StudentRisk", description="The dropout risk computed for one student.")
class StudentRiskType:
    student_id: strawberry.ID = strawberry.field(description="Student id.")
    student_code: str = strawberry.field(description="Student code.")
    prediction_id: strawberry.ID = strawberry.field(description="The stored prediction.")
    risk_score: float = strawberry.field(description="0 to 1.")
    risk_band: RiskBandEnum = strawberry.field(description="Low, medium or high.")
    features: JSON = strawberry.field(description="The features computed in SQL.")
    top_factors: list[RiskFactorType] = strawberry.field(
        description="Inputs that raised the risk most, largest first."
    )


@strawberry.type(name="DropoutRiskComputeResult", description="Outcome of dropoutRiskCompute.")
class DropoutRiskComputeResultType:
    as_of: datetime = strawberry.field(description="The instant the data was read at.")
    model_version: str = strawberry.field(description="Scoring model version.")
    results: list[StudentRiskType] = strawberry.field(description="One per student, by id.")

    @strawberry.field(description="Students scored.")
    def count(self) -> int:
        return len(self.results)
