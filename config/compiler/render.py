"""A plan with this request's arguments, as one SQL expression that builds its JSON.

The rows of every list come from the ORM (the list's own queryset: visibility, filters, the
keyset cursor, the order and the page's limit: the rows the standard path reads), with the
columns the selection needs; around it, `json_build_object` / `json_agg` build the answer, and
every nested list is a correlated subquery of its parent row (one index range scan per parent
that stops after the page).

A root list's rows are the resolver's queryset, built for each request and compiled once per
shape (config.compiler.shapes: the text kept, this query's values as its parameters): its
count and its page (the cursor's condition, the order, the limit) are SQL around that query
(`Renderer.page`, the conditions of config.connections.keyset in SQL's words), which PostgreSQL
plans as the one query with them. A nested list's rows are the same for every caller
(`NestedList.rows`), so the SQL of its page is compiled once per shape (page size, direction,
offset, which cursor values are null, the parent's column) and kept with the plan; the values
of this request's cursor fill its parameter slots (`Slot`), as the ORM would have bound them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from config.compiler import sql
from config.compiler.plan import (
    ConnectionPlan,
    Constant,
    Leaf,
    Nested,
    NotCompilable,
    ObjectPlan,
    Related,
)
from config.compiler.shapes import sql_of
from config.connections.keyset import Key, after, before, signature
from config.connections.pages import ROW_FIELDS, PageArgs
from config.connections.selection import argument_values

QUERY_MARK = "\x00"  # never in SQL text

# Nested pages' SQL kept by all plans together, at most settings.GRAPHQL_COMPILE_TEMPLATES (a
# bound on memory whatever shapes clients send); past it, a new shape is compiled per request.
_kept = 0
_kept_lock = threading.Lock()


def _keep() -> bool:
    global _kept
    with _kept_lock:
        if _kept >= settings.GRAPHQL_COMPILE_TEMPLATES:
            return False
        _kept += 1
        return True


def forget_templates() -> None:
    """The plans holding the kept SQL were dropped (config.compiler._plan)."""
    global _kept
    with _kept_lock:
        _kept = 0


class SlotParam:
    """Where a value of the request goes in a compiled statement's parameters."""

    __slots__ = ("field", "index")

    def __init__(self, index: int, field: models.Field):
        self.index = index
        self.field = field


class Slot(models.Expression):
    """A value of the request (a cursor's sort key) in SQL compiled once for many requests:
    `%s`, bound to that request's value, prepared for `field` as the ORM prepares a value."""

    def __init__(self, index: int, field: models.Field):
        super().__init__(output_field=field)
        self.index = index

    def as_sql(self, compiler, connection):
        return "%s", [SlotParam(self.index, self.output_field)]


def slotted(positions, keys: tuple[Key, ...]) -> tuple[tuple, list, tuple]:
    """The decoded cursors (`after`, `before`) with a Slot for each value, the values in slot
    order, and their shape: which values are null (a null changes the SQL, not a slot)."""
    slotted_positions, values, shape = [], [], []
    for decoded in positions:
        if decoded is None:
            slotted_positions.append(None)
            shape.append(None)
            continue
        row = []
        for key, value in zip(keys, decoded, strict=True):
            if value is None:
                row.append(None)
            else:
                row.append(Slot(len(values), key.field))
                values.append(value)
        slotted_positions.append(row)
        shape.append(tuple(value is None for value in decoded))
    return tuple(slotted_positions), values, tuple(shape)


class Renderer:
    """Renders the plans of one request: table aliases, the caller's permissions, the
    operation's variables, and the parameters in the order of the text."""

    def __init__(self, info, using: str):
        self.info = info  # Strawberry's Info of the root field
        self.using = using  # the database the root list reads from (its router's choice)
        self.user = info.context.request.user
        self.aliases = 0
        self.queries: list[tuple[str, tuple]] = []
        self.tables: set[str] = set()  # what the statement reads (config.prepared)
        # What it reads under a condition other than a root page's cursor (`unfiltered`: the
        # others, read whole, in an order: config.prepared plans them once).
        self.filtered: set[str] = set()

    def reads(self, model, *, filtered: bool = True) -> None:
        """The statement reads `model`'s table (under a condition, unless not `filtered`)."""
        self.tables.add(model._meta.db_table)
        if filtered:
            self.filtered.add(model._meta.db_table)

    @property
    def unfiltered(self) -> set[str]:
        return self.tables - self.filtered

    def alias(self) -> str:
        self.aliases += 1
        return f"_j{self.aliases}"

    def may(self, permission: str | None) -> bool:
        return permission is None or (self.user.is_authenticated and self.user.has_perm(permission))

    # --- objects ---

    def object(self, plan: ObjectPlan, column) -> str:
        """The JSON text of one row; `column(attname)` names a column of the row."""
        pairs = []
        for entry in plan.entries:
            if isinstance(entry, Leaf):
                value = f"COALESCE({entry.render(column(entry.attname))}, {sql.NULL})"
            elif isinstance(entry, Constant):
                value = entry.sql
            elif isinstance(entry, Related):
                value = self.related(entry, column)
            elif isinstance(entry, Nested):
                value = self.nested(entry, column)
            pairs.append((entry.key, value))
        return sql.json_object(pairs)

    def row(self, plan: ObjectPlan, queryset: QuerySet) -> str:
        """The JSON text of the first row of `queryset`, or SQL NULL when it has none."""
        attnames = plan.attnames()
        names_of = columns(queryset.model, attnames)
        alias = self.alias()
        inner = self.object(plan, lambda attname: f'{alias}."{names_of[attname]}"')
        names = tuple(sorted(attnames))
        first = self.query(queryset, ("first", names), lambda: queryset.values(*names)[:1])
        return f"(SELECT {inner} FROM ({first}) {alias})"

    def related(self, entry: Related, column) -> str:
        if not self.may(entry.permission):
            return sql.NULL
        alias = self.alias()
        meta = entry.model._meta
        self.reads(entry.model)
        columns = {field.attname: field.column for field in meta.concrete_fields}
        inner = self.object(entry.plan, lambda attname: f'{alias}."{columns[attname]}"')
        value = (
            f'(SELECT {inner} FROM "{meta.db_table}" {alias} '
            f'WHERE {alias}."{columns[entry.target]}" = {column(entry.attname)})'
        )
        return f"COALESCE({value}, {sql.NULL if entry.nullable else sql.SENTINEL_SQL})"

    def nested(self, entry: Nested, column) -> str:
        arguments = argument_values(entry.field, entry.node, self.info._raw_info)
        try:
            args = PageArgs.of(
                *(arguments.get(name) for name in ("first", "after", "last")),
                arguments.get("before"),
                arguments.get("offset"),
            )
        except ValidationError:
            raise NotCompilable("page arguments") from None
        if entry.nested.permission and not self.may(entry.nested.permission):
            return self.constant_connection(entry.plan, args, None, rows_read=False)
        self.reads(entry.model)
        templates = entry.templates
        base, keys = entry.nested.ordered
        try:
            positions = args.positions(keys)
        except ValidationError:
            raise NotCompilable("cursor") from None
        positions, values, shape = slotted(positions, keys)
        parent_column = column(entry.parent_attname)
        shape = (self.using, parent_column, args.size, args.from_end, args.offset, shape)

        def children() -> QuerySet:
            parent = RawSQL(parent_column, ())  # noqa: S611 (an alias of ours)
            return base.filter(**{entry.nested.link: parent})

        def reused(kind: str, build) -> str:
            return self.reused(templates, (kind, *shape), build, values)

        rows = _Rows(
            entry.model,
            count=lambda attnames: reused("count", lambda: children().order_by().values("pk")),
            window=lambda attnames: reused(
                "window",
                lambda: args.window(children().values(*sorted(attnames)), keys, positions),
            ),
        )
        return self._connection(entry.plan, rows, keys, args)

    # --- connections ---

    def connection(
        self, plan: ConnectionPlan, queryset: QuerySet, keys, args: PageArgs, positions
    ) -> str:
        """A root list: the page of `queryset`, compiled for this request (`positions`: the
        decoded cursors, checked by the resolver)."""
        if _flattened(queryset.query):
            rows = self._rows_around(queryset, keys, args, positions)
        else:
            rows = _Rows(
                queryset.model,
                count=lambda attnames: self.query(queryset.order_by().values("pk")),
                window=lambda attnames: self.query(
                    args.window(queryset.values(*sorted(attnames)), keys, positions)
                ),
            )
        return self._connection(plan, rows, keys, args)

    def _rows_around(self, queryset: QuerySet, keys, args: PageArgs, positions) -> _Rows:
        """The ORM compiles the rows once (the caller's visibility and filters); their count
        and the page's cursor, order and limit are SQL around that query, which PostgreSQL
        plans as the one query with them (it pulls a plain subquery up into its reader)."""
        compiled: list[tuple[str, list]] = []
        query = queryset.query
        # A list read whole (no visibility rule or filter, one table): only the cursor's
        # values change its rows, and one plan serves them all (config.prepared).
        filtered = bool(query.where) or bool(query.extra) or len(query.alias_map) > 1

        def rows_of(attnames) -> tuple[str, list]:
            if not compiled:
                names = tuple(sorted(attnames))
                rows = ("rows", names), lambda: queryset.order_by().values(*names).query
                try:
                    compiled.append(sql_of(query, self.using, rows))
                except EmptyResultSet:
                    raise NotCompilable("empty") from None
            return compiled[0]

        def window(attnames) -> str:
            text, params = self.page(
                *rows_of(attnames), queryset.model, attnames, keys, args, positions
            )
            return self.mark(queryset.model, text, params, filtered=filtered)

        return _Rows(
            queryset.model,
            count=lambda attnames: self.mark(queryset.model, *rows_of(attnames), filtered=filtered),
            window=window,
        )

    def page(self, text, params, model, attnames, keys, args: PageArgs, positions):
        """The SQL of `args.window` over the rows of `text`: the rows after (or before) the
        cursors, in the list's order (or its reverse, from the end), and one more."""
        alias = self.alias()
        names_of = columns(model, attnames)
        terms = _SQLTerms(lambda attname: f'{alias}."{names_of[attname]}"', connections[self.using])
        conditions, condition_params = [], []
        for decoded, compare in zip(positions, (after, before), strict=True):
            if decoded is not None:
                condition, values = compare(keys, decoded, terms)
                conditions.append(condition)
                condition_params += values
        read = [key.reversed() for key in keys] if args.from_end else list(keys)
        order = ", ".join(_order(key, terms.column(key.attname)) for key in read)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        offset = f" OFFSET {args.offset}" if args.offset else ""
        text = (
            f"SELECT * FROM ({text}) {alias}{where} ORDER BY {order} LIMIT {args.size + 1}{offset}"
        )
        return text, [*params, *condition_params]

    def _connection(self, plan: ConnectionPlan, rows: _Rows, keys, args: PageArgs) -> str:
        names = plan.names()
        attnames = {key.attname for key in keys}
        for object_plan in plan.object_plans():
            attnames |= object_plan.attnames()
        total = "'0'"
        if "totalCount" in names:
            total = f"(SELECT count(*) FROM ({rows.count(attnames)}) _count)::text"
        if not names & ROW_FIELDS or args.size == 0:
            return self.constant_connection(plan, args, total, rows_read=args.size == 0)
        names_of = columns(rows.model, attnames)
        window_sql = rows.window(attnames)
        alias = self.alias()

        def column(attname: str) -> str:
            return f'{alias}."{names_of[attname]}"'

        read = [key.reversed() for key in keys] if args.from_end else list(keys)
        order = ", ".join(_order(key, f'{alias}w."{names_of[key.attname]}"') for key in read)
        size = args.size
        page = f"FILTER (WHERE {alias}._n <= {size})"
        listed = f"{alias}._n DESC" if args.from_end else f"{alias}._n"
        first_row = f"LEAST({alias}._rows, {size})" if args.from_end else "1"
        last_row = "1" if args.from_end else f"LEAST({alias}._rows, {size})"
        more = f"(count(*) > {size})::text"
        # Known before reading: with `last`, whether items follow; with `first`, precede.
        before_page = _flag(args.after is not None or args.offset > 0)
        after_page = _flag(args.before is not None or args.offset > 0)
        cursor = None

        def items(item: str) -> str:
            return f"'[' || COALESCE(string_agg({item}, ',' ORDER BY {listed}) {page}, '') || ']'"

        pairs = []
        for key, name, sub in plan.entries:
            if name == "__typename":
                value = sub
            elif name == "totalCount":
                value = total
            elif name == "nodes":
                value = items(self.object(sub, column))
            elif name == "edges":
                edge_pairs = []
                for edge_key, edge_name, edge_sub in sub:
                    if edge_name == "cursor":
                        cursor = cursor or self.cursor(keys, column)
                        edge_value = f"'\"' || {cursor} || '\"'"
                    elif edge_name == "node":
                        edge_value = self.object(edge_sub, column)
                    else:
                        edge_value = edge_sub
                    edge_pairs.append((edge_key, edge_value))
                value = items(sql.json_object(edge_pairs))
            else:  # pageInfo
                info_pairs = []
                for info_key, info_name in sub:
                    if info_name == "hasNextPage":
                        info_value = after_page if args.from_end else more
                    elif info_name == "hasPreviousPage":
                        info_value = more if args.from_end else before_page
                    elif info_name in ("startCursor", "endCursor"):
                        cursor = cursor or self.cursor(keys, column)
                        row = first_row if info_name == "startCursor" else last_row
                        info_value = (
                            f"COALESCE('\"' || max({cursor}) FILTER (WHERE {alias}._n = {row}) "
                            f"|| '\"', 'null')"
                        )
                    else:
                        info_value = sql.literal(sql.json_string("PageInfo"))
                    info_pairs.append((info_key, info_value))
                value = sql.json_object(info_pairs)
            pairs.append((key, value))
        shared, body = _once_per_row(sql.json_object(pairs), rows.model, names_of, alias)
        return (
            f"(SELECT {body} FROM (SELECT *, {shared}"
            f"row_number() OVER (ORDER BY {order}) AS _n, "
            f"count(*) OVER () AS _rows FROM ({window_sql}) {alias}w) {alias})"
        )

    def constant_connection(self, plan: ConnectionPlan, args: PageArgs, total, *, rows_read):
        """A connection without rows: no page read (`first: 0`) or none selected, or a list the
        caller may not see (`total` None: empty and 0)."""
        pairs = []
        for key, name, sub in plan.entries:
            if name == "__typename":
                value = sub
            elif name == "totalCount":
                value = total or "'0'"
            elif name in ("nodes", "edges"):
                value = "'[]'"
            else:
                info_pairs = []
                for info_key, info_name in sub:
                    if info_name == "hasNextPage":
                        after_page = args.before is not None or args.offset > 0
                        info_value = _flag(rows_read and args.from_end and after_page)
                    elif info_name == "hasPreviousPage":
                        before_page = args.after is not None or args.offset > 0
                        info_value = _flag(rows_read and not args.from_end and before_page)
                    elif info_name in ("startCursor", "endCursor"):
                        info_value = "'null'"
                    else:
                        info_value = sql.literal(sql.json_string("PageInfo"))
                    info_pairs.append((info_key, info_value))
                value = sql.json_object(info_pairs)
            pairs.append((key, value))
        return sql.json_object(pairs)

    def cursor(self, keys: tuple[Key, ...], column) -> str:
        values = []
        for key in keys:
            value = sql.cursor_value(key.field, column(key.attname))
            if value is None:
                raise NotCompilable("cursor of this column type")
            values.append(value)
        return sql.cursor(signature(keys), values)

    def query(self, queryset: QuerySet, part=None, derive=None) -> str:
        """A mark standing for the ORM's SQL of `queryset` (its parameters join the statement's
        where its text goes: `statement` puts both in place), or of the queryset `derive()`
        makes of it, kept as `part` of its shape (config.compiler.shapes.sql_of)."""
        derived = None if derive is None else (part, lambda: derive().query)
        try:
            text, params = sql_of(queryset.query, self.using, derived)
        except EmptyResultSet:
            raise NotCompilable("empty") from None
        return self.mark(queryset.model, text, params)

    def mark(self, model, text: str, params, *, filtered: bool = True) -> str:
        """A mark standing for the SQL `text` (reading `model`'s table: under a condition,
        unless not `filtered`) and its `params`."""
        self.reads(model, filtered=filtered)
        self.queries.append((text, params))
        return f"{QUERY_MARK}{len(self.queries) - 1}{QUERY_MARK}"

    def reused(self, templates: dict, key: tuple, build, values: list) -> str:
        """A mark standing for the SQL of `build()`, compiled once per `key` and kept in
        `templates`; `values` fill its slots."""
        template = templates.get(key)
        if template is None:
            try:
                template = build().query.get_compiler(using=self.using).as_sql()
            except EmptyResultSet:
                raise NotCompilable("empty") from None
            if _keep():
                templates[key] = template
        text, params = template
        if values:
            connection = connections[self.using]
            params = [
                param.field.get_db_prep_value(values[param.index], connection, prepared=False)
                if type(param) is SlotParam
                else param
                for param in params
            ]
        self.queries.append((text, params))
        return f"{QUERY_MARK}{len(self.queries) - 1}{QUERY_MARK}"

    def statement(self, expression: str) -> tuple[str, list]:
        """`SELECT expression::text` with the ORM's queries in place and their parameters in
        the order of the text."""
        pieces = expression.split(QUERY_MARK)
        params = []
        for index in range(1, len(pieces), 2):
            text, query_params = self.queries[int(pieces[index])]
            pieces[index] = text
            params.extend(query_params)
        return f"SELECT {''.join(pieces)}", params


class _Rows:
    """The rows of one list in a statement: `count(attnames)` and `window(attnames)` give
    marks for the SQL of the rows to count and of the page (with the columns `attnames`)."""

    __slots__ = ("count", "model", "window")

    def __init__(self, model, *, count, window):
        self.model = model
        self.count = count
        self.window = window


def columns(model, attnames) -> dict[str, str]:
    """The name each value has in the rows of `queryset.values(*attnames)`: a field's column
    (its db_column), an annotation's own name (a sort key on a relation, `_sort_0`)."""
    fields = {field.attname: field.column for field in model._meta.concrete_fields}
    return {attname: fields.get(attname, attname) for attname in attnames}


def _text(column: str) -> str:
    return f"({column})::text"


# What a page's statement may print more than once from a column of this type.
_PRINTED = {"DateTimeField": sql.iso, "JSONField": _text, "FloatField": _text}


@functools.cache
def _printed_twice(model) -> dict[str, Callable[[str], str]]:
    """The printer `_once_per_row` looks for, per attname of `model`'s columns that have one."""
    printers = {}
    for field in model._meta.concrete_fields:
        printed = _PRINTED.get(sql.internal_type(field))
        if printed is not None:
            printers[field.attname] = printed
    return printers


def _once_per_row(body: str, model, names_of: dict[str, str], alias: str) -> tuple[str, str]:
    """The values `body` prints from a page's row more than once, printed once a row: a
    timestamp's text in its node and its cursor (`sql.iso`), a JSON value's or a number's
    text in its checks and its answer (`::text`; PostgreSQL evaluates each occurrence anew).
    Each becomes a column of the page's inner SELECT (over `{alias}w`); the answer is the
    same expression's. Returns the columns' SQL (each followed by ", ") and `body` reading
    them."""
    columns = []
    printers = _printed_twice(model)
    for attname, name in names_of.items():
        printed = printers.get(attname)  # (none for a sort key's annotation)
        if printed is None:
            continue
        outer, inner = f'{alias}."{name}"', f'{alias}w."{name}"'
        expression = printed(outer)
        found = _occurrences(body, expression)
        if len(found) < 2:
            continue
        column = f"{alias}_{len(columns)}"
        columns.append(f'{printed(inner)} AS "{column}", ')
        body = _replaced(body, found, len(expression), f'{alias}."{column}"')
        if printed is _text:  # jsonb read as json: its text read as json
            as_json = f"({outer})::json"
            found = _occurrences(body, as_json)
            body = _replaced(body, found, len(as_json), f'({alias}."{column}")::json')
    return "".join(columns), body


def _occurrences(body: str, expression: str) -> list[int]:
    """Where `expression` stands in `body` as itself, not as the end of another
    (`to_json(…)::text`) nor the start of one (`…::text[]`)."""
    found = []
    start = body.find(expression)
    while start != -1:
        end = start + len(expression)
        before = body[start - 1] if start else " "
        after = body[end] if end < len(body) else " "
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after in "_["):
            found.append(start)
        start = body.find(expression, end)
    return found


def _replaced(body: str, found: list[int], length: int, replacement: str) -> str:
    pieces, last = [], 0
    for start in found:
        pieces += [body[last:start], replacement]
        last = start + length
    return "".join([*pieces, body[last:]])


def _flag(value: bool) -> str:
    return "'true'" if value else "'false'"


def _flattened(query) -> bool:
    """Whether `SELECT * FROM (query) WHERE … ORDER BY … LIMIT …` means the query with that
    condition, order and limit, and PostgreSQL plans it so: it pulls up a subquery without
    DISTINCT, grouping, aggregates, window functions, limit or set operations."""
    if query.distinct or query.is_sliced or query.combinator or query.group_by is not None:
        return False
    return not any(
        annotation.contains_aggregate or annotation.contains_over_clause
        for annotation in query.annotations.values()
    )


class _SQLTerms:
    """Keyset conditions (config.connections.keyset.after) as SQL over a page's columns: each
    term is its text and its parameters, the values prepared as the ORM prepares them for the
    key's field."""

    OPERATORS = {"lt": "<", "gt": ">", "lte": "<=", "gte": ">="}

    def __init__(self, column, connection):
        self.column = column  # attname -> the column's SQL
        self.connection = connection

    def _value(self, key: Key, value):
        return key.field.get_db_prep_value(value, self.connection, prepared=False)

    def row(self, keys, values, operator):
        columns = ", ".join(self.column(key.attname) for key in keys)
        slots = ", ".join("%s" for _ in keys)
        params = [self._value(key, value) for key, value in zip(keys, values, strict=True)]
        return f"({columns}) {operator} ({slots})", params

    def compare(self, key, lookup, value):
        operator = self.OPERATORS[lookup]
        return f"{self.column(key.attname)} {operator} %s", [self._value(key, value)]

    def equal(self, key, value):
        return f"{self.column(key.attname)} = %s", [self._value(key, value)]

    def isnull(self, key, isnull):
        return f"{self.column(key.attname)} IS {'' if isnull else 'NOT '}NULL", []

    def both(self, left, right):
        return f"({left[0]} AND {right[0]})", left[1] + right[1]

    def either(self, left, right):
        return f"({left[0]} OR {right[0]})", left[1] + right[1]

    def nothing(self):
        return "FALSE", []


def _order(key: Key, column: str) -> str:
    """`key.order_by()` in SQL: where nulls sort said only for a nullable key (the index's
    order for the others)."""
    direction = "DESC" if key.descending else "ASC"
    if not key.nullable:
        return f"{column} {direction}"
    return f"{column} {direction} {'NULLS FIRST' if key.nulls_first else 'NULLS LAST'}"
