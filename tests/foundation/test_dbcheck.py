import socket
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.foundation.fake_postgres import FakePostgres
from tests.processes import run_manage


def dbcheck(url: str) -> subprocess.CompletedProcess:
    return run_manage(
        "dbcheck", env={"DJANGO_DEBUG": "1", "DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "3"}
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_dbcheck_reports_version_ssl_latency_and_migrations():
    # when
    out = StringIO()
    call_command("dbcheck", stdout=out)

    # then
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Database: {settings.DATABASE_DESCRIPTION}"
    assert lines[1].startswith("Server: PostgreSQL 1")
    assert lines[2] == "SSL: no"
    assert lines[3].startswith("Latency: ") and lines[3].endswith(" ms median over 5 round trips")
    assert lines[4] == "Pending migrations: none"
    assert lines[5] == "OK"


def test_dbcheck_bad_url_is_one_line():
    # when
    result = dbcheck("mysql://user:pw@db.example.com/app")

    # then
    assert result.returncode == 2
    assert result.stderr == (
        "Configuration error: DATABASE_URL must be a postgresql:// URL "
        "(scheme 'mysql' is not PostgreSQL)\n"
    )


def test_dbcheck_authentication_failure_is_one_line():
    # given
    message = 'password authentication failed for user "app"'
    with FakePostgres("28P01", message) as server:
        # when
        result = dbcheck(f"postgresql://app:wrong@127.0.0.1:{server.port}/app")

    # then
    assert result.returncode == 1
    assert result.stderr == f"CommandError: dbcheck failed: authentication failed — {message}\n"


def test_dbcheck_ssl_required_by_server_is_one_line():
    # given: what PostgreSQL says when pg_hba only accepts encrypted connections
    message = 'no pg_hba.conf entry for host "127.0.0.1", user "app", database "app", no encryption'
    with FakePostgres("28000", message) as server:
        # when
        result = dbcheck(f"postgresql://app:pw@127.0.0.1:{server.port}/app?sslmode=disable")

    # then
    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: dbcheck failed: SSL required (add ?sslmode=require to the URL) — "
        f"{message}\n"
    )


def test_dbcheck_ssl_required_by_url_but_not_offered_is_one_line():
    # given
    with FakePostgres("28000", "unused") as server:
        # when
        result = dbcheck(f"postgresql://app:pw@127.0.0.1:{server.port}/app?sslmode=require")

    # then
    assert result.returncode == 1
    assert result.stderr.startswith(
        "CommandError: dbcheck failed: SSL required by the URL but not offered by the server — "
    )
    assert result.stderr.count("\n") == 1


def test_dbcheck_unreachable_host_is_one_line():
    # given: nothing listens on this port
    port = free_port()

    # when
    result = dbcheck(f"postgresql://app:pw@127.0.0.1:{port}/app")

    # then
    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: dbcheck failed: host unreachable (connection refused) — Connection refused\n"
    )


def test_dbcheck_unknown_host_name_is_one_line():
    # when: .invalid never resolves (RFC 2606)
    result = dbcheck("postgresql://app:pw@db.nonexistent.invalid:5432/app")

    # then
    assert result.returncode == 1
    assert result.stderr.startswith(
        "CommandError: dbcheck failed: host unreachable (host name does not resolve) — "
        "failed to resolve host 'db.nonexistent.invalid'"
    )
    assert result.stderr.count("\n") == 1
