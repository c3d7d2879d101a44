"""The application as it runs in production: gunicorn, DEBUG off, a generated secret key."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PORT_RANGE = range(8200, 8300)


def free_port(taken: set[int] | None = None) -> int:
    """A loopback port in 8200-8299 nobody listens on."""
    for port in PORT_RANGE:
        if taken and port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8200-8299")


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings: DEBUG off, a fresh secret key, loopback host only, no .env file."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        # Fail fast while the database is down instead of waiting the default 10 s.
        "DB_CONNECT_TIMEOUT": "3",
    }
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# What gunicorn serves: what the Procfile serves (the default), config.asgi with the worker the
# Procfile names (each plain HTTP request in one of HTTP_THREADS threads of a worker), or with
# RELIABILITY_SERVER=wsgi config.wsgi with gthread workers (docs/reliability.md).
SERVERS = {
    "asgi": ["config.asgi:application", "--worker-class", "config.serving.UvicornWorker"],
    "wsgi": ["config.wsgi"],
}


def server_kind() -> str:
    kind = os.environ.get("RELIABILITY_SERVER") or "asgi"
    if kind not in SERVERS:
        raise ValueError(f"RELIABILITY_SERVER must be one of {', '.join(SERVERS)}, not {kind!r}")
    return kind


class Gunicorn:
    """gunicorn serving the application (`SERVERS`) on a loopback port; its output goes to
    `log_path`. `threads`: threads a worker (HTTP_THREADS under ASGI)."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        port: int,
        log_path: Path,
        workers: int = 2,
        threads: int = 4,
    ):
        self.kind = server_kind()
        self.env = {**env, "HTTP_THREADS": str(threads)} if self.kind == "asgi" else env
        self.port = port
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                *SERVERS[self.kind],
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                *(["--threads", str(self.threads)] if self.kind == "wsgi" else []),
                "--timeout",
                "60",
                "--access-logfile",
                "-",
            ],
            env=self.env,
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not answer /healthz within {timeout} s; see {self.log_path}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
