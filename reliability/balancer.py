"""nginx as the load balancer in front of several app servers, on loopback only.

Installed from Debian's `nginx` package when missing (the suite runs as root there). Requests
go round-robin to the upstreams; one refusing connections (restarting) is skipped for the
next, which nginx does for any method since nothing was sent yet.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NGINX = Path("/usr/sbin/nginx")


def ensure_installed() -> Path:
    if NGINX.exists():
        return NGINX
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return NGINX


def config(
    port: int, upstreams: list[int], folder: Path, down: frozenset[int] = frozenset()
) -> str:
    servers = "".join(
        f"    server 127.0.0.1:{upstream} max_fails=1 fail_timeout=2s"
        + (" down" if upstream in down else "")
        + ";\n"
        for upstream in upstreams
    )
    temp = "".join(
        f"  {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"
        "daemon off;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log {folder / 'access.log'};\n"
        f"{temp}"
        "  client_max_body_size 10m;\n"
        "  upstream app {\n"
        f"{servers}"
        "  }\n"
        "  server {\n"
        f"    listen 127.0.0.1:{port};\n"
        "    location / {\n"
        "      proxy_pass http://app;\n"
        "      proxy_set_header Host $http_host;\n"
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "      proxy_set_header X-Forwarded-Proto $scheme;\n"
        # Refused or timed out before anything was sent: the next server gets the request.
        "      proxy_next_upstream error timeout;\n"
        "      proxy_connect_timeout 2s;\n"
        "      proxy_read_timeout 60s;\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


class Nginx:
    def __init__(self, port: int, upstreams: list[int]):
        self.port = port
        self.upstreams = upstreams
        self.folder = Path(tempfile.mkdtemp(prefix="reliability-nginx-"))
        self.process: subprocess.Popen | None = None
        self.down: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> None:
        binary = ensure_installed()
        conf = self.folder / "nginx.conf"
        conf.write_text(config(self.port, self.upstreams, self.folder))
        self.process = subprocess.Popen(
            [str(binary), "-p", str(self.folder), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = (self.folder / "stderr.log").read_text()[-500:]
                raise RuntimeError(f"nginx exited with {self.process.returncode}: {errors}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not listen in time")

    def drain(self, upstream: int, *, down: bool = True) -> None:
        """Take `upstream` out of the rotation (or put it back): the configuration is rewritten
        and reloaded; nginx's old worker finishes the requests it is proxying."""
        (self.down.add if down else self.down.discard)(upstream)
        conf = self.folder / "nginx.conf"
        conf.write_text(config(self.port, self.upstreams, self.folder, frozenset(self.down)))
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # the new worker takes over

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
