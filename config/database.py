"""Database settings: a given PostgreSQL URL (Neon in production) or an embedded server.

Kept free of Django imports so settings.py can call it and tests can exercise it directly.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

URL_VARIABLES = ("DATABASE_URL", "DB_URL")


class DatabaseConfigError(Exception):
    """The configured database URL cannot be used; the message says why in one line."""


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name) or ""
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise DatabaseConfigError(f"{name} must be a whole number, got {value!r}") from None


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A duration setting in seconds (0: no bound), refused clearly when it is not one."""
    value = (env.get(name) or "").strip()
    try:
        number = float(value) if value else default
    except ValueError:
        raise DatabaseConfigError(f"{name} must be a number, got {value!r}") from None
    if number < 0:
        raise DatabaseConfigError(f"{name} must not be negative, got {value!r}")
    return number


def request_timeout(env: Mapping[str, str]) -> float:
    """DB_REQUEST_TIMEOUT: seconds a request may wait for the database in all (0: no bound)."""
    return seconds(env, "DB_REQUEST_TIMEOUT", 8.0)


def configured_url(env: Mapping[str, str]) -> tuple[str, str] | None:
    """Return (variable name, URL) of the first database URL variable that is set."""
    for name in URL_VARIABLES:
        value = (env.get(name) or "").strip()
        if value:
            return name, value
    return None


def is_pooler_host(host: str) -> bool:
    """Neon's pooled endpoints have `-pooler` in the first label of the host name."""
    return "-pooler" in host.split(".", 1)[0]


def database_config(url: str, env: Mapping[str, str], *, source: str = "DATABASE_URL") -> dict:
    """Translate a PostgreSQL URL and the DB_* variables into a Django DATABASES entry."""
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        shown = scheme or "(none)"
        raise DatabaseConfigError(
            f"{source} must be a postgresql:// URL (scheme {shown!r} is not PostgreSQL)"
        )
    try:
        config = dj_database_url.parse(url, conn_health_checks=True)
    except ValueError as exc:
        raise DatabaseConfigError(f"{source} is not a valid database URL: {exc}") from None
    if not config.get("NAME"):
        raise DatabaseConfigError(f"{source} names no database (add /dbname to the URL)")

    # Django's backend, with pooled connections checked under the request's deadline.
    config["ENGINE"] = "config.postgresql"
    options = config.setdefault("OPTIONS", {})
    # Fail fast instead of hanging when the host is unreachable or Neon is waking up, and
    # within the request's deadline: the deadline's watcher can cut a connection's statements,
    # not its connecting (libpq counts whole seconds, 2 at least).
    connect_timeout = _int(env, "DB_CONNECT_TIMEOUT", 10)
    deadline = request_timeout(env)
    if deadline:
        connect_timeout = min(connect_timeout, max(2, math.ceil(deadline)))
    options.setdefault("connect_timeout", connect_timeout)

    if _flag(env, "DB_POOL"):
        # psycopg's pool keeps connections open itself; Django's persistent connections must be off.
        # A request waiting for a pooled connection holds no connection the request's deadline
        # could cut (config.deadline), so the wait itself is bounded by the deadline: while the
        # server is down behind a pooler, the pool cannot connect and each request answers 503
        # after DB_REQUEST_TIMEOUT, not after the pool's own timeout.
        timeout = _int(env, "DB_POOL_TIMEOUT", 10)
        # After a failed connect the pool retries with a doubling delay (1, 2, 4, … s) for
        # `reconnect_timeout`, then gives the slot up and a waiting request starts anew: with
        # psycopg's 5 minutes, a 40 s outage left the pool waiting up to 30 s after the
        # database was back; DB_POOL_RECONNECT_TIMEOUT (10 s) keeps that wait to a few seconds.
        options["pool"] = {
            "min_size": _int(env, "DB_POOL_MIN", 1),
            "max_size": _int(env, "DB_POOL_MAX", 10),
            "timeout": min(timeout, deadline) if deadline else timeout,
            "reconnect_timeout": _int(env, "DB_POOL_RECONNECT_TIMEOUT", 10),
        }
        config["CONN_MAX_AGE"] = 0
    else:
        # Below Neon's idle-connection close so a kept connection is never stale for long.
        config["CONN_MAX_AGE"] = _int(env, "DB_CONN_MAX_AGE", 60)

    host = config.get("HOST") or ""
    # Transaction-mode poolers (PgBouncer, Neon's -pooler endpoints) cannot keep named cursors.
    pooled = _flag(env, "DB_PGBOUNCER") or is_pooler_host(host)
    config["DISABLE_SERVER_SIDE_CURSORS"] = pooled
    # The API-key lookup and the compiled reads run as prepared statements (config.prepared):
    # a pooler in transaction mode keeps them only when it tracks them (PgBouncer 1.21+ with
    # max_prepared_statements set), so behind one they are off unless switched on.
    config["PREPARED_STATEMENTS"] = _flag(env, "DB_PREPARED_STATEMENTS", default=not pooled)
    if config["PREPARED_STATEMENTS"]:
        # Runs after which psycopg prepares a statement (Django's own cursors never prepare).
        options.setdefault("prepare_threshold", _int(env, "DB_PREPARE_THRESHOLD", 5))

    test_name = (env.get("DJANGO_TEST_DB_NAME") or "").strip()
    if test_name:
        config["TEST"] = {"NAME": test_name}
    return config


REPLICA_URL_VARIABLE = "DATABASE_REPLICA_URL"


def replica_configs(env: Mapping[str, str]) -> dict[str, dict]:
    """DATABASES entries `replica1`, `replica2`, … from DATABASE_REPLICA_URL (comma-separated
    URLs of read replicas of the primary), with the primary's DB_* connection settings."""
    urls = [url.strip() for url in (env.get(REPLICA_URL_VARIABLE) or "").split(",") if url.strip()]
    return {
        f"replica{number}": database_config(url, env, source=f"{REPLICA_URL_VARIABLE} #{number}")
        for number, url in enumerate(urls, start=1)
    }


def embedded_data_dir(base_dir: Path, env: Mapping[str, str]) -> Path:
    return Path(env.get("EMBEDDED_PG_DIR") or base_dir / ".data" / "postgres").resolve()


def start_embedded_server(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL for this data folder and return its URL.

    pgserver counts the processes using a data folder and stops the server when the last one
    exits, so runserver's autoreloader, tests and management commands can share it.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver.postgres_server import PostgresServer

        _make_pgserver_writes_atomic()
        with PostgresServer._lock:
            _forget_dead_users(data_dir)
        # pgserver creates its system user (as root) and the data folder before taking its own
        # lock: two first starts at once (`make test` runs two passes side by side on a new
        # machine) race there and one initdb fails. Starts are taken one at a time.
        with _starting(data_dir.parent):
            server = pgserver.get_server(data_dir, cleanup_mode="stop")

    def forget_dead_users_at_exit() -> None:
        with PostgresServer._lock:
            _forget_dead_users(data_dir)

    # atexit runs hooks last-in first-out: this one runs just before pgserver's own cleanup,
    # so a child killed on the way out (runserver's reloader does that) does not keep it alive.
    atexit.register(forget_dead_users_at_exit)
    _exit_cleanly_on_sigterm()
    return server.get_uri()


@contextmanager
def _starting(folder: Path):
    """An exclusive lock, across processes, on starting an embedded server in `folder`."""
    import fcntl

    with open(folder / ".embedded-postgres.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


PIDS_FILE = ".handle_pids.json"
# pgserver's DiskList is patched below; a new pgserver release must be checked against it first.
PATCHED_PGSERVER_VERSION = "0.1.4"


def read_users(pids_file: Path) -> list[int] | None:
    """The process ids in pgserver's user list, or None when the file is damaged
    (empty, cut short by a stop mid-write, or not a list of whole numbers)."""
    import json

    try:
        pids = json.loads(pids_file.read_text())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(pids, list) or not all(
        isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 for pid in pids
    ):
        return None
    return pids


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a stop at any moment leaves either the
    old or the new content, never an empty or half-written file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _make_pgserver_writes_atomic() -> None:
    """pgserver 0.1.4 rewrites its user list in place (truncate, then write): a SIGTERM in
    between leaves it empty and every later start fails on it. Route its writes through
    write_atomically; skipped on any other pgserver version, whose writes must be re-checked."""
    import json
    from importlib.metadata import version

    from pgserver import utils

    if version("pgserver") != PATCHED_PGSERVER_VERSION or getattr(
        utils.DiskList.put, "atomic", False
    ):
        return

    def put(self, values: list[int]) -> None:
        write_atomically(self.path, json.dumps(values))

    put.atomic = True
    utils.DiskList.put = put


def _forget_dead_users(data_dir: Path) -> None:
    """Drop processes that died without saying goodbye (kill -9) from pgserver's user list,
    so the server still stops when the last live user exits; a damaged list (left by a stop
    mid-write) is rewritten as an empty one, which pgserver would otherwise fail to read."""
    import json

    import psutil

    pids_file = data_dir / PIDS_FILE
    if not pids_file.exists():
        return
    pids = read_users(pids_file)
    alive = [pid for pid in pids or [] if psutil.pid_exists(pid)]
    if alive != pids:
        write_atomically(pids_file, json.dumps(alive))


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so the embedded server is released (atexit runs)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def resolve(base_dir: Path, env: Mapping[str, str] | None = None) -> tuple[dict, str]:
    """Return the Django database settings and a one-line description of where they point."""
    env = os.environ if env is None else env
    found = configured_url(env)
    if found:
        source, url = found
        config = database_config(url, env, source=source)
        host = config.get("HOST") or "local socket"
        return config, f"{source} ({host}/{config['NAME']})"

    data_dir = embedded_data_dir(base_dir, env)
    url = start_embedded_server(data_dir)
    config = database_config(url, env, source="embedded server URL")
    # The socket directory as HOST (not only a libpq option), so `manage.py dbshell` finds it.
    socket_dir = config["OPTIONS"].pop("host", None)
    if socket_dir:
        config["HOST"] = socket_dir
    try:
        shown = data_dir.relative_to(base_dir)
    except ValueError:
        shown = data_dir
    return config, f"embedded PostgreSQL in {shown} (no DATABASE_URL set)"


def announce(description: str) -> None:
    """Say once which database is used; runserver's reloaded child stays quiet."""
    if os.environ.get("RUN_MAIN") != "true":
        print(f"Database: {description}", file=sys.stderr)
