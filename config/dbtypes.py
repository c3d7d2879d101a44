"""Reading times and days PostgreSQL holds but Python cannot (infinity, year 10000, BC).

psycopg refuses such a value with DataError, so a single row stored by SQL, a restore or an
import would break every read of its list. Each connection's timestamptz, timestamp and date
loaders are wrapped once, as the connection is created: a value beyond Python's range reads as
the nearest instant every read path can still represent (DISTANT_PAST / DISTANT_FUTURE).
The API itself never stores such values (config.scalars keeps input to a documented range).
"""

from __future__ import annotations

import datetime as dt

from psycopg import DataError, postgres
from psycopg.adapt import Loader
from psycopg.pq import Format

# One day inside Python's limits, so a time-zone conversion of the value cannot overflow.
DISTANT_PAST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
DISTANT_FUTURE = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
TYPES = ("timestamptz", "timestamp", "date")
_wrapped: dict[type, type] = {}


def _beyond_python(text: bytes) -> dt.datetime | None:
    """The stand-in for an ISO text Python cannot hold, or None for any other failure."""
    if text == b"-infinity" or text.endswith(b" BC"):
        return DISTANT_PAST
    if text == b"infinity" or len(text.split(b"-", 1)[0]) > 4:  # year 10000 or later
        return DISTANT_FUTURE
    return None


def _tolerant(loader: type[Loader], type_name: str) -> type[Loader]:
    """A loader that delegates to `loader` (psycopg's C loaders cannot be subclassed)."""
    if getattr(loader, "tolerant_of_range", False):
        return loader
    if loader in _wrapped:
        return _wrapped[loader]

    class Tolerant(Loader):
        tolerant_of_range = True
        # Django compares the connection's loader's time zone with its own (create_cursor).
        timezone = getattr(loader, "timezone", None)

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load_value = loader(oid, context).load

        def load(self, data):
            try:
                return self.load_value(data)
            except DataError:
                value = _beyond_python(bytes(data))
                if value is None:
                    raise
                if type_name == "date":
                    return value.date()
                if type_name == "timestamp":
                    return value.replace(tzinfo=None)
                return value.replace(tzinfo=self.timezone or dt.UTC)

    Tolerant.__name__ = f"Tolerant{loader.__name__}"
    _wrapped[loader] = Tolerant
    return Tolerant


def tolerate_out_of_range(connection) -> None:
    """Register the tolerant loaders on a psycopg connection (text format, as Django reads)."""
    adapters = connection.adapters
    for type_name in TYPES:
        oid = postgres.types[type_name].oid
        loader = adapters.get_loader(oid, Format.TEXT)
        if loader is not None:
            adapters.register_loader(type_name, _tolerant(loader, type_name))


def on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        tolerate_out_of_range(connection.connection)
