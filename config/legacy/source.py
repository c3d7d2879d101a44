"""The legacy database, only read: one short read-only transaction per batch.

No server-side cursor and no prepared statement outlives a transaction, so this works
through a transaction-mode pooler (PgBouncer, Neon's pooled endpoint) too.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.db import connection
from psycopg import sql
from psycopg.types.datetime import (
    DateLoader,
    TimestampLoader,
    TimestamptzLoader,
)


@dataclass(frozen=True)
class Unreadable:
    """A value the legacy database holds but Python cannot (e.g. `infinity`, year 0)."""

    text: str

    def __str__(self) -> str:
        return self.text


def _safe(loader_class):
    class SafeLoader(loader_class):
        def load(self, data):
            try:
                return super().load(data)
            except psycopg.DataError:
                return Unreadable(bytes(data).decode(errors="replace"))

    return SafeLoader


class JsonText:
    """Marker: JSON columns arrive as text and are parsed per row (bad JSON is refused)."""


def connect(url: str | None) -> psycopg.Connection:
    """Connect to `url`, or to the service's own database when None."""
    if url:
        conn = psycopg.connect(url, autocommit=True, prepare_threshold=None)
    else:
        params = dict(connection.get_connection_params())
        for name in ("cursor_factory", "context", "server_side_binding", "prepare_threshold"):
            params.pop(name, None)
        conn = psycopg.connect(**params, autocommit=True, prepare_threshold=None)
    for name, loader in (
        ("timestamptz", TimestamptzLoader),
        ("timestamp", TimestampLoader),
        ("date", DateLoader),
    ):
        conn.adapters.register_loader(name, _safe(loader))
    # JSON is read as text and parsed by the importer, which refuses bad JSON row by row.
    conn.adapters.register_loader("json", psycopg.types.string.TextLoader)
    conn.adapters.register_loader("jsonb", psycopg.types.string.TextLoader)
    return conn


class Source:
    def __init__(self, conn: psycopg.Connection, schema: str = "public"):
        self.conn = conn
        self.schema = schema

    def _read(self, query, params=()):
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION READ ONLY")
            return self.conn.execute(query, params).fetchall()

    def columns(self, table: str) -> dict[str, str] | None:
        """The table's columns and their types, or None when there is no such table."""
        rows = self._read(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (self.schema, table),
        )
        return {name: kind for name, kind in rows} or None

    def count(self, table: str, key: str, after) -> int:
        query = sql.SQL("SELECT count(*) FROM {t}").format(t=sql.Identifier(self.schema, table))
        params: tuple = ()
        if after is not None:
            query += sql.SQL(" WHERE {k} > %s").format(k=sql.Identifier(key))
            params = (after,)
        return self._read(query, params)[0][0]

    def batch(self, table: str, columns: list[str], key: str, after, limit: int) -> list[dict]:
        """The next `limit` rows by primary key after `after` (keyset, served by the pk index)."""
        query = sql.SQL("SELECT {cols} FROM {t}").format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            t=sql.Identifier(self.schema, table),
        )
        params: tuple = ()
        if after is not None:
            query += sql.SQL(" WHERE {k} > %s").format(k=sql.Identifier(key))
            params = (after,)
        query += sql.SQL(" ORDER BY {k} LIMIT {n}").format(
            k=sql.Identifier(key), n=sql.Literal(limit)
        )
        rows = self._read(query, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def rows(self, table: str, column: str, key: str, value) -> list[tuple]:
        """`column` of the rows of `table` whose `key` is `value` (a related row's lookup)."""
        query = sql.SQL("SELECT {c} FROM {t} WHERE {k} = %s").format(
            c=sql.Identifier(column), t=sql.Identifier(self.schema, table), k=sql.Identifier(key)
        )
        return self._read(query, (value,))

    def rows_in(self, table: str, columns: list[str], key: str, values: list) -> list[dict]:
        """The rows of `table` whose `key` is one of `values` (related rows of a batch)."""
        query = sql.SQL("SELECT {cols} FROM {t} WHERE {k} = ANY(%s)").format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            t=sql.Identifier(self.schema, table),
            k=sql.Identifier(key),
        )
        return [dict(zip(columns, row, strict=True)) for row in self._read(query, (list(values),))]
