"""Django's PostgreSQL backend, whose kept connections are checked without a round trip when
nothing has happened to them since their last use (config.postgresql.health), and whose
psycopg pool checks connections under the request's deadline (config.deadline.check_pooled)
instead of without a bound.

Django builds the pool itself (`DatabaseWrapper.pool`) with psycopg_pool's own check and
refuses a `check` among the pool options (it passes one already), so the check is replaced
once on the pool Django built. Everything else is Django's backend as it is.
"""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from config.deadline import check_pooled
from config.postgresql.health import quiet


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # psycopg_pool keeps the check it calls in `_check` (set from its `check` argument).
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_pooled
        return pool

    def is_usable(self):
        """Django's liveness check (CONN_HEALTH_CHECKS before a request reuses a persistent
        connection, and after a request whose statements failed): `SELECT 1` only when the
        connection is not quiet."""
        return (self.connection is not None and quiet(self.connection)) or super().is_usable()
