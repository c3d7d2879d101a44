"""The production worker: gunicorn's uvicorn worker, answering a client that half-closes.

A client may shut down its side of the connection once it has sent its request
(`shutdown(SHUT_WR)`, `nc -N`, some proxies and HTTP/1.0 clients): it has sent everything, not
given up on the answer (RFC 9112, section 9.6). uvicorn takes the end of the client's data for a
disconnect and closes the connection, so such a request got no answer at all. `HttpProtocol`
keeps the connection open to write the answer, then closes it (nothing more can arrive); an
answer already under way when the client's data ends (an event stream) ends there, as before.
A request whose body ends before its `Content-Length` (or its last chunk) is refused with a 400
in GraphQL's error shape, and nothing of it runs: the rest can never arrive.

With `WEB_CPU_AFFINITY=1` each worker keeps to a CPU of its own (round the CPUs, a replacement
taking the one its predecessor held) while it serves one request at a time, and spreads over
all of them from two requests on until it is idle again (config.threaded_asgi.CpuHome). A
request hops from the event loop to one of the worker's threads and back: on one CPU each hop
wakes a thread where the CPU is already awake, instead of on another CPU idle until then,
which on a virtual machine costs more than the hop. Off by default: on the bench's 2-core
machine, PostgreSQL on the same cores, it answered four of six reads 6-23 % faster at
concurrency 1 and two 5-12 % slower, and the heaviest read (threads with their last 20
messages) 20-25 % slower at 4 and 8 (docs/benchmarks.md); how it does beside a remote
database is for a deployment to measure.

    gunicorn config.asgi:application -k config.serving.UvicornWorker   (the Procfile)
    uvicorn config.asgi:application --http config.serving:HttpProtocol (make run)
"""

from __future__ import annotations

import json
import os

import psutil
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as BaseUvicornWorker

from config.errors import BAD_REQUEST, error_document
from config.threaded_asgi import CpuHome

TRUNCATED = json.dumps(
    error_document(
        "The request body ended before its announced length: the client closed its side of "
        "the connection.",
        BAD_REQUEST,
    ),
    separators=(",", ":"),
).encode()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering a request whose client half-closed."""

    def eof_received(self) -> bool:
        cycle = self.cycle
        if cycle is None or cycle.response_complete or cycle.response_started:
            # No request under way, or an answer already streaming (an event stream, whose
            # client closing must end it): a disconnect, as uvicorn takes it.
            return False
        cycle.keep_alive = False  # nothing more can arrive: close after this answer
        if cycle.more_body:
            self._refuse_truncated()
            return False
        return True  # keep the connection open for the answer

    def _refuse_truncated(self) -> None:
        """A 400 for a request cut short; the application sees a disconnect (no row written)."""
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(TRUNCATED)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + TRUNCATED)
        self.transport.close()


class UvicornWorker(BaseUvicornWorker):
    """gunicorn's uvicorn worker (uvloop, httptools) with `HttpProtocol`, kept to a CPU of
    its own when asked (`WEB_CPU_AFFINITY`)."""

    CONFIG_KWARGS = {"loop": "auto", "http": "config.serving:HttpProtocol"}

    def init_process(self) -> None:
        if cpu_affinity():
            self.keep_to_one_cpu()
        super().init_process()  # loads the application: its threads start on this CPU

    def keep_to_one_cpu(self) -> None:
        """Keep this worker to a CPU of its own while there are CPUs enough (the module's
        docstring); its request threads and event loop move with its load
        (config.threaded_asgi.CpuHome)."""
        try:
            allowed = sorted(os.sched_getaffinity(0))
            if len(allowed) < 2:
                return
            siblings = [
                child for child in psutil.Process(self.ppid).children() if child.pid != self.pid
            ]
            taken = [cpu for child in siblings if (cpu := _home_of(child)) is not None]
            cpu = chosen_cpu(self.age, allowed, taken)
            os.sched_setaffinity(0, {cpu})
            CpuHome.home = CpuHome(cpu, set(allowed))
        except (OSError, AttributeError, psutil.Error) as error:  # a sandbox refusing it
            self.log.warning("Worker %s not kept to one CPU: %s", self.pid, error)


def cpu_affinity(env=os.environ) -> bool:
    """WEB_CPU_AFFINITY: whether each worker keeps to a CPU of its own while it serves one
    request at a time (`1`), or runs wherever the kernel places it (`0`, the default)."""
    raw = (env.get("WEB_CPU_AFFINITY") or "0").strip()
    if raw not in ("0", "1"):
        raise ValueError(f"WEB_CPU_AFFINITY must be 0 or 1, not {raw!r}")
    return raw == "1"


def _home_of(process: psutil.Process) -> int | None:
    """The CPU a sibling worker keeps to: the one most of its threads keep to alone (its
    request threads and event loop spread over all while it serves several requests)."""
    homes: list[int] = []
    try:
        for thread in process.threads():
            cpus = os.sched_getaffinity(thread.id)
            if len(cpus) == 1:
                homes.extend(cpus)
    except (OSError, psutil.Error):  # exited since
        return None
    return max(set(homes), key=homes.count) if homes else None


def chosen_cpu(age: int, allowed: list[int], taken: list[int]) -> int:
    """The CPU for the worker gunicorn numbered `age` (1, 2, … in the order it spawned
    them): its turn among the `allowed` CPUs, unless that one holds more of the other
    workers (`taken`: the CPU of each worker kept to one) than another does."""
    load = {cpu: taken.count(cpu) for cpu in allowed}
    turn = allowed[(age - 1) % len(allowed)]
    if load[turn] == min(load.values()):
        return turn
    return min(allowed, key=lambda cpu: (load[cpu], cpu))
