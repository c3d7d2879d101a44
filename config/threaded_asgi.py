"""Plain HTTP under ASGI, served as a WSGI server serves it: one thread of a fixed pool runs the
whole request — middleware, view, the response's iteration and its close.

Django's ASGIHandler runs a project of synchronous views and middleware by hopping between the
event loop and threads several times a request: the sync middleware chain in one thread, back
to the loop for the async-capable middleware inside it, into a thread again for the view, and
once more for each signal and the response's close; and each request gets a thread of its own
(asgiref's ThreadSensitiveContext), created and joined every time. On this project's reads that
made the production worker 0.67-0.76x as fast as gunicorn's sync worker with the same
application (docs/benchmarks.md). Here the event loop reads the body (as Django's handler
does: a client sending its body slowly holds no thread), then one hop runs the request in a
thread of `HTTP_THREADS` kept for the process, which also writes the response to the loop
and closes it (`request_finished`: Django's connection upkeep runs in the thread that used the
connection, as under WSGI). WebSockets and graphql-sse stay on the event loop (config.asgi).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import set_script_prefix

DEFAULT_THREADS = 4


def thread_count(env=os.environ) -> int:
    """HTTP_THREADS: requests one process serves at once (the others wait for a thread)."""
    raw = (env.get("HTTP_THREADS") or "").strip()
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"HTTP_THREADS must be a positive integer, not {raw!r}")
    return int(raw)


class CpuHome:
    """The CPU a worker process keeps to while it serves one request at a time, and all it
    may use from its second request under way until it is idle again (WEB_CPU_AFFINITY=1:
    config.serving chooses the CPU). One request hops from the event loop to a thread and
    back: on one CPU each hop wakes a thread where the CPU is already awake. Several at once
    are better placed by the kernel, beside their SQL's backends when those are local."""

    home: CpuHome | None = None  # this process's, set by the worker before the application

    def __init__(self, cpu: int, allowed: set[int]):
        self.cpu = {cpu}
        self.allowed = set(allowed)
        self.threads: list[int] = []  # native ids: the event loop's, the request threads'
        self.spread = False

    def adopt(self) -> None:
        """The calling thread (the loop, a request thread) moves with the others."""
        self.threads.append(threading.get_native_id())
        self._move(self.threads[-1:], self.allowed if self.spread else self.cpu)

    def load(self, in_flight: int) -> None:
        """Requests under way changed (on the event loop): spread at two, gathered again at
        none, when every request thread is waiting for work (moving a running thread to
        another CPU waits for it to stop; widening where one may run moves nothing)."""
        if in_flight > 1 and not self.spread:
            self.spread = True
            self._move(list(self.threads), self.allowed)
        elif in_flight == 0 and self.spread:
            self.spread = False
            self._move(list(self.threads), self.cpu)

    def _move(self, threads: list[int], cpus: set[int]) -> None:
        for thread in threads:
            with contextlib.suppress(OSError):  # refused: the thread stays where it is
                os.sched_setaffinity(thread, cpus)


class ThreadedASGIHandler(ASGIHandler):
    """Django's ASGI handler for HTTP with the middleware chain built for synchronous calls
    (as WSGIHandler builds it) and each request run in one thread of a fixed pool."""

    def __init__(self, threads: int | None = None):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = threads or thread_count()
        self.home = CpuHome.home
        self.in_flight = 0
        # Threads start on first use (after a forking server has forked).
        self.executor = ThreadPoolExecutor(
            max_workers=self.threads,
            thread_name_prefix="http",
            initializer=self.home.adopt if self.home else None,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"ThreadedASGIHandler serves HTTP only, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        home = self.home
        if home is not None and not home.threads:
            home.adopt()  # the event loop's thread, on its first request
        self.in_flight += 1
        try:
            if home is not None:
                home.load(self.in_flight)
            try:
                sending = await loop.run_in_executor(
                    self.executor, self.serve, loop, scope, body_file, send
                )
            finally:
                body_file.close()
            if sending is not None:  # a whole response, still being written by the loop
                await asyncio.wrap_future(sending)
        finally:
            self.in_flight -= 1
            if home is not None:
                home.load(self.in_flight)

    def serve(self, loop, scope, body_file, send) -> Future | None:
        """The request, in a thread of the pool: as WSGIHandler runs it, the response written
        through the loop (`write`)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            response = error_response
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        try:
            return self.write(loop, response, send)
        finally:
            response.close()  # request_finished, in this thread

    def write(self, loop, response, send) -> Future | None:
        """A whole response is handed to the loop and not waited for here: the loop writes it
        while this thread closes the response (request_finished returns the database
        connection), and the returned future is the loop's to await. A streaming response is
        iterated here, each part sent and waited for before the next."""

        def run(coroutine):
            asyncio.run_coroutine_threadsafe(coroutine, loop).result()

        start = {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": headers(response),
        }
        if not response.streaming:
            return asyncio.run_coroutine_threadsafe(
                self._send_whole(send, start, response.content), loop
            )
        run(send(start))
        for part in response:  # iterated here, in the thread that made the response
            for chunk, _ in self.chunk_bytes(part):
                run(send({"type": "http.response.body", "body": chunk, "more_body": True}))
        run(send({"type": "http.response.body"}))
        return None

    async def _send_whole(self, send, start, content: bytes) -> None:
        await send(start)
        for chunk, last in self.chunk_bytes(content):
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})


def headers(response) -> list[tuple[bytes, bytes]]:
    """The response's headers and cookies as ASGI sends them (ASGIHandler.send_response)."""
    pairs = []
    for header, value in response.items():
        if isinstance(header, str):
            header = header.encode("ascii")
        if isinstance(value, str):
            value = value.encode("latin1")
        pairs.append((bytes(header), bytes(value)))
    for cookie in response.cookies.values():
        pairs.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return pairs
