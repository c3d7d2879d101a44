"""The production worker: gunicorn's uvicorn worker, answering a client that half-closes.

A client may shut down its side of the connection once it has sent its request
(`shutdown(SHUT_WR)`, `nc -N`, some proxies and HTTP/1.0 clients): it has sent everything, not
given up on the answer (RFC 9112, section 9.6). uvicorn takes the end of the client's data for a
disconnect and closes the connection, so such a request got no answer at all. `HttpProtocol`
keeps the connection open to write the answer, then closes it (nothing more can arrive); an
answer already under way when the client's data ends (an event stream) ends there, as before.
A request whose body ends before its `Content-Length` (or its last chunk) is refused with a 400
in GraphQL's error shape, and nothing of it runs: the rest can never arrive.

Each worker keeps to one CPU of its own when the machine's CPUs are the service's (at least as
many workers as CPUs; `WEB_CPU_AFFINITY`: `auto`, `1` always, `0` never). A request hops from
the event loop to one of the worker's threads and back (config.threaded_asgi): on a CPU of its
own, each hop wakes a thread on the CPU that is already awake; without, the other thread is
often woken on another CPU, idle until then, which on a virtual machine costs more than the
hop itself. One worker uses one CPU at a time anyway (the GIL). Serial reads answered 4-25 %
sooner on the bench's 2-core machine; at 4 and 8 concurrent requests none was slower
(docs/benchmarks.md).

    gunicorn config.asgi:application -k config.serving.UvicornWorker   (the Procfile)
    uvicorn config.asgi:application --http config.serving:HttpProtocol (make run)
"""

from __future__ import annotations

import json
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as BaseUvicornWorker

from config.errors import BAD_REQUEST, error_document

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
    """gunicorn's uvicorn worker (uvloop, httptools) with `HttpProtocol`, kept to one CPU
    (`WEB_CPU_AFFINITY`)."""

    CONFIG_KWARGS = {"loop": "auto", "http": "config.serving:HttpProtocol"}

    def init_process(self) -> None:
        mode = cpu_affinity()
        if mode != "0":
            self.keep_to_one_cpu(always=mode == "1")
        super().init_process()  # loads the application: its threads start on this CPU

    def keep_to_one_cpu(self, *, always: bool) -> None:
        """Run this worker (its event loop and its request threads) on one CPU, each worker
        on its own while there are CPUs enough: a request hops from the loop to a thread and
        back (config.threaded_asgi), and a thread woken on the CPU it was waiting on starts
        sooner than one woken on an idle other CPU (docs/operations.md)."""
        try:
            allowed = sorted(os.sched_getaffinity(0))
            if len(allowed) < 2 or (not always and self.cfg.workers < len(allowed)):
                return
            taken = []
            for pid in _siblings(self.ppid, self.pid):
                try:
                    cpus = os.sched_getaffinity(pid)
                except OSError:  # exited since
                    continue
                if len(cpus) == 1:
                    taken.extend(cpus)
            os.sched_setaffinity(0, {chosen_cpu(self.age, allowed, taken)})
        except (OSError, AttributeError) as error:  # no /proc or a sandbox refusing it
            self.log.warning("Worker %s not kept to one CPU: %s", self.pid, error)


def cpu_affinity(env=os.environ) -> str:
    """WEB_CPU_AFFINITY: whether each worker keeps to one CPU: `auto` (the default) when
    there are at least as many workers as CPUs (the machine is the service's), `1` always,
    `0` never."""
    raw = (env.get("WEB_CPU_AFFINITY") or "auto").strip().lower()
    if raw not in ("auto", "0", "1"):
        raise ValueError(f"WEB_CPU_AFFINITY must be auto, 0 or 1, not {raw!r}")
    return raw


def _siblings(parent: int, own: int) -> list[int]:
    """The other processes of `parent` (the gunicorn master's other workers)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == own:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(name))
    return found


def chosen_cpu(age: int, allowed: list[int], taken: list[int]) -> int:
    """The CPU for the worker gunicorn numbered `age` (1, 2, … in the order it spawned
    them): its turn among the `allowed` CPUs, unless that one holds more of the other
    workers (`taken`: the CPU of each worker kept to one) than another does."""
    load = {cpu: taken.count(cpu) for cpu in allowed}
    turn = allowed[(age - 1) % len(allowed)]
    if load[turn] == min(load.values()):
        return turn
    return min(allowed, key=lambda cpu: (load[cpu], cpu))
