"""The one GraphQL schema: every app's Query and Mutation, the optimizer and the limits."""

from __future__ import annotations

import strawberry
from django.conf import settings
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from chat.schema import Mutation as ChatMutation
from chat.schema import Query as ChatQuery
from chat.services.interactions import MAX_CALLS
from chat.subscriptions import Subscription as ChatSubscription
from config.compiler import CompiledExecutionContext
from config.compiler.operations import CompilingSchema
from config.descriptions import describe
from config.errors import ClientErrors
from config.extensions import (
    DocumentCache,
    MutationsAllOrNothing,
    RequestLimits,
    declare_list_caps,
)
from config.operation_info import declare_vocabulary_codes
from config.scalars import SCALAR_OVERRIDES
from config.types import Query as CoreQuery
from learn.schema import Mutation as LearnMutation
from learn.schema import Query as LearnQuery
from learn.services import IMPORT_MAX_ITEMS
from monitoring.schema import Mutation as MonitoringMutation
from monitoring.schema import Query as MonitoringQuery
from monitoring.services import INGEST_MAX_LOGS, RESULT_MAX_LOGS
from monitoring.subscriptions import Subscription as MonitoringSubscription
from students.schema import Mutation as StudentsMutation
from students.schema import Query as StudentsQuery
from students.services.events import EVENTS_BATCH_MAX


def _with_fields(*types: type) -> tuple[type, ...]:
    return tuple(t for t in types if t.__strawberry_definition__.fields)


_queries = _with_fields(CoreQuery, ChatQuery, LearnQuery, MonitoringQuery, StudentsQuery)
_mutations = _with_fields(ChatMutation, LearnMutation, MonitoringMutation, StudentsMutation)

Query = merge_types("Query", _queries)
Mutation = merge_types("Mutation", _mutations) if _mutations else None
Subscription = merge_types("Subscription", (ChatSubscription, MonitoringSubscription))

# The maximum length of every list argument and input list field, refused before any SQL
# (code LIST_TOO_LONG). tests/reliability/test_list_caps.py fails for a list left out here.
declare_list_caps(
    {
        "Query.threads.ordering": 10,
        "Query.learnItems.ordering": 10,
        "Query.monitoringResults.ordering": 10,
        "Query.students.ordering": 10,
        "Query.preferences.keys": 1000,
        "LearnItemFilter.tagsAll": 100,
        "LearnItemFilter.tagsAny": 100,
        "LearnItemCreateInput.tags": 100,
        "LearnItemUpdateInput.tags": 100,
        "Mutation.learnItemsImport.items": IMPORT_MAX_ITEMS,
        "Mutation.logIngest.logs": INGEST_MAX_LOGS,
        "Mutation.learningEventsRecord.events": EVENTS_BATCH_MAX,
        "Mutation.dropoutRiskCompute.studentIds": 1000,
        "InteractionRecordInput.calls": MAX_CALLS,
        "MonitoringResultRecordInput.logIds": RESULT_MAX_LOGS,
    }
)

# Limits first: they are validation rules, so a refused request never reaches the database.
# Classes, not instances: each request gets fresh extension objects.
EXTENSIONS = [
    RequestLimits,
    # After the rules above are added: it validates with them once per distinct query text.
    DocumentCache,
    ClientErrors,
    MutationsAllOrNothing,
    DjangoOptimizerExtension,
]


def build_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    *,
    execution_context_class: type | None = CompiledExecutionContext,
) -> strawberry.Schema:
    """A schema with this project's configuration, limits and error masking.

    Reads the compiler answers in one statement are handed on as they are (config.compiler),
    and a query it answers whole is answered without the executor the next time
    (config.compiler.operations); `execution_context_class=None` gives Strawberry's standard
    execution. Every mutation's OperationInfo answers in the error vocabulary
    (config.operation_info).
    """
    if mutation is not None:
        declare_vocabulary_codes(mutation)
    compiling = execution_context_class is CompiledExecutionContext
    built = (CompilingSchema if compiling else strawberry.Schema)(
        query=query,
        mutation=mutation,
        subscription=subscription,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.GRAPHQL_FIELD_SUGGESTIONS,
            # Batched requests (a JSON list of operations) stay refused: one operation per request.
            batching_config=None,
        ),
        extensions=EXTENSIONS,
        execution_context_class=execution_context_class,
        # DateTime read faster, and times, days and decimals kept to a range every read path can
        # represent (config.scalars).
        scalar_overrides=SCALAR_OVERRIDES,
    )
    # Generated and library types get their descriptions here (config.descriptions).
    describe(built._schema)
    return built


schema = build_schema(Query, Mutation, Subscription)
