"""A faster execution of plain model columns and attributes, with the same answers as the
standard one.

graphql-core and Strawberry spend several microseconds on every resolved field (resolve info,
extension and middleware chains, argument parsing, value completion); a page of 50 objects
with 10 fields pays that 500 times. Most of those fields are plain columns of an already
loaded model instance, or attributes of plain Strawberry types read by the default resolver
(getattr). For them, `PlainColumnExecutionContext` reads the value and coerces it with the
very scalar/enum the standard path uses, skipping the machinery around it; a forward
relation already loaded by select_related is completed from the cached object. Anything else
(custom resolvers, arguments, permission or other field extensions, values not loaded yet,
values that would be an error) takes the standard path, which also produces every error
exactly as before.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.cast import get_strawberry_type_cast
from strawberry.types.field import StrawberryField
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import DjangoOptimizerExtension
from strawberry_django.utils.typing import get_django_definition

_FALLBACK = object()
_MISSING = object()
_dict_get = dict.get


@dataclass(frozen=True)
class PlainColumn:
    """How to complete one field that reads a model column: Leaf, Leaf!, [Leaf!]! …"""

    model: type[models.Model] | None  # None: an attribute of a plain Strawberry type
    attname: str
    leaf: GraphQLLeafType
    nullable: bool
    is_list: bool
    items_nullable: bool

    def complete(self, value: Any) -> Any:
        """The completed value, or _FALLBACK when the standard path must decide."""
        if value is None:
            return None if self.nullable else _FALLBACK
        if not self.is_list:
            return self._leaf(value)
        if not isinstance(value, list):
            return _FALLBACK
        completed = []
        for item in value:
            if item is None:
                if not self.items_nullable:
                    return _FALLBACK
                completed.append(None)
                continue
            coerced = self._leaf(item)
            if coerced is _FALLBACK:
                return _FALLBACK
            completed.append(coerced)
        return completed

    def _leaf(self, value: Any) -> Any:
        try:
            coerced = self.leaf.coerce_output_value(value)
        except Exception:  # the standard path raises it again, located
            return _FALLBACK
        return _FALLBACK if coerced is None or coerced is Undefined else coerced


@dataclass(frozen=True)
class PlainRelation:
    """A forward foreign key (or one-to-one) to another Django type, already loaded
    (select_related): completed from the cached object without the resolver chain."""

    model: type[models.Model]
    descriptor: ForwardManyToOneDescriptor
    object_type: GraphQLObjectType
    target_model: type[models.Model]
    nullable: bool
    field_type: Any  # the field's full GraphQL type (NonNull kept), for error handling


def _unwrap(graphql_type: Any) -> tuple[bool, Any]:
    if isinstance(graphql_type, GraphQLNonNull):
        return False, graphql_type.of_type
    return True, graphql_type


def plain_column(
    parent_type: GraphQLObjectType, field_name: str
) -> PlainColumn | PlainRelation | None:
    """The plan for `parent_type.field_name` when it is a plain column of a Django type, or a
    plain forward relation to another Django type; None for anything else."""
    parent = parent_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    django_definition = get_django_definition(getattr(parent, "origin", None))
    graphql_field = parent_type.fields.get(field_name)
    if parent is None or graphql_field is None or graphql_field.args:
        return None
    field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if django_definition is None:
        return _plain_attribute(field, graphql_field.type)
    if (
        type(field) is not StrawberryDjangoField
        or field.base_resolver is not None
        or field.extensions
        or not field.django_name
    ):
        return None
    model = django_definition.model
    try:
        model_field = model._meta.get_field(field.django_name)
    except Exception:  # not a model field: a property or an annotation
        return None
    if field.is_relation:
        return _plain_relation(model, model_field, graphql_field.type)
    # Exactly DeferredAttribute: subclasses (files, images) wrap the value on access.
    descriptor = getattr(model, model_field.attname, None) if model_field.concrete else None
    if model_field.is_relation or type(descriptor) is not DeferredAttribute:
        return None
    return _leaf_plan(model, model_field.attname, graphql_field.type)


def _plain_attribute(field, field_type) -> PlainColumn | None:
    """A field of a plain Strawberry type read with the default resolver (getattr)."""
    if (
        type(field) is not StrawberryField
        or field.base_resolver is not None
        or field.extensions
        or field.default_resolver is not getattr
    ):
        return None
    return _leaf_plan(None, field.python_name, field_type)


def _leaf_plan(model, attname: str, field_type) -> PlainColumn | None:
    nullable, inner = _unwrap(field_type)
    is_list = isinstance(inner, GraphQLList)
    items_nullable = True
    if is_list:
        items_nullable, inner = _unwrap(inner.of_type)
    if not is_leaf_type(inner):
        return None
    return PlainColumn(
        model=model,
        attname=attname,
        leaf=inner,
        nullable=nullable,
        is_list=is_list,
        items_nullable=items_nullable,
    )


def _plain_relation(model, model_field, field_type) -> PlainRelation | None:
    nullable, inner = _unwrap(field_type)
    descriptor = getattr(model, model_field.name, None)
    target = (
        inner.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if isinstance(inner, GraphQLObjectType)
        else None
    )
    target_definition = get_django_definition(getattr(target, "origin", None))
    if (
        not isinstance(descriptor, ForwardManyToOneDescriptor)
        or target_definition is None
        or not issubclass(model_field.related_model, target_definition.model)
    ):
        return None
    return PlainRelation(
        model=model,
        descriptor=descriptor,
        object_type=inner,
        target_model=target_definition.model,
        nullable=nullable,
        field_type=field_type,
    )


def _with_stack_room(function, *args, **kwargs):
    """function(*args, **kwargs), called from a frame of about 64 KiB (see below)."""
    return function(*args, **kwargs)


# CPython 3.11 keeps Python frames on a data stack made of 16 KiB chunks and frees a chunk as
# soon as the frame that opened it returns. When the deep recursion of GraphQL execution
# straddles a chunk boundary, every call across it maps and unmaps a chunk (two system calls
# and page faults, ~10 µs): on a page of 50 students that was thousands of times per request,
# and which calls it hit moved with any change to the call depth. Executing from a frame with
# 8,192 (unused) local slots gives that frame a chunk of 128 KiB of its own, whose remaining
# ~64 KiB hold the whole execution below it: no boundary inside, whatever the depth.
# Other versions lay frames out differently: there the function stays a plain call.
if sys.version_info[:2] == (3, 11):
    _code = _with_stack_room.__code__
    _names = _code.co_varnames + tuple(f"_room{i}" for i in range(8192))
    _with_stack_room.__code__ = _code.replace(co_varnames=_names, co_nlocals=len(_names))
    del _code, _names


# Per schema: {(type name, field name): plan or None}, built on first use.
_PLANS: weakref.WeakKeyDictionary[GraphQLSchema, dict] = weakref.WeakKeyDictionary()


class PlainColumnExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution, with plain model columns completed directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The optimizer's `resolve` only touches querysets; any other field middleware
        # would be skipped, so its presence turns the fast path off.
        middlewares = self.middleware_manager.middlewares if self.middleware_manager else ()
        self._fast = all(isinstance(m, DjangoOptimizerExtension) for m in middlewares)
        self._plans = _PLANS.setdefault(self.schema, {})
        if self._fast:
            self.complete_iterable_value = self._fast_complete_iterable_value

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        if self._fast:
            node = field_details_list[0].node
            key = (parent_type.name, node.name.value)
            try:
                plan = self._plans[key]
            except KeyError:
                plan = self._plans[key] = plain_column(parent_type, node.name.value)
            # Plans exist only for fields without arguments, and validation refuses
            # arguments a field does not have: no argument to look at here.
            if plan is None:
                pass
            elif plan.model is None:  # a plain Strawberry type: the default resolver, getattr
                value = getattr(source, plan.attname, _MISSING)
                if value is not _MISSING:
                    completed = plan.complete(value)
                    if completed is not _FALLBACK:
                        return completed
            elif isinstance(source, plan.model):
                if type(plan) is PlainColumn:
                    value = source.__dict__.get(plan.attname, _MISSING)
                    if value is not _MISSING:
                        completed = plan.complete(value)
                        if completed is not _FALLBACK:
                            return completed
                else:
                    completed = self._complete_relation(
                        plan, source, field_details_list, path, position_context
                    )
                    if completed is not _FALLBACK:
                        return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        return _with_stack_room(super().execute_operation, *args, **kwargs)

    def _fast_complete_iterable_value(
        self, item_type, field_details_list, info, path, items, position_context
    ):
        """A list of objects whose selected fields are all plain columns or attributes is
        completed in one loop; anything else (or any value the loop can't complete) takes
        the standard path for the whole list."""
        if type(items) in (list, tuple) and items:
            completed = self._complete_plain_objects(
                item_type, field_details_list, info, path, items
            )
            if completed is not _FALLBACK:
                return completed
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _complete_plain_objects(self, item_type, field_details_list, info, path, items):
        items_nullable, object_type = _unwrap(item_type)
        if not isinstance(object_type, GraphQLObjectType):
            return _FALLBACK
        if self.get_stream_usage(field_details_list, path) is not None:
            return _FALLBACK
        selection = self._selection_plan(object_type, field_details_list)
        if selection is None:
            return _FALLBACK
        is_type_of = object_type.is_type_of
        completed_items = []
        for item in items:
            if item is None:
                if not items_nullable:
                    return _FALLBACK
                completed_items.append(None)
                continue
            if is_type_of is not None and is_type_of(item, info) is not True:
                return _FALLBACK
            completed = self._complete_selection(selection, item)
            if completed is _FALLBACK:
                return _FALLBACK
            completed_items.append(completed)
        return completed_items

    def _selection_plan(self, object_type, field_details_list):
        """(model, [(response name, plan, selection of a relation or None)]) when every
        selected field is a plain column, or a loaded forward relation whose own selection
        is; else None. model is None for a plain Strawberry type."""
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages or not grouped_field_set:
            return None
        plans = []
        for response_name, details in grouped_field_set.items():
            name = details[0].node.name.value
            key = (object_type.name, name)
            try:
                plan = self._plans[key]
            except KeyError:
                plan = self._plans[key] = plain_column(object_type, name)
            if type(plan) is PlainColumn:
                plans.append((response_name, plan, None))
            elif type(plan) is PlainRelation:
                selection = self._selection_plan(plan.object_type, details)
                if selection is None or selection[0] is not plan.target_model:
                    return None
                plans.append((response_name, plan, selection))
            else:
                return None
        model = plans[0][1].model
        if any(plan.model is not model for _, plan, _ in plans):
            return None
        return model, plans

    def _complete_selection(self, selection, item):
        """The completed fields of `item`, or _FALLBACK when the standard path must decide."""
        model, plans = selection
        if model is None:
            values, get = item, getattr
        elif isinstance(item, model):
            values, get = item.__dict__, _dict_get
        else:
            return _FALLBACK
        completed = {}
        for response_name, plan, related_selection in plans:
            if related_selection is None:
                value = get(values, plan.attname, _MISSING)
                if value is _MISSING:
                    return _FALLBACK
                value = plan.complete(value)
                if value is _FALLBACK:
                    return _FALLBACK
            else:  # what _complete_relation checks, then the related object's fields
                try:
                    related = plan.descriptor.field.get_cached_value(item)
                except KeyError:
                    return _FALLBACK
                if related is None:
                    if not plan.nullable:
                        return _FALLBACK
                    value = None
                elif get_strawberry_type_cast(related):
                    return _FALLBACK
                else:
                    value = self._complete_selection(related_selection, related)
                    if value is _FALLBACK:
                        return _FALLBACK
            completed[response_name] = value
        return completed

    def _complete_relation(self, plan, source, field_details_list, path, position_context):
        """The related object's fields, or _FALLBACK when the standard path must decide."""
        try:
            related = plan.descriptor.field.get_cached_value(source)
        except KeyError:  # not loaded: the standard path loads it
            return _FALLBACK
        if related is None:
            return None if plan.nullable else _FALLBACK
        # What strawberry_django's is_type_of accepts, without a type cast.
        if not isinstance(related, plan.target_model) or get_strawberry_type_cast(related):
            return _FALLBACK
        try:
            completed = self.collect_and_execute_subfields(
                plan.object_type, field_details_list, path, related, position_context
            )
        except Exception as raw_error:  # as execute_field does
            self.handle_field_error(raw_error, plan.field_type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def awaited():  # async execution, as execute_field does
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, plan.field_type, field_details_list, path)
                return None

        return awaited()
