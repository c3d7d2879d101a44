import json
import subprocess
import sys

import pytest
from django.conf import settings

from config import database
from tests.processes import run_manage

NEON_POOLER_URL = (
    "postgresql://app:s3cret@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
NEON_DIRECT_URL = (
    "postgres://app:s3cret@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require"
)


def test_database_url_is_preferred_over_db_url():
    # when
    found = database.configured_url(
        {"DATABASE_URL": "postgres://a@h/one", "DB_URL": "postgres://b@h/two"}
    )

    # then
    assert found == ("DATABASE_URL", "postgres://a@h/one")


def test_db_url_is_used_when_database_url_is_absent_or_blank():
    # when
    found = database.configured_url({"DATABASE_URL": "  ", "DB_URL": "postgres://b@h/two"})

    # then
    assert found == ("DB_URL", "postgres://b@h/two")


def test_neon_pooler_url_keeps_ssl_options_and_disables_server_side_cursors():
    # when
    config = database.database_config(NEON_POOLER_URL, {})

    # then
    assert config["ENGINE"] == "config.postgresql"
    assert config["HOST"] == "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    assert config["NAME"] == "neondb"
    assert config["USER"] == "app"
    assert config["PASSWORD"] == "s3cret"
    assert config["OPTIONS"] == {
        "sslmode": "require",
        "channel_binding": "require",
        "connect_timeout": 8,  # DB_REQUEST_TIMEOUT's 8 s, below DB_CONNECT_TIMEOUT's 10
    }
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["CONN_MAX_AGE"] == 60
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["PREPARED_STATEMENTS"] is False


def test_direct_neon_host_keeps_server_side_cursors_and_prepared_statements():
    # when
    config = database.database_config(NEON_DIRECT_URL, {})

    # then
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert config["OPTIONS"]["sslmode"] == "require"
    assert config["PREPARED_STATEMENTS"] is True
    assert config["OPTIONS"]["prepare_threshold"] == 5


def test_prepared_statements_can_be_switched_either_way():
    # when
    pooled = database.database_config(NEON_POOLER_URL, {"DB_PREPARED_STATEMENTS": "1"})
    direct = database.database_config(
        NEON_DIRECT_URL, {"DB_PREPARED_STATEMENTS": "0", "DB_PREPARE_THRESHOLD": "2"}
    )
    threshold = database.database_config(NEON_DIRECT_URL, {"DB_PREPARE_THRESHOLD": "2"})

    # then
    assert (pooled["PREPARED_STATEMENTS"], pooled["OPTIONS"]["prepare_threshold"]) == (True, 5)
    assert direct["PREPARED_STATEMENTS"] is False
    assert "prepare_threshold" not in direct["OPTIONS"]
    assert threshold["OPTIONS"]["prepare_threshold"] == 2


def test_pgbouncer_flag_disables_server_side_cursors():
    # when
    config = database.database_config("postgresql://u@localhost:6432/app", {"DB_PGBOUNCER": "1"})

    # then
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_pool_settings_come_from_the_environment():
    # given
    env = {"DB_POOL": "1", "DB_POOL_MIN": "2", "DB_POOL_MAX": "8", "DB_POOL_TIMEOUT": "5"}

    # when
    config = database.database_config(NEON_DIRECT_URL, env)

    # then
    assert config["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 8,
        "timeout": 5,
        "reconnect_timeout": 10,
    }
    assert config["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(
    ("env", "timeout"),
    [
        ({}, 8.0),  # the request's deadline, 8 s by default, below the pool's 10 s
        ({"DB_REQUEST_TIMEOUT": "4"}, 4.0),
        ({"DB_REQUEST_TIMEOUT": "4", "DB_POOL_TIMEOUT": "3"}, 3),
        ({"DB_REQUEST_TIMEOUT": "30"}, 10),
        ({"DB_REQUEST_TIMEOUT": "0"}, 10),  # no deadline: the pool's own
    ],
)
def test_a_wait_for_a_pooled_connection_is_bounded_by_the_request_deadline(env, timeout):
    # when
    config = database.database_config(NEON_DIRECT_URL, {"DB_POOL": "1", **env})

    # then
    assert config["OPTIONS"]["pool"]["timeout"] == timeout


def test_the_pools_reconnect_timeout_comes_from_the_environment():
    env = {"DB_POOL": "1", "DB_POOL_RECONNECT_TIMEOUT": "30"}

    config = database.database_config(NEON_DIRECT_URL, env)

    assert config["OPTIONS"]["pool"]["reconnect_timeout"] == 30


def test_a_request_deadline_that_is_not_a_number_is_refused():
    with pytest.raises(database.DatabaseConfigError, match="DB_REQUEST_TIMEOUT must be a number"):
        database.database_config(NEON_DIRECT_URL, {"DB_POOL": "1", "DB_REQUEST_TIMEOUT": "soon"})


def test_conn_max_age_comes_from_the_environment():
    # when
    config = database.database_config(NEON_DIRECT_URL, {"DB_CONN_MAX_AGE": "30"})

    # then
    assert config["CONN_MAX_AGE"] == 30


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://u@h/db",
            "DATABASE_URL must be a postgresql:// URL (scheme 'mysql' is not PostgreSQL)",
        ),
        (
            "sqlite:///db.sqlite3",
            "DATABASE_URL must be a postgresql:// URL (scheme 'sqlite' is not PostgreSQL)",
        ),
        (
            "not a url",
            "DATABASE_URL must be a postgresql:// URL (scheme '(none)' is not PostgreSQL)",
        ),
        ("postgresql://u@h", "DATABASE_URL names no database (add /dbname to the URL)"),
    ],
)
def test_unusable_urls_are_refused_with_one_line(url, message):
    # when
    with pytest.raises(database.DatabaseConfigError) as excinfo:
        database.database_config(url, {})

    # then
    assert str(excinfo.value) == message


def test_bad_numbers_in_db_variables_are_refused():
    # when
    with pytest.raises(database.DatabaseConfigError) as excinfo:
        database.database_config(NEON_DIRECT_URL, {"DB_CONN_MAX_AGE": "soon"})

    # then
    assert str(excinfo.value) == "DB_CONN_MAX_AGE must be a whole number, got 'soon'"


def test_the_suite_runs_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "config.postgresql"


EMBEDDED_SCRIPT = """
import json, sys
from pathlib import Path
import psycopg
from config import database
config, description = database.resolve(Path(sys.argv[1]), {"EMBEDDED_PG_DIR": sys.argv[2]})
with psycopg.connect(
    dbname=config["NAME"], user=config["USER"], host=config["HOST"], **config["OPTIONS"]
) as conn:
    version = conn.execute("SHOW server_version_num").fetchone()[0]
print(json.dumps({"description": description, "version": int(version)}))
"""


def test_embedded_server_starts_without_a_url_and_stops_when_the_last_user_exits(tmp_path):
    # given
    data_dir = tmp_path / "pg"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR), "DJANGO_ENV_FILE": ""}

    # when
    result = subprocess.run(
        [sys.executable, "-c", EMBEDDED_SCRIPT, str(tmp_path), str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    # then
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["description"] == "embedded PostgreSQL in pg (no DATABASE_URL set)"
    assert answer["version"] >= 160000
    assert (data_dir / "PG_VERSION").exists()
    assert not (data_dir / "postmaster.pid").exists(), "server still running after its user exited"
    assert json.loads((data_dir / ".handle_pids.json").read_text()) == []


def test_startup_fails_fast_without_a_secret_key_outside_debug():
    # when
    result = run_manage("check", env={"DJANGO_DEBUG": "0", "DATABASE_URL": NEON_DIRECT_URL})

    # then
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Configuration error: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
        "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')\n"
    )


def test_startup_fails_fast_without_allowed_hosts_outside_debug():
    # when
    result = run_manage(
        "check",
        env={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DATABASE_URL": NEON_DIRECT_URL,
        },
    )

    # then
    assert result.returncode == 2
    assert result.stderr == (
        "Configuration error: DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
        "(comma-separated host names, e.g. api.example.com)\n"
    )


def test_replica_urls_become_numbered_aliases_with_the_primarys_settings():
    # when
    replicas = database.replica_configs(
        {
            "DATABASE_REPLICA_URL": f"{NEON_POOLER_URL}, postgres://r@10.0.0.2:6432/neondb",
            "DB_CONN_MAX_AGE": "30",
        }
    )
    # then
    assert list(replicas) == ["replica1", "replica2"]
    first, second = replicas["replica1"], replicas["replica2"]
    assert first["HOST"] == "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    assert first["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert (second["HOST"], second["PORT"], second["USER"]) == ("10.0.0.2", 6432, "r")
    assert first["CONN_MAX_AGE"] == second["CONN_MAX_AGE"] == 30


def test_no_replica_url_adds_no_alias():
    assert database.replica_configs({"DATABASE_REPLICA_URL": " , "}) == {}


def test_a_replica_url_that_is_not_postgresql_is_refused():
    with pytest.raises(database.DatabaseConfigError) as refused:
        database.replica_configs({"DATABASE_REPLICA_URL": "mysql://a@h/db"})
    assert str(refused.value) == (
        "DATABASE_REPLICA_URL #1 must be a postgresql:// URL (scheme 'mysql' is not PostgreSQL)"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 8),  # connecting never outlasts the request's deadline
        ({"DB_CONNECT_TIMEOUT": "5"}, 5),
        ({"DB_REQUEST_TIMEOUT": "30"}, 10),
        ({"DB_REQUEST_TIMEOUT": "2.5"}, 3),  # libpq counts whole seconds
        ({"DB_REQUEST_TIMEOUT": "0.3"}, 2),  # and waits 2 at least
        ({"DB_REQUEST_TIMEOUT": "0"}, 10),  # no deadline
    ],
)
def test_connecting_is_bounded_by_the_request_deadline(env, expected):
    config = database.database_config(NEON_DIRECT_URL, env)

    assert config["OPTIONS"]["connect_timeout"] == expected


def test_a_connect_timeout_in_the_url_is_kept():
    config = database.database_config(f"{NEON_DIRECT_URL}&connect_timeout=20", {})

    assert config["OPTIONS"]["connect_timeout"] == 20  # the operator's own choice
