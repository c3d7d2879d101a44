import re
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

# (substring of the driver's message, reason shown to the operator); first match wins.
FAILURE_REASONS = [
    ("password authentication failed", "authentication failed"),
    ("authentication failed", "authentication failed"),
    ("no password supplied", "authentication failed (no password in the URL)"),
    ("role", "authentication failed (unknown role)"),
    ("ssl connection is required", "SSL required (add ?sslmode=require to the URL)"),
    ("no encryption", "SSL required (add ?sslmode=require to the URL)"),
    ("server does not support ssl", "SSL required by the URL but not offered by the server"),
    ("endpoint", "Neon endpoint not found or not reachable (check the host name)"),
    ("database", "database does not exist"),
    ("could not translate host name", "host unreachable (host name does not resolve)"),
    ("name or service not known", "host unreachable (host name does not resolve)"),
    ("connection refused", "host unreachable (connection refused)"),
    ("no route to host", "host unreachable (no route to host)"),
    ("network is unreachable", "host unreachable (network is unreachable)"),
    ("timeout", "host unreachable (connection timed out)"),
    ("no such file or directory", "host unreachable (no server on that socket)"),
]


def classify(message: str) -> str:
    """Turn a driver error into a one-line reason an operator can act on."""
    lowered = message.lower()
    for needle, reason in FAILURE_REASONS:
        if needle in lowered and (needle != "database" or "does not exist" in lowered):
            return reason
    return "connection failed"


DRIVER_NOISE = re.compile(
    r"^(connection failed: )?(connection to server (at|on) .*? failed: )?((FATAL|ERROR):\s+)?"
)


def server_said(message: str) -> str:
    """The server's own words from a psycopg error, without the driver's preamble."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return DRIVER_NOISE.sub("", lines[0]) if lines else "no details"


class Command(BaseCommand):
    help = (
        "Check the database connection: server version, SSL, latency and pending migrations. "
        "Exits 1 with a one-line reason when the database cannot be used."
    )

    def add_arguments(self, parser):
        parser.add_argument("--samples", type=int, default=5, help="Round trips to time.")

    def handle(self, *args, samples, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        self.stdout.write(f"Database: {settings.DATABASE_DESCRIPTION}")
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
                cursor.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                row = cursor.fetchone()
                timings = []
                for _ in range(max(samples, 1)):
                    started = time.perf_counter()
                    cursor.execute("SELECT 1")
                    cursor.fetchone()
                    timings.append((time.perf_counter() - started) * 1000)
        except OperationalError as exc:
            message = str(exc)
            raise CommandError(
                f"dbcheck failed: {classify(message)} — {server_said(message)}"
            ) from None

        ssl = f"yes ({row[1]})" if row and row[0] else "no"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        self.stdout.write(f"Server: PostgreSQL {version}")
        self.stdout.write(f"SSL: {ssl}")
        self.stdout.write(
            f"Latency: {statistics.median(timings):.2f} ms median over {len(timings)} round trips"
        )
        if pending:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
            self.stdout.write(f"Pending migrations: {len(pending)} ({names})")
        else:
            self.stdout.write("Pending migrations: none")
        self.stdout.write(self.style.SUCCESS("OK"))
