"""Reading a timestamptz Python cannot hold: clamped to the nearest datetime instead of failing.

PostgreSQL stores years 4713 BC to 294276 AD and ±infinity; Python's datetime only years
1 to 9999, and psycopg raises DataError for anything else, so one such row (written by SQL, an
import or before DateTime input had its range) failed every read of its list for every reader.
Such a value now reads as datetime.min or datetime.max in UTC (`infinity` as max, `-infinity`
and BC as min); writes through the API are held to a narrower range (config.scalars).
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.db.backends.signals import connection_created

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def clamped(data: bytes | bytearray | memoryview) -> datetime:
    """The nearest datetime to a timestamptz text Python cannot represent."""
    text = bytes(data)
    return EARLIEST if text.startswith(b"-") or text.endswith(b" BC") else LATEST


def clamping_loader(loader: type) -> type:
    """A subclass of Django's timestamptz loader `loader` that clamps instead of failing."""

    class ClampingTzLoader(loader):
        def load(self, data):
            try:
                return super().load(data)
            except psycopg.DataError:
                value = clamped(data)
                return value.replace(tzinfo=self.timezone)

    return ClampingTzLoader


def install(sender, connection, **kwargs) -> None:
    """Register the clamping loader on each new PostgreSQL connection (connection_created)."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT)
    if current is None or getattr(current, "clamps", False):
        return
    base = current if issubclass(current, BaseTzLoader) else BaseTzLoader
    loader = clamping_loader(base)
    loader.clamps = True
    loader.timezone = getattr(current, "timezone", None)
    adapters.register_loader("timestamptz", loader)


def connect() -> None:
    connection_created.connect(install, dispatch_uid="config.timestamps.install")
