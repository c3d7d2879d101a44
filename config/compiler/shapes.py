"""The ORM's SQL of a root list's rows, compiled once per shape of the query.

A root list's queryset is built by its resolver for each request (the caller's visibility, the
filters, the ordering), so the ORM compiled its rows on every request: on the thread read in
pages and the log and learn pages that was a quarter of the Python time of a request. Yet the
text of that SQL is the same for every request whose query has the same *shape* — the same
tables and joins, selected columns, annotations, order and limits, and the same tree of
conditions, each with its lookup, its column and the SQL of its right-hand side — and only the
parameters differ: each condition's values, as the lookup prepares them (`process_rhs`).

So `sql_of(query, using)` walks the condition tree, asks each lookup for the SQL and parameters
of its right-hand side (Django's own preparation of the value: a `Jsonb` for a JSON
containment, `%…%` for `icontains`, the placeholders of an `__in` list), and keys the text by
the shape; the parameters are the lookups' in the order of the tree. A shape is kept only when
its first compile proves that order: the ORM's parameters are exactly the lookups' (a part of
the query that adds a parameter of its own, or a lookup whose SQL does not take its value that
way, keeps no text and is compiled every time, as before). Only known lookups with a plain
column on the left and a value (or a list of values) on the right take part; anything else in
the tree (a subquery, raw SQL, an expression, a filtered relation) leaves the query to the ORM.
A boolean right-hand side is part of the shape (the ORM writes `flag = true` as `flag`).

Kept: at most KEPT shapes, all forgotten when full. Shapes are few (one per list, kind of
caller and combination of filters: each benchmark read has one); a query holding an object
compared by identity (which never matches again) costs an entry per request until then.
"""

from __future__ import annotations

import threading

from django.db import connections
from django.db.models import lookups
from django.db.models.expressions import Col
from django.db.models.fields import json
from django.db.models.fields import related_lookups as related
from django.db.models.sql.datastructures import BaseTable, Join
from django.db.models.sql.where import WhereNode
from django.utils.hashable import make_hashable

# Lookups whose SQL is `<column> <operator> <right-hand side's SQL>`, whatever the value.
LOOKUPS = frozenset(
    {
        lookups.Exact,
        lookups.IExact,
        lookups.GreaterThan,
        lookups.GreaterThanOrEqual,
        lookups.LessThan,
        lookups.LessThanOrEqual,
        # Their right-hand side raises for a value beyond the column's range (the ORM then
        # compiles the query, which drops or keeps the condition).
        lookups.IntegerFieldExact,
        lookups.IntegerGreaterThan,
        lookups.IntegerGreaterThanOrEqual,
        lookups.IntegerLessThan,
        lookups.IntegerLessThanOrEqual,
        lookups.In,
        lookups.IsNull,
        lookups.Contains,
        lookups.IContains,
        lookups.StartsWith,
        lookups.IStartsWith,
        lookups.EndsWith,
        lookups.IEndsWith,
        lookups.Range,
        lookups.Regex,
        lookups.IRegex,
        related.RelatedExact,
        related.RelatedIn,
        related.RelatedLessThan,
        related.RelatedGreaterThan,
        related.RelatedGreaterThanOrEqual,
        related.RelatedLessThanOrEqual,
        related.RelatedIsNull,
        json.DataContains,
        json.ContainedBy,
    }
)
# Query attributes that do not change its SQL: caches and the bookkeeping of filter building.
IGNORED = frozenset(
    {
        "where",
        "alias_map",
        "_annotation_select_cache",
        "_extra_select_cache",
        "_lookup_joins",
        "used_aliases",
        "filter_is_sticky",
        "base_table",
    }
)

KEPT = 500
_texts: dict[tuple, str | None] = {}
_lock = threading.Lock()


class _Unshaped(Exception):
    """The query holds something this module does not know to key."""


def sql_of(query, using: str, derived=None) -> tuple[str, tuple]:
    """The ORM's `query.get_compiler(using).as_sql()`, its text kept per shape. Raises what
    the ORM raises (EmptyResultSet).

    `derived`, a pair (`part`, `derive`): the SQL of the query `derive()` makes of this one
    (its rows with some columns: `values(...)`, which resolves each name again, a third of a
    compile), kept per shape of this query and `part`, so that a kept text needs no deriving.
    The derived query must keep this one's conditions as they are: the parameters are theirs."""
    compiler = query.get_compiler(using=using)
    connection = connections[using]
    params: list = []
    try:
        key = (using, _rest(query), _node(query.where, compiler, connection, params))
        if derived is not None:
            key = (*key, derived[0])
        hash(key)
    except Exception:  # not keyed (_Unshaped, unhashable), or a lookup refusing its value:
        target = query if derived is None else derived[1]()
        return target.get_compiler(using=using).as_sql()  # or raises what it raised before
    text = _texts.get(key)
    if text is not None:
        return text, tuple(params)
    if derived is not None:
        compiler = derived[1]().get_compiler(using=using)
    text, full = compiler.as_sql()
    if key not in _texts:
        kept = text if _same(full, params) else None
        with _lock:
            if len(_texts) >= KEPT:
                _texts.clear()
            _texts[key] = kept
    return text, full


def forget() -> None:
    with _lock:
        _texts.clear()


def _same(full, params) -> bool:
    """Whether the ORM's parameters are the lookups' (the same values, in the same order)."""
    if len(full) != len(params):
        return False
    for mine, theirs in zip(params, full, strict=True):
        if type(mine) is not type(theirs):
            return False
        if hasattr(mine, "obj") and hasattr(mine, "dumps"):  # psycopg's Json / Jsonb
            if mine.obj != theirs.obj or mine.dumps is not theirs.dumps:
                return False
        elif mine != theirs:
            return False
    return True


def _rest(query) -> tuple:
    tables = []
    for alias, table in query.alias_map.items():
        if type(table) not in (BaseTable, Join) or table.filtered_relation is not None:
            raise _Unshaped
        tables.append(
            (
                alias,
                type(table),
                table.table_name,
                table.table_alias,
                table.parent_alias,
                table.join_type,
                getattr(table, "join_field", None),
                getattr(table, "nullable", None),
            )
        )
    attributes = sorted((k, v) for k, v in vars(query).items() if k not in IGNORED)
    return (type(query), tuple(tables), make_hashable(attributes))


def _node(node, compiler, connection, params: list) -> tuple:
    if type(node) is not WhereNode:
        raise _Unshaped
    children = []
    for child in node.children:
        if type(child) is WhereNode:
            children.append(_node(child, compiler, connection, params))
            continue
        if type(child) not in LOOKUPS or type(child.lhs) is not Col:
            raise _Unshaped
        rhs = child.rhs
        if not _plain(rhs) or (
            isinstance(rhs, list | tuple | set | frozenset) and not all(map(_plain, rhs))
        ):
            raise _Unshaped
        rhs_sql, rhs_params = child.process_rhs(compiler, connection)
        params.extend(rhs_params)
        flag = rhs if isinstance(rhs, bool) else None
        children.append((type(child), child.lhs.alias, child.lhs.target, rhs_sql, flag))
    return (node.connector, node.negated, tuple(children))


def _plain(value) -> bool:
    """A value, not an expression or a query (whose SQL would be part of the shape)."""
    return not hasattr(value, "resolve_expression") and not hasattr(value, "as_sql")
