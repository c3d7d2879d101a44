"""Read replicas: which database a read goes to, and when a replica may not serve it.

Django's router API, used directly (docs/operations.md says why no router library): reads go
to a replica only inside a GraphQL request that has written nothing, outside any transaction,
from a caller who has not written in the last few seconds, and only to a replica that answers
and lags less than settings.DATABASE_REPLICA_MAX_LAG. Everything else — writes, a mutation
(one transaction), the admin, management commands, background work — uses the primary.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router

from config.errors import is_connection_failure

logger = logging.getLogger(__name__)

# Paths whose reads may go to a replica: the API. The admin and the dashboards stay on the
# primary (staff edit what they read).
REPLICA_PATHS = ("/graphql",)

# Primary and replica report their lag in one statement; a replica that has replayed all it
# received lags 0 whatever the time since the last commit (an idle primary sends nothing).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
END
"""

PIN_SQL = """
INSERT INTO config_replicapin (user_id, until)
VALUES (%s, now() + make_interval(secs => %s))
ON CONFLICT (user_id) DO UPDATE SET until = EXCLUDED.until
"""
PINNED_SQL = "SELECT EXISTS (SELECT 1 FROM config_replicapin WHERE user_id = %s AND until > now())"


def pin_seconds() -> float:
    """How long a writer's reads stay on the primary: a replica is used only while its lag,
    measured at most DATABASE_REPLICA_CHECK_SECONDS ago, is below DATABASE_REPLICA_MAX_LAG, so
    after this long any usable replica has replayed the write."""
    return settings.DATABASE_REPLICA_MAX_LAG + settings.DATABASE_REPLICA_CHECK_SECONDS + 1


# --- the request's state ---------------------------------------------------------------------


@dataclass
class ReadState:
    """What the router knows about the request being served (one per request)."""

    user_id: int | None = None
    replica_allowed: bool = True
    wrote: bool = False
    pinned: bool | None = None  # None: looked up on the first read that could go to a replica
    alias: str | None = None  # the replica this request reads from, once chosen
    failed: set[str] = field(default_factory=set)


_state: ContextVar[ReadState | None] = ContextVar("replica_read_state", default=None)


@contextmanager
def replica_reads(*, user_id: int | None, pinned: bool | None = None):
    """Let the block's reads go to a replica (the rules above still apply); writes on the
    primary inside it are noticed, pin the reads to the primary, and, on exit, the user.
    `pinned`: whether the user is pinned, when already known (None: looked up if needed)."""
    state = ReadState(user_id=user_id, pinned=pinned)
    token = _state.set(state)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_notice_writes):
            yield state
    finally:
        _state.reset(token)
        if state.wrote and user_id is not None and settings.DATABASE_REPLICAS:
            record_write(user_id)


def _notice_writes(execute, sql, params, many, context):
    """Anything but a read on the primary counts as a write (SAVEPOINTs too: they open
    transactions that write)."""
    state = _state.get()
    if state is not None and not state.wrote and not _is_read(sql):
        state.wrote = True
    return execute(sql, params, many, context)


# Statements that change no data: reads, and the session settings a new connection makes.
READ_ONLY_VERBS = frozenset({"SELECT", "SET", "SHOW"})


def _is_read(sql) -> bool:
    words = (sql if isinstance(sql, str) else str(sql)).lstrip()[:7].split(None, 1)
    return bool(words) and words[0].upper() in READ_ONLY_VERBS


def record_write(user_id: int) -> None:
    """Keep `user_id`'s reads on the primary for pin_seconds(), on every app server: the pin
    is a row of the primary, so whichever server the next request reaches sees it."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(PIN_SQL, [user_id, pin_seconds()])
    except DatabaseError as exc:  # the write itself is done; its answer must not fail now
        logger.warning("Could not record a replica pin: %s", type(exc).__name__)


def pinned_annotation():
    """Whether the row's `user_id` is pinned, as a subquery: the API-key lookup carries it, so
    an API request learns it without a query of its own."""
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Now

    from config.models import ReplicaPin

    return Exists(ReplicaPin.objects.filter(user_id=OuterRef("user_id"), until__gt=Now()))


def user_pinned(user_id: int) -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(PINNED_SQL, [user_id])
        return cursor.fetchone()[0]


# --- replica health ----------------------------------------------------------------------------


@dataclass
class Health:
    checked_at: float
    usable: bool
    lag: float | None  # seconds; None when the replica did not answer


class HealthCache:
    """Each replica's last measured lag, shared by the threads of one process and re-measured
    every DATABASE_REPLICA_CHECK_SECONDS (a replica that failed: every ..._RETRY_SECONDS).

    One thread measures a replica at a time, holding no lock while it waits on the network;
    the others go on with the last verdict meanwhile (none yet: not usable)."""

    def __init__(self) -> None:
        self._health: dict[str, Health] = {}
        self._measuring: set[str] = set()
        self._guard = threading.Lock()  # only around _measuring, never across I/O

    def get(self, alias: str) -> Health | None:
        return self._health.get(alias)

    def usable(self, alias: str) -> bool:
        entry = self._health.get(alias)
        if entry is not None and time.monotonic() - entry.checked_at < self._ttl(entry):
            return entry.usable
        with self._guard:
            if alias in self._measuring:
                return entry is not None and entry.usable
            self._measuring.add(alias)
        try:
            entry = self._measure(alias)
            self._health[alias] = entry
            return entry.usable
        finally:
            with self._guard:
                self._measuring.discard(alias)

    def mark_failed(self, alias: str) -> None:
        self._health[alias] = Health(time.monotonic(), False, None)

    def clear(self) -> None:
        self._health.clear()

    @staticmethod
    def _ttl(entry: Health) -> float:
        if entry.usable:
            return settings.DATABASE_REPLICA_CHECK_SECONDS
        return settings.DATABASE_REPLICA_RETRY_SECONDS

    @staticmethod
    def _measure(alias: str) -> Health:
        connection = connections[alias]
        try:
            connection.close_if_health_check_failed()
            with connection.cursor() as cursor:
                cursor.execute(LAG_SQL)
                lag = cursor.fetchone()[0]
        except DatabaseError as exc:
            logger.warning("Replica %s skipped: %s", alias, type(exc).__name__)
            connection.close()
            return Health(time.monotonic(), False, None)
        lag = float(lag) if lag is not None else None
        usable = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG
        if not usable:
            logger.warning("Replica %s skipped: lag %s s", alias, lag)
        return Health(time.monotonic(), usable, lag)


health = HealthCache()
_rotation = itertools.count()


def read_alias() -> str:
    """The database the current read goes to."""
    state = _state.get()
    replicas = settings.DATABASE_REPLICAS
    if (
        not replicas
        or state is None
        or not state.replica_allowed
        or state.wrote
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return DEFAULT_DB_ALIAS
    if state.alias is not None and state.alias not in state.failed:
        return state.alias
    if state.pinned is None:
        state.pinned = state.user_id is not None and user_pinned(state.user_id)
    if state.pinned:
        return DEFAULT_DB_ALIAS
    start = next(_rotation)
    for offset in range(len(replicas)):
        alias = replicas[(start + offset) % len(replicas)]
        if alias not in state.failed and health.usable(alias) and _connects(alias):
            state.alias = alias
            return alias
    return DEFAULT_DB_ALIAS


def _connects(alias: str) -> bool:
    """Whether the replica's connection works now (what Django checks before a request's first
    query on it): a replica stopped since its last measure is skipped here, not failed on."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        logger.warning("Replica %s skipped: %s", alias, type(exc).__name__)
        health.mark_failed(alias)
        connection.close()
        return False
    return True


def read_connection(model):
    """The connection a hand-written read of `model`'s table goes through (what the router
    picks for the ORM's reads of it)."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """Django's router: reads as read_alias() says, writes and migrations on the primary."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


# --- the middleware ------------------------------------------------------------------------------


def _notice_replica_failures(alias: str):
    def wrapper(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except DatabaseError as exc:
            state = _state.get()
            if is_connection_failure(exc):
                health.mark_failed(alias)
                if state is not None:
                    state.failed.add(alias)
            raise

    return wrapper


class ReplicaReadsMiddleware:
    """Open replica_reads() for API requests (after authentication, so the caller is known).

    A read that fails because its replica went away (stopped, restarted, cut off) is answered
    again from the primary: the request wrote nothing, so running it twice is harmless. A
    request that recovered by itself (its answer is not the 503 of an unavailable database:
    a kept operation retried on the standard path, config.compiler.operations, reads from
    the primary once the replica is marked failed) is not run a third time.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS or not request.path.startswith(REPLICA_PATHS):
            return self.get_response(request)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        key = getattr(request, "api_key", None)
        pinned = getattr(key, "user_replica_pinned", None)
        with replica_reads(user_id=user_id, pinned=pinned) as state, self._watch_replicas():
            response = self.get_response(request)
            if state.failed and not state.wrote and response.status_code == 503:
                logger.warning(
                    "Replica %s failed mid-request; answered from the primary", state.alias
                )
                state.replica_allowed = False
                state.alias = None
                response = self.get_response(request)
        return response

    @staticmethod
    @contextmanager
    def _watch_replicas():
        with ExitStack() as stack:
            for alias in settings.DATABASE_REPLICAS:
                stack.enter_context(
                    connections[alias].execute_wrapper(_notice_replica_failures(alias))
                )
            yield
