"""In a development checkout the documented commands work as written, without DJANGO_DEBUG=1;
anything else still needs a secret key."""

import subprocess
import sys

from django.conf import settings

from tests.processes import run_manage


def test_dbcheck_works_as_written_in_a_development_checkout():
    # when: `make dbcheck` runs `manage.py dbcheck` with nothing set
    result = run_manage("dbcheck", env={})

    # then
    assert result.returncode == 0, result.stderr
    assert "Server: PostgreSQL" in result.stdout


def test_a_documented_command_works_as_written_with_a_database_url():
    # when: `manage.py showmigrations` against a URL, no secret key typed
    result = run_manage(
        "check", env={"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db?connect_timeout=1"}
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_settings_outside_manage_py_still_require_a_secret_key():
    # when: a server process (gunicorn imports the settings, not manage.py)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "DJANGO_ENV_FILE": "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(settings.BASE_DIR),
            "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db",
        },
        timeout=60,
        check=False,
    )

    # then
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
