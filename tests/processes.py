"""Running manage.py as a separate process, the way an operator does, with a clean environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE_PY = str(Path(settings.BASE_DIR) / "manage.py")


def run_manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `manage.py *args` with only `env` (plus PATH/HOME) and no .env file."""
    full_env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_ENV_FILE": "", **env}
    return subprocess.run(
        [sys.executable, MANAGE_PY, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
        cwd="/",
    )
