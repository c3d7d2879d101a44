"""GraphQL entry points of the students app (merged into config/schema.py).

Student data is personal data: reading needs students.view_* model permissions, writing the
add/change ones; emails need students.view_student_email and risk predictions
students.view_dropoutprediction. Every write adds an ActionLog row in its transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
import strawberry_django

from config.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    Offset,
    Ordering,
    batched_list,
    connection,
)
from config.context import Info, require_perm
from config.errors import invalid
from config.inputs import aware, input_data
from students import risk, selectors, services
from students.audit import Actor
from students.inputs import (
    ActionTargetInput,
    AssessmentRecordInput,
    ConceptModuleCreateInput,
    ConceptModuleUpdateInput,
    DraftSubmitInput,
    DraftUpdateInput,
    DropoutRiskComputeResultType,
    LearningEventInput,
    LearningEventsRecordResultType,
    StudentCreateInput,
    StudentRiskType,
    StudentUpdateInput,
    TimeRangeInput,
)
from students.models import ConceptModule, Student
from students.types import (
    ActionLogType,
    AttemptType,
    ConceptModuleType,
    DraftType,
    LearningEventType,
    PerformanceRecordType,
    RiskBandEnum,
    StudentFilter,
    StudentOrder,
    StudentType,
    risk_factors,
)

ATRISK_MAX = 100


def perm(model: str, action: str) -> str:
    return f"students.{action}_{model}"


def actor(info: Info, permission: str) -> Actor:
    """The caller, if they hold `permission`, with the API key of the request."""
    user = require_perm(info, permission)
    return Actor(user=user, api_key=getattr(info.context.request, "api_key", None))


def _event_data(event: LearningEventInput) -> dict[str, object]:
    data = input_data(event)
    if data.get("event_id") is not None:
        data["event_id"] = selectors.parse_uuid(data["event_id"], field="event_id")
    return data


@strawberry.type
class Query:
    @strawberry.field(
        description="Students, by code unless `ordering` says otherwise; a page of them."
    )
    def students(
        self,
        info: Info,
        filters: Annotated[
            StudentFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        ordering: Ordering[StudentOrder] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[StudentType]:
        require_perm(info, perm("student", "view"))
        return connection(
            Student.objects.order_by("code"),
            info,
            filters=filters,
            ordering=ordering,
            order_type=StudentOrder,
            first=first,
            after=after,
            last=last,
            before=before,
            offset=offset,
        )

    @strawberry_django.field(description="One student by id or by code; null when there is none.")
    def student(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Student id.")] = None,
        code: Annotated[str | None, strawberry.argument(description="Student code.")] = None,
    ) -> StudentType | None:
        require_perm(info, perm("student", "view"))
        if (id is None) == (code is None):
            raise invalid("student: give exactly one of 'id' and 'code'.", field="id")
        return Student.objects.by_ref(id=id, code=code)

    @strawberry_django.field(description="Every concept module, in curriculum order.")
    def concept_modules(self, info: Info) -> list[ConceptModuleType]:
        require_perm(info, perm("conceptmodule", "view"))
        return ConceptModule.objects.all()

    @strawberry_django.field(
        description="A student's performance per module (the legacy get_performance_record)."
    )
    def performance_record(
        self,
        info: Info,
        student: Annotated[str, strawberry.argument(description="The student's code.")],
    ) -> list[PerformanceRecordType]:
        require_perm(info, perm("student", "view"))
        return selectors.performance_of(code=student)

    @strawberry_django.field(
        description=f"Students whose latest prediction is in `minBand` or higher, riskiest "
        f"first (at most {ATRISK_MAX})."
    )
    def at_risk_students(
        self,
        info: Info,
        min_band: Annotated[
            RiskBandEnum, strawberry.argument(description="Lowest band to include.")
        ] = RiskBandEnum.HIGH,
        limit: Annotated[
            int, strawberry.argument(description=f"How many, 1 to {ATRISK_MAX} (default 20).")
        ] = 20,
    ) -> list[StudentType]:
        require_perm(info, perm("student", "view"))
        require_perm(info, perm("dropoutprediction", "view"))
        if not 1 <= limit <= ATRISK_MAX:
            raise invalid(f"atRiskStudents: 'limit' must be 1 to {ATRISK_MAX}.", field="limit")
        return batched_list(selectors.at_risk(min_band=min_band.value)[:limit], info)

    @strawberry.field(description="The audit trail, newest first; a page of it.")
    def action_log(
        self,
        info: Info,
        target: Annotated[
            ActionTargetInput | None, strawberry.argument(description="Only about this object.")
        ] = None,
        actor: Annotated[
            str | None, strawberry.argument(description="Only writes by this username.")
        ] = None,
        range: Annotated[
            TimeRangeInput | None, strawberry.argument(description="Only within this time range.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[ActionLogType]:
        require_perm(info, perm("actionlog", "view"))
        entries = selectors.action_log(
            target_type=target.type if target else None,
            target_id=target.id if target else None,
            actor=actor,
            start=aware(range.start) if range and range.start else None,
            end=aware(range.end) if range and range.end else None,
        )
        return connection(
            entries, info, first=first, after=after, last=last, before=before, offset=offset
        )


@strawberry.type
class Mutation:
    @strawberry_django.mutation(handle_django_errors=True, description="Enrol a new student.")
    def student_create(
        self,
        info: Info,
        input: Annotated[StudentCreateInput, strawberry.argument(description="The student.")],
    ) -> StudentType:
        who = actor(info, perm("student", "add"))
        return services.student_create(actor=who, **input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True, description="Change some fields of a student (not the code)."
    )
    def student_update(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The student's code.")],
        input: Annotated[StudentUpdateInput, strawberry.argument(description="The changes.")],
    ) -> StudentType:
        who = actor(info, perm("student", "change"))
        return services.student_update(actor=who, code=code, changes=input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete a student without history (drafts, assessments, events), e.g. "
        "one enrolled by mistake; returns it as it was. A student with history is refused: "
        "set their status to WITHDRAWN, or erase their personal data (studentErase).",
    )
    def student_delete(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The student's code.")],
    ) -> StudentType:
        who = actor(info, perm("student", "delete"))
        return services.student_delete(actor=who, code=code)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Erase a student's personal data on request: name, email and code are "
        "replaced, draft texts and event metadata cleared, earlier audit rows scrubbed; the "
        "history is kept, anonymised. Audited without the erased data. Cannot be undone.",
    )
    def student_erase(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The student's code.")],
    ) -> StudentType:
        who = actor(info, perm("student", "delete"))
        return services.student_erase(actor=who, code=code)

    @strawberry_django.mutation(handle_django_errors=True, description="Add a concept module.")
    def concept_module_create(
        self,
        info: Info,
        input: Annotated[ConceptModuleCreateInput, strawberry.argument(description="The module.")],
    ) -> ConceptModuleType:
        who = actor(info, perm("conceptmodule", "add"))
        return services.concept_module_create(actor=who, **input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Change the title or position of a concept module (not its code).",
    )
    def concept_module_update(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The module's code.")],
        input: Annotated[ConceptModuleUpdateInput, strawberry.argument(description="Changes.")],
    ) -> ConceptModuleType:
        who = actor(info, perm("conceptmodule", "change"))
        return services.concept_module_update(actor=who, code=code, changes=input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete a concept module that no draft, assessment or event refers to; "
        "returns it as it was.",
    )
    def concept_module_delete(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The module's code.")],
    ) -> ConceptModuleType:
        who = actor(info, perm("conceptmodule", "delete"))
        return services.concept_module_delete(actor=who, code=code)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Save a draft (new, or an existing one by id) and submit it.",
    )
    def draft_submit(
        self,
        info: Info,
        input: Annotated[DraftSubmitInput, strawberry.argument(description="The draft.")],
    ) -> DraftType:
        data = input_data(input)
        who = actor(info, perm("draft", "add" if data.get("id") is None else "change"))
        return services.draft_submit(actor=who, draft_id=data.pop("id", None), **data)

    @strawberry_django.mutation(
        handle_django_errors=True, description="Review a submitted draft with feedback."
    )
    def draft_review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Draft id.")],
        feedback: Annotated[str, strawberry.argument(description="Feedback for the student.")],
    ) -> DraftType:
        who = actor(info, perm("draft", "change"))
        return services.draft_review(actor=who, draft_id=id, feedback=feedback)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Change the content, deadline or module of a draft not yet reviewed; "
        "its status stays as it is.",
    )
    def draft_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Draft id.")],
        input: Annotated[DraftUpdateInput, strawberry.argument(description="The changes.")],
    ) -> DraftType:
        who = actor(info, perm("draft", "change"))
        return services.draft_update(actor=who, draft_id=id, changes=input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Delete a draft (in any status); returns it as it was.",
    )
    def draft_delete(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Draft id.")],
    ) -> DraftType:
        who = actor(info, perm("draft", "delete"))
        return services.draft_delete(actor=who, draft_id=id)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Record one attempt at an assessment; its attempt number is assigned "
        "atomically (1, 2, 3 … per assessment, no gaps, also under concurrent calls).",
    )
    def assessment_record(
        self,
        info: Info,
        input: Annotated[AssessmentRecordInput, strawberry.argument(description="The attempt.")],
    ) -> AttemptType:
        who = actor(info, perm("assessment", "add"))
        return services.assessment_record(actor=who, **input_data(input))

    @strawberry_django.mutation(handle_django_errors=True, description="Record one event.")
    def learning_event_record(
        self,
        info: Info,
        input: Annotated[LearningEventInput, strawberry.argument(description="The event.")],
    ) -> LearningEventType:
        who = actor(info, perm("learningevent", "add"))
        stored = services.learning_events_record(actor=who, events=[_event_data(input)])
        # A replay of a known eventId stores nothing: the stored event is returned instead.
        return stored[0] if stored else selectors.event_by_uuid(_event_data(input)["event_id"])

    @strawberry_django.mutation(
        handle_django_errors=True,
        description=f"Record up to {services.EVENTS_BATCH_MAX} events in one statement; "
        "all or nothing (errors name the index, e.g. 'events[3]: …').",
    )
    def learning_events_record(
        self,
        info: Info,
        events: Annotated[list[LearningEventInput], strawberry.argument(description="The events.")],
    ) -> LearningEventsRecordResultType:
        who = actor(info, perm("learningevent", "add"))
        stored = services.learning_events_record(
            actor=who, events=[_event_data(event) for event in events]
        )
        return LearningEventsRecordResultType(received=len(events), events=stored)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description="Compute dropout risk (features in SQL, logistic model "
        f"{risk.MODEL_VERSION}) for the given students, or every active student; stores a "
        "FeatureSet and a DropoutPrediction per student and keeps earlier ones.",
    )
    def dropout_risk_compute(
        self,
        info: Info,
        student_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Students by id; every active student if null."),
        ] = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(description="Read the data as of this instant (default now)."),
        ] = None,
    ) -> DropoutRiskComputeResultType:
        who = actor(info, perm("dropoutprediction", "add"))
        run = services.dropout_risk_compute(
            actor=who, student_ids=student_ids, as_of=aware(as_of) if as_of else None
        )
        return DropoutRiskComputeResultType(
            as_of=run.as_of,
            model_version=run.model_version,
            results=[
                StudentRiskType(
                    student_id=r.student_id,
                    student_code=r.student_code,
                    prediction_id=r.prediction_id,
                    risk_score=r.risk_score,
                    risk_band=RiskBandEnum(r.risk_band),
                    features=r.features,
                    top_factors=risk_factors(r.top_factors),
                )
                for r in run.results
            ],
        )
