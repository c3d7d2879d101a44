"""Running manage.py as a separate process, the way an operator does, with a clean environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

MANAGE_PY = str(Path(settings.BASE_DIR) / "manage.py")


def _clean_env(env: dict[str, str]) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_ENV_FILE": "", **env}


def start_manage(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """Start `manage.py *args` as run_manage does, without waiting for it."""
    return subprocess.Popen(
        [sys.executable, MANAGE_PY, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(env),
        cwd="/",
    )


def run_manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `manage.py *args` with only `env` (plus PATH/HOME) and no .env file."""
    full_env = _clean_env(env)
    return subprocess.run(
        [sys.executable, MANAGE_PY, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
        cwd="/",
    )


def database_url() -> str:
    """A URL of the database the tests use, for a process started by a test."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "")
    password = quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):
        return f"postgresql://{auth}/{s['NAME']}?host={quote(host)}&port={s.get('PORT') or 5432}"
    return f"postgresql://{auth}{host}:{s.get('PORT') or 5432}/{s['NAME']}"
