"""PgBouncer in transaction mode in front of the suite's PostgreSQL, on loopback only.

Installed from Debian's `pgbouncer` package when missing (the suite runs as root there).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from reliability.pg import APP_DB, APP_USER, Postgres


def ensure_installed() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found:
        return found
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "pgbouncer"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class PgBouncer:
    def __init__(self, pg: Postgres, port: int):
        self.pg = pg
        self.port = port
        self.dir = pg.root / "pgbouncer"
        self.log_path = self.dir / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.pg.url(port=self.port)

    def start(self, timeout: float = 20) -> None:
        binary = ensure_installed()
        self.dir.mkdir(exist_ok=True)
        (self.dir / "userlist.txt").write_text(f'"{APP_USER}" "{self.pg.app_password}"\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{APP_DB} = host=127.0.0.1 port={self.pg.port} dbname={APP_DB}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {self.dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 400\n"
            "default_pool_size = 40\n"
            # Retry the server soon after it comes back (the default waits 15 s).
            "server_login_retry = 1\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.log_path}\n"
            f"pidfile = {self.dir / 'pgbouncer.pid'}\n"
        )
        if self.pg.user:
            for path in (self.dir, *self.dir.iterdir()):
                shutil.chown(path, self.pg.user, self.pg.user)
        self.process = subprocess.Popen(
            [binary, str(self.dir / "pgbouncer.ini")],
            user=self.pg.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.dir,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"pgbouncer exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pgbouncer did not listen in time")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
