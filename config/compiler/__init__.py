"""Reads compiled into one SQL statement that returns the answer's JSON.

A list (`config.connections.connection`) or a single object (`compiled_object`) whose whole
selection is plain columns, enums, forward relations and nested connections is answered by one
statement: PostgreSQL reads the page's rows with the very query the standard path runs (the
list's queryset: visibility, filters, cursor, order, limit), builds the JSON of every node and
nested page, and returns the text; no model instance is built and no field is completed one by
one. The answer is the standard path's, byte for byte (tests/compiler): values print through
the same scalars' rules (config.compiler.sql), and a stored value the standard path would
answer with an error sends the request down the standard path, which answers with that error.

Everything else takes the standard path: custom resolvers, arguments on non-list fields,
directives, field extensions other than `HasPerm(fail_silently=True)`, mutations and
subscriptions; one request may mix both (each root field decides for itself). Permissions are
the resolvers' own: the root field's resolver checks them and builds the queryset before the
compiler sees it, and nested lists and guarded fields consult the same declarations
(`NestedList.permission`, `HasPerm`). `GRAPHQL_COMPILE=0` switches the compiler off.
"""

from __future__ import annotations

import json
import logging
import threading
from contextvars import ContextVar

import strawberry
from django.conf import settings
from django.db.models import QuerySet
from graphql import GraphQLObjectType, OperationType, get_named_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from config import prepared
from config.compiler import sql
from config.compiler.plan import NotCompilable, connection_plan, object_plan
from config.compiler.render import Renderer, forget_templates

logger = logging.getLogger(__name__)
PLAN_CACHE_SIZE = 1000
_plans: dict = {}
_plans_lock = threading.Lock()
# The response keys of the root fields the compiler answered in the operation being executed,
# while config.compiler.operations watches it (to learn which operations it answers alone).
root_answers: ContextVar[set | None] = ContextVar("compiled_root_answers", default=None)


class Precompleted:
    """A root field's answer, already JSON: execution hands it on as it is."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class CompiledJSON:
    """The JSON text of a compiled answer, for an encoder that copies it into the response
    (config.views.GraphQLView.encode_json): the text is what that encoder would print for
    the standard path's values."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class CompiledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution, where a field answered by the compiler is not completed again."""

    def complete_value(self, return_type, field_details_list, info, path, result, *args):
        if type(result) is Precompleted:
            return result.value
        return super().complete_value(return_type, field_details_list, info, path, result, *args)


def _enabled(raw_info) -> bool:
    return settings.GRAPHQL_COMPILE and raw_info.operation.operation == OperationType.QUERY


def _plan(kind: str, raw_info, build):
    """The plan of the current field's selection, built once per parsed document."""
    nodes = tuple(raw_info.field_nodes)
    key = (kind, raw_info.parent_type.name, raw_info.field_name, *map(id, nodes))
    cached = _plans.get(key)
    if cached is not None and cached[0] == nodes:
        return cached[1]
    try:
        plan = build()
    except NotCompilable as reason:
        logger.debug("%s.%s takes the standard path: %s", *key[1:3], reason)
        plan = None
    with _plans_lock:
        if len(_plans) >= PLAN_CACHE_SIZE:
            _plans.clear()
            forget_templates()  # they were kept with the plans
        _plans[key] = (nodes, plan)  # the nodes kept alive: their ids stay theirs
    return plan


def _run(renderer: Renderer, expression: str):
    """The statement's answer, as JSON text for the HTTP view (which copies it into the
    response) and as Python values for any other caller; None: the standard path answers."""
    statement, params = renderer.statement(expression)
    tables, unfiltered = renderer.tables, renderer.unfiltered
    with prepared.cursor(renderer.using, tables=tables, unfiltered=unfiltered) as cursor:
        cursor.execute(statement, params)
        (text,) = cursor.fetchone()
    if text is None:
        return Precompleted(None)
    if sql.SENTINEL in text:
        return None  # a value the standard path answers with an error
    if getattr(renderer.info.context, "json_fragments", False):
        return Precompleted(CompiledJSON(text))
    # Read as the standard path reads a JSON column (psycopg's loader, the json module): an
    # integer beyond 64 bits exactly, which orjson would read as a float.
    return Precompleted(json.loads(text))


def _compiled(kind: str, queryset: QuerySet, info: strawberry.Info, plan_of, render):
    """The current field answered by one statement, or None for the standard path: the plan
    of its selection (`plan_of(raw_info)`, cached per document), rendered with this request's
    arguments (`render(renderer, plan)`), then run."""
    raw_info = info._raw_info
    if not _enabled(raw_info):
        return None
    plan = _plan(kind, raw_info, lambda: plan_of(raw_info))
    if plan is None:
        return None
    renderer = Renderer(info, queryset.db)
    try:
        expression = render(renderer, plan)
    except NotCompilable:
        return None
    answer = _run(renderer, expression)
    answered = root_answers.get()
    if answer is not None and answered is not None and raw_info.path.prev is None:
        answered.add(raw_info.path.key)
    return answer


def compiled_connection(queryset: QuerySet, keys, args, positions, info: strawberry.Info):
    """The page of `queryset` (ordered by `keys`, with `args` and their decoded cursors,
    `positions`) answered by one statement, or None when the selection takes the standard
    path."""

    def plan_of(raw_info):
        connection_type = get_named_type(raw_info.return_type)
        return connection_plan(raw_info, connection_type, queryset.model, raw_info.field_nodes)

    return _compiled(
        "connection",
        queryset,
        info,
        plan_of,
        lambda renderer, plan: renderer.connection(plan, queryset, keys, args, positions),
    )


def compiled_object(queryset: QuerySet, info: strawberry.Info):
    """The first row of `queryset` (null when there is none) answered by one statement, or
    None when the selection takes the standard path."""

    def plan_of(raw_info):
        object_type = get_named_type(raw_info.return_type)
        if not isinstance(object_type, GraphQLObjectType):
            raise NotCompilable("not an object type")
        return object_plan(raw_info, object_type, queryset.model, raw_info.field_nodes)

    return _compiled(
        "object", queryset, info, plan_of, lambda renderer, plan: renderer.row(plan, queryset)
    )
