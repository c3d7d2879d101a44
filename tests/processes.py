"""Running manage.py as a separate process, the way an operator does, with a clean environment;
and the ASGI server (uvicorn, the production worker's server) on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_asgi(env_overrides: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """uvicorn serving config.asgi against the test database, once it answers /healthz; the
    process and its `host:port`."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
        "REALTIME_POLL_INTERVAL": "0.05",
        **env_overrides,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--http",
            "config.serving:HttpProtocol",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=str(Path(settings.BASE_DIR)),
        env=env,
    )
    base = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://{base}/healthz", timeout=1).read()
            return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the ASGI server did not start") from None
            time.sleep(0.1)
