"""The server under test: gunicorn with production settings (DEBUG off) on a loopback port."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

PORT_RANGE = range(8100, 8200)


def free_port(host: str = "127.0.0.1") -> int:
    for port in PORT_RANGE:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


# BENCH_SERVER: what gunicorn serves. asgi is production's (the Procfile): uvicorn workers,
# config.asgi, each plain HTTP request in one of HTTP_THREADS threads (config.threaded_asgi).
SERVERS = {
    "asgi": {"app": "config.asgi:application", "worker_class": "config.serving.UvicornWorker"},
    "wsgi": {"app": "config.wsgi"},
}


class Server:
    """gunicorn config.wsgi (or another app and worker class), started and stopped by the
    harness."""

    def __init__(
        self,
        *,
        base_dir: Path,
        env: dict[str, str],
        workers: int,
        log: Path,
        app: str = "config.wsgi",
        worker_class: str | None = None,
        threads: int = 1,
    ):
        self.base_dir = base_dir
        self.app = app
        self.worker_class = worker_class
        self.threads = threads
        self.env = env
        self.workers = workers
        self.log = log
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        command = [
            gunicorn,
            self.app,
            *([f"--worker-class={self.worker_class}"] if self.worker_class else []),
            # Threads in each worker overlap one request's SQL with another's Python.
            *([f"--threads={self.threads}"] if self.threads > 1 else []),
            f"--bind={self.host}:{self.port}",
            f"--workers={self.workers}",
            "--timeout=300",
            "--graceful-timeout=5",
            "--log-level=warning",
        ]
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=self.base_dir,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited with {code}; see {self.log}")
            if self._healthy() and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s; see {self.log}")

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def reset_peak_rss(self) -> None:
        """Start a new peak-RSS window for every worker (Linux: clear_refs 5 resets VmHWM)."""
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_rss_mb(self) -> float | None:
        """The largest worker's peak resident memory (VmHWM) since the last reset, in MiB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return max(peaks) if peaks else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log_file.close()
