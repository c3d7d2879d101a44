"""Keyset positions in a queryset's order: the sort keys, cursors, and the filter "after this row".

A cursor is the sort-key values of a row (and the order they belong to), so a page after it
starts right after that row however many rows came before or arrived since, and costs one
index range scan however deep it is.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OrderBy, Q, QuerySet, Value

# Longer than any cursor this service hands out (a few sort keys and their values).
CURSOR_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Key:
    """One sort key: a column of the rows (or an annotation holding a related column), its
    direction and where its nulls sort."""

    attname: str
    field: models.Field
    descending: bool
    nulls_first: bool
    nullable: bool

    def reversed(self) -> Key:
        return Key(
            self.attname, self.field, not self.descending, not self.nulls_first, self.nullable
        )

    def order_by(self) -> OrderBy:
        return _order_by(self)

    def signature(self) -> str:
        return f"{'-' if self.descending else ''}{self.attname}"


@functools.lru_cache(maxsize=1024)
def _order_by(key: Key) -> OrderBy:
    """The ordering of `key`, one instance per key for every query: the ORM never changes an
    expression it is given (it resolves a copy), and an instance computes its `identity` (the
    hash that keys a query's shape, config.compiler.shapes) once, not on every request."""
    column = F(key.attname)
    nulls = {}
    if key.nullable:  # said only where it matters, so the plan can still use the index
        nulls = {"nulls_first": True} if key.nulls_first else {"nulls_last": True}
    return column.desc(**nulls) if key.descending else column.asc(**nulls)


def _target(model: type[models.Model], path: str) -> tuple[models.Field, bool]:
    """The field a lookup path ends at, and whether any step of it can be null."""
    nullable = False
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        nullable |= bool(getattr(field, "null", False))
        if field.is_relation:
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                raise TypeError(f"A connection cannot sort {model.__name__} by {path!r}.")
            model = field.related_model
    if field.is_relation:
        field = field.target_field
    return field, nullable


def order_keys(queryset: QuerySet) -> tuple[QuerySet, tuple[Key, ...]]:
    """The sort keys of `queryset`, ending with the primary key so that every row has its own
    position (the primary key takes the direction of the last key); sort keys on related rows
    are annotated onto the rows, so that a cursor never needs another query."""
    model = queryset.model
    keys: list[Key] = []
    annotations = {}
    for item in queryset.query.order_by or model._meta.ordering:
        if isinstance(item, str):
            path, descending, nulls_first = item.lstrip("-"), item.startswith("-"), None
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            path, descending = item.expression.name, item.descending
            nulls_first = True if item.nulls_first else False if item.nulls_last else None
        else:
            raise TypeError(f"A connection cannot sort by {item!r}: sort by model columns.")
        field, nullable = _target(model, path)
        if "__" in path:
            attname = f"_sort_{len(keys)}"
            annotations[attname] = F(path)
        else:
            attname = (model._meta.pk if path == "pk" else model._meta.get_field(path)).attname
        # PostgreSQL's default: nulls sort as if larger than any value.
        keys.append(
            Key(
                attname,
                field,
                descending,
                descending if nulls_first is None else nulls_first,
                nullable,
            )
        )
    pk = model._meta.pk
    if not any(key.attname == pk.attname for key in keys):
        descending = keys[-1].descending if keys else False
        keys.append(Key(pk.attname, pk, descending, descending, False))
    if annotations:
        queryset = queryset.annotate(**annotations)
    return queryset.order_by(*(key.order_by() for key in keys)), tuple(keys)


def with_keys(queryset: QuerySet, keys: tuple[Key, ...]) -> QuerySet:
    """`queryset` loading the sort-key columns too, which the optimizer may have left out
    (every row's cursor is made of them)."""
    names, defer = queryset.query.deferred_loading
    columns = {field.attname for field in queryset.model._meta.concrete_fields}
    needed = {key.attname for key in keys} & columns  # annotations are always loaded
    if defer and names & needed:
        return queryset.defer(None).defer(*(names - needed))
    if not defer and names and not needed <= names:
        return queryset.only(*(names | needed))
    return queryset


def signature(keys: tuple[Key, ...]) -> str:
    return ",".join(key.signature() for key in keys)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def cursor_of(row: Any, keys: tuple[Key, ...]) -> str:
    """The cursor of `row` (a model instance) in the order of `keys`."""
    values = [signature(keys), *(_plain(getattr(row, key.attname)) for key in keys)]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: tuple[Key, ...], argument: str) -> list[Any]:
    """The sort-key values a cursor holds, refused (VALIDATION_ERROR naming `argument`) when it
    is not a cursor of this list in this order."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise _not_a_cursor(argument)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _not_a_cursor(argument) from None
    if not isinstance(values, list) or len(values) != len(keys) + 1 or values[0] != signature(keys):
        raise _not_a_cursor(argument)
    decoded = []
    for key, value in zip(keys, values[1:], strict=True):
        if value is None:
            if not key.nullable:
                raise _not_a_cursor(argument)
            decoded.append(None)
            continue
        if isinstance(value, dict | list | bool) and not isinstance(key.field, models.BooleanField):
            raise _not_a_cursor(argument)
        try:
            decoded.append(key.field.to_python(value))
        except (ValidationError, TypeError, ValueError):
            raise _not_a_cursor(argument) from None
    return decoded


def _not_a_cursor(argument: str) -> ValidationError:
    return ValidationError(
        {
            argument: "Not a cursor of this list (cursors come from `cursor`, `startCursor` or "
            "`endCursor` of the same list with the same ordering)."
        }
    )


class RowAfter(models.Expression):
    """`(a, b, c) > (x, y, z)` (or `<`): one comparison PostgreSQL uses as an index bound,
    where the equivalent OR of ANDs makes it filter every row from the start of the index."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, columns, values, operator: str):
        super().__init__()
        self.columns = list(columns)
        self.values = list(values)
        self.operator = operator

    def get_source_expressions(self):
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs):
        n = len(self.columns)
        self.columns, self.values = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection):
        sqls, params = [], []
        for side in (self.columns, self.values):
            parts = []
            for expression in side:
                sql, part_params = compiler.compile(expression)
                parts.append(sql)
                params.extend(part_params)
            sqls.append(f"({', '.join(parts)})")
        return f"{sqls[0]} {self.operator} {sqls[1]}", params


class Terms(Protocol):
    """The words a keyset condition is written in: Q objects for the ORM (`after_q`), or SQL
    over a page's columns (config.compiler.render)."""

    def row(self, keys: tuple[Key, ...], values: list[Any], operator: str): ...
    def compare(self, key: Key, lookup: str, value: Any): ...
    def equal(self, key: Key, value: Any): ...
    def isnull(self, key: Key, isnull: bool): ...
    def both(self, left, right): ...
    def either(self, left, right): ...
    def nothing(self): ...


class _Q:
    """Keyset conditions as Q objects."""

    def row(self, keys, values, operator):
        columns = [F(key.attname) for key in keys]
        return Q(RowAfter(columns, list(map(_value, keys, values)), operator))

    def compare(self, key, lookup, value):
        return Q(**{f"{key.attname}__{lookup}": value})

    def equal(self, key, value):
        return Q(**{key.attname: value})

    def isnull(self, key, isnull):
        return Q(**{f"{key.attname}__isnull": isnull})

    def both(self, left, right):
        return left & right

    def either(self, left, right):
        return left | right

    def nothing(self):
        return Q(pk__in=[])


Q_TERMS = _Q()


def after_q(keys: tuple[Key, ...], values: list[Any]) -> Q:
    """Rows strictly after the row whose sort-key values are `values`, in the order of `keys`
    (a value may be an expression that stands for it)."""
    return after(keys, values, Q_TERMS)


def after(keys: tuple[Key, ...], values: list[Any], terms: Terms):
    """`after_q` in the words of `terms`."""
    directions = {key.descending for key in keys}
    if len(directions) == 1 and not any(key.nullable for key in keys):
        # `(a, b, …) > (x, y, …)` (or `<`): one index condition when every key sorts one way.
        condition = terms.row(keys, values, "<" if next(iter(directions)) else ">")
    else:
        condition = _expanded_after(keys, values, terms)
    first_key, first_value = keys[0], values[0]
    if first_value is not None and not first_key.nullable:
        # Redundant, but it lets PostgreSQL start the index scan at the cursor, and prune
        # partitions (never done by a row comparison): a deep page of the partitioned log table
        # plans and opens only the partitions at and before the cursor.
        lookup = "lte" if first_key.descending else "gte"
        condition = terms.both(condition, terms.compare(first_key, lookup, first_value))
    return condition


def _value(key: Key, value: Any):
    """A sort key's value in a row comparison (an expression stays itself: the compiler's
    parameter slots, config.compiler.render.Slot)."""
    if hasattr(value, "resolve_expression"):
        return value
    return Value(value, output_field=key.field)


def _expanded_after(keys: tuple[Key, ...], values: list[Any], terms: Terms):
    """`a > x OR (a = x AND (b > y OR …))`, with each key's direction and nulls."""
    condition = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        later = _later(key, value, terms)
        same = terms.isnull(key, True) if value is None else terms.equal(key, value)
        if condition is None:
            condition = later if later is not None else terms.nothing()
        elif later is not None:
            condition = terms.either(later, terms.both(same, condition))
        else:
            condition = terms.both(same, condition)
    return condition


def _later(key: Key, value: Any, terms: Terms):
    """Rows whose `key` sorts strictly after `value`; None when none can."""
    if value is None:
        return terms.isnull(key, False) if key.nulls_first else None
    later = terms.compare(key, "lt" if key.descending else "gt", value)
    if key.nullable and not key.nulls_first:
        later = terms.either(later, terms.isnull(key, True))
    return later


def before_q(keys: tuple[Key, ...], values: list[Any]) -> Q:
    """Rows strictly before the row whose sort-key values are `values`."""
    return before(keys, values, Q_TERMS)


def before(keys: tuple[Key, ...], values: list[Any], terms: Terms):
    """`before_q` in the words of `terms`."""
    return after(tuple(key.reversed() for key in keys), values, terms)
