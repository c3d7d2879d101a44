"""The PostGraphile peer's processes, started and stopped by the harness beside gunicorn."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

from benchmarks.peer.install import ensure_installed, node_binary
from benchmarks.peer.queries import permissions
from benchmarks.server import Server

# Apart from gunicorn's ports (benchmarks.server.PORT_RANGE); a port taken between the probe
# and the workers' bind (another program on the machine) is retried on the next free one.
PORT_RANGE = range(8300, 8400)
START_ATTEMPTS = 5


def free_port(host: str, after: int = PORT_RANGE.start - 1) -> int:
    for port in range(after + 1, PORT_RANGE.stop):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {after + 1}-{PORT_RANGE.stop - 1}")


class PeerServer(Server):
    """`node server.mjs` with `workers` cluster workers on a loopback port; the worker list,
    peak RSS and stop come from Server (the workers are the primary's children)."""

    def __init__(self, *, database: dict, workers: int, log: Path):
        super().__init__(base_dir=Path.cwd(), env={}, workers=workers, log=log)
        self.port = free_port(self.host)
        self.database = database

    def start(self, timeout: float = 120.0) -> None:
        for _ in range(START_ATTEMPTS - 1):
            try:
                return self._start(timeout)
            except RuntimeError:
                if "EADDRINUSE" not in self.log.read_text(errors="replace"):
                    raise
                self.port = free_port(self.host, after=self.port)
        return self._start(timeout)

    def _start(self, timeout: float) -> None:
        script = ensure_installed()
        self.base_dir = script.parent
        env = {
            "PATH": "/usr/bin:/bin",
            "GRAPHILE_ENV": "production",
            "NODE_ENV": "production",
            "PEER_DATABASE": json.dumps(self.database),
            "PEER_PORT": str(self.port),
            "PEER_WORKERS": str(self.workers),
            "PEER_PERMISSIONS": json.dumps(permissions()),
        }
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [str(node_binary(script.parent)), script.name],
            cwd=script.parent,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"PostGraphile exited with {code}; see {self.log}")
            if self._all_listening() and self._healthy():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"PostGraphile did not answer in {timeout:.0f} s; see {self.log}")

    def _all_listening(self) -> bool:
        """server.mjs prints one line once every worker listens."""
        self._log_file.flush()
        return f"postgraphile: {self.workers} workers on" in self.log.read_text(errors="replace")
