"""A dedicated, throw-away PostgreSQL cluster that the suite may restart and kill.

Built from the binaries bundled with pgserver (or, with RELIABILITY_PG=15, Debian's PostgreSQL
15 from /usr/lib/postgresql/15/bin), in a temporary data folder, listening on a loopback TCP
port only. PostgreSQL refuses to run as root, so when the suite runs as root the
server runs as the `pgserver` system user (the same one pgserver itself uses).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
    import pgserver


def server_bin(version: str | None = None) -> Path:
    """The folder of the PostgreSQL binaries: pgserver's bundled ones, or with RELIABILITY_PG=15
    (any major version) Debian's /usr/lib/postgresql/15/bin (`apt-get install postgresql-15`)."""
    version = (os.environ.get("RELIABILITY_PG", "") if version is None else version).strip()
    if not version:
        return Path(pgserver.__file__).parent / "pginstall" / "bin"
    folder = Path("/usr/lib/postgresql") / version / "bin"
    if not (folder / "postgres").exists():
        raise SystemExit(
            f"RELIABILITY_PG={version}: no {folder}/postgres "
            f"(install it with: apt-get install -y postgresql-{version})"
        )
    return folder


BIN = server_bin()
SYSTEM_USER = "pgserver"
APP_USER = "app"
APP_DB = "reliability"
# log_statement lines: simple protocol ("statement: …") and extended protocol ("execute …: …").
STATEMENT_LINE = re.compile(r"LOG:  (statement|execute [^:]*): ")


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


class Postgres:
    """One PostgreSQL server in its own temporary folder; `stop()` removes everything."""

    def __init__(self, port: int, *, bin_dir: Path | None = None):
        self.port = port
        self.bin = bin_dir or BIN
        self.user = _system_user()
        self.root = Path(tempfile.mkdtemp(prefix="reliability-pg-"))
        self.data = self.root / "data"
        self.superuser_password = secrets.token_urlsafe(24)
        self.app_password = secrets.token_urlsafe(24)
        self.log_file = self.data / "log" / "postgresql.log"
        if self.user:
            shutil.chown(self.root, self.user, self.user)
        os.chmod(self.root, 0o755)

    # --- process control -------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            cwd=self.root,
            env=env,
        )

    def init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.superuser_password)
        if self.user:
            shutil.chown(pwfile, self.user, self.user)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C",
        )
        pwfile.unlink()
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# reliability suite\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\n"
                "max_connections = 200\n"
                "logging_collector = on\n"
                "log_directory = 'log'\n"
                "log_filename = 'postgresql.log'\n"
                "log_line_prefix = '%m [%p] %u@%d '\n"
                "log_statement = 'none'\n"
            )
        self.start()
        with self.connect(dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(APP_USER), sql.Literal(self.app_password)
                )
            )
            conn.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_USER}")

    def start(self, *, wait: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "startup.log"), "start")
        if wait:
            self.wait_accepting()

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            return int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def kill9(self, *, grace: float = 5.0) -> int:
        """SIGKILL the postmaster (a crash); its orphaned children notice and exit by themselves,
        any still alive after `grace` seconds are killed too so the server can start again.
        Returns how many had to be killed."""
        pid = self.postmaster_pid()
        if pid is None:
            raise RuntimeError("PostgreSQL is not running")
        children = psutil.Process(pid).children(recursive=True)
        os.kill(pid, signal.SIGKILL)
        _gone, alive = psutil.wait_procs(children, timeout=grace)
        for proc in alive:
            proc.kill()
        psutil.wait_procs(alive, timeout=grace)
        return len(alive)

    def accepting(self) -> bool:
        try:
            with self.connect(dbname="postgres", connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def wait_accepting(self, timeout: float = 60) -> float:
        """Poll every 20 ms until a new session runs a query; return the time it first did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.accepting():
                return time.monotonic()
            time.sleep(0.02)
        raise RuntimeError(f"PostgreSQL did not accept connections within {timeout} s")

    def destroy(self) -> None:
        if self.postmaster_pid() and self.data.exists():
            try:
                self.stop("immediate")
            except (subprocess.SubprocessError, OSError):
                pid = self.postmaster_pid()
                if pid and psutil.pid_exists(pid):
                    self.kill9()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- connections -------------------------------------------------------------------------

    def url(self, *, user: str = APP_USER, port: int | None = None, dbname: str = APP_DB) -> str:
        password = self.app_password if user == APP_USER else self.superuser_password
        return f"postgresql://{user}:{password}@127.0.0.1:{port or self.port}/{dbname}"

    def connect(self, *, dbname: str = APP_DB, connect_timeout: int = 5) -> psycopg.Connection:
        """A superuser session for the suite's own checks (never the app's connections)."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.superuser_password,
            dbname=dbname,
            connect_timeout=connect_timeout,
            autocommit=True,
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def terminate_app_backends(self) -> int:
        """pg_terminate_backend every session of the app's user (what Neon does to idle ones),
        and wait (up to 5 s each) until they have exited: Neon closes a connection that has
        been idle for minutes, long gone by the next request. Without the wait, a request
        sent at once could reach a backend still exiting (through PgBouncer, whose pool had
        not yet seen it close), a failure of the harness's timing, not of idle connections."""
        rows = self.query(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            (APP_USER,),
        )
        return rows[0][0]

    def app_backends(self) -> int:
        return self.query("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (APP_USER,))[
            0
        ][0]

    # --- statement log, to count the SQL a request runs ------------------------------------

    def set_statement_log(self, on: bool) -> None:
        with self.connect() as conn:
            conn.execute(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'")
            conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)  # backends apply a reload before their next command

    def app_statements_since(self, offset: int) -> tuple[list[str], int]:
        """Statements the app's user sent since byte `offset` of the log, and the new offset.

        A marker statement from the suite's own session closes the window, so everything the
        app logged before it (i.e. during the request just answered) has been written.
        """
        marker = f"reliability-marker-{secrets.token_hex(6)}"
        with self.connect() as conn:
            conn.execute(f"SELECT '{marker}'")
        deadline = time.monotonic() + 5
        while True:
            with self.log_file.open("rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", "replace")
            if marker in text or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        end = text.find(marker)
        window = text[:end] if end >= 0 else text
        statements = [
            line
            for line in window.splitlines()
            if f" {APP_USER}@{APP_DB} " in line and STATEMENT_LINE.search(line)
        ]
        return statements, offset + len(text.encode())

    def log_size(self) -> int:
        return self.log_file.stat().st_size if self.log_file.exists() else 0
