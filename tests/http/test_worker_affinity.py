"""With WEB_CPU_AFFINITY=1 each production worker keeps to a CPU of its own while it serves one
request at a time (config.serving, config.threaded_asgi.CpuHome): gunicorn started as the
Procfile starts it."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from config.serving import chosen_cpu, cpu_affinity
from config.threaded_asgi import CpuHome, ThreadedASGIHandler
from tests.processes import database_url, free_port

ALLOWED = sorted(os.sched_getaffinity(0))
WORKERS = min(len(ALLOWED), 4)  # a worker for each CPU, on a machine of at most four


def test_each_worker_takes_its_turn_unless_that_cpu_holds_more_workers_than_another():
    # given / when / then: the first workers go round the CPUs
    assert [chosen_cpu(age, [0, 1], []) for age in (1, 2)] == [0, 1]
    assert [chosen_cpu(age, [2, 5, 7], []) for age in (1, 2, 3, 4)] == [2, 5, 7, 2]
    # a replacement whose turn falls on a CPU another worker holds takes the free one
    assert chosen_cpu(4, [0, 1], [1]) == 0
    assert chosen_cpu(3, [0, 1], [1]) == 0
    assert chosen_cpu(5, [0, 1, 2], [0, 2]) == 1
    # more workers than CPUs: the least held, its turn first
    assert chosen_cpu(3, [0, 1], [0, 1]) == 0
    assert chosen_cpu(4, [0, 1], [0, 1]) == 1
    assert chosen_cpu(3, [0, 1], [0, 1, 1]) == 0


@pytest.mark.parametrize(
    ("raw", "kept"), [(None, False), ("", False), ("0", False), (" 1 ", True), ("1", True)]
)
def test_the_setting_is_off_unless_asked_for(raw, kept):
    env = {} if raw is None else {"WEB_CPU_AFFINITY": raw}
    assert cpu_affinity(env) is kept


@pytest.mark.parametrize("raw", ["yes", "2", "auto"])
def test_another_setting_is_refused_with_its_value(raw):
    with pytest.raises(ValueError, match=f"WEB_CPU_AFFINITY must be 0 or 1, not '{raw}'"):
        cpu_affinity({"WEB_CPU_AFFINITY": raw})


def _workers(master: subprocess.Popen, count: int, timeout: float = 60) -> list[int]:
    """The pids of the master's `count` workers once all of them answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert master.poll() is None, "gunicorn exited"
        children = psutil.Process(master.pid).children()
        if len(children) == count:
            return sorted(child.pid for child in children)
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start {count} workers")


def _serve(workers: int, setting: str | None):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
    }
    env.pop("WEB_CPU_AFFINITY", None)
    if setting is not None:
        env["WEB_CPU_AFFINITY"] = setting
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    master = subprocess.Popen(
        [
            gunicorn,
            "config.asgi:application",
            "-k",
            "config.serving.UvicornWorker",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    return master, port


def _answers(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                assert answer.status == 200
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(master: subprocess.Popen) -> None:
    master.send_signal(signal.SIGTERM)
    try:
        master.wait(timeout=20)
    except subprocess.TimeoutExpired:
        master.kill()
        master.wait()


def _affinities(pids) -> list[set[int]]:
    return [os.sched_getaffinity(pid) for pid in pids]


def _kept(pids, timeout: float = 30) -> list[set[int]]:
    """The workers' CPUs once each keeps to one (a worker forked a moment ago may not have
    chosen yet), or as they are when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        found = _affinities(pids)
        if all(len(cpus) == 1 for cpus in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_workers_asked_to_keep_to_a_cpu_take_one_each_and_a_replacement_takes_the_one_freed():
    # given: the Procfile's server with a worker for each CPU this process may use
    workers = WORKERS
    master, port = _serve(workers, "1")
    try:
        _answers(port)
        pids = _workers(master, workers)

        # then: each on a CPU of its own (one CPU: nothing to choose, nothing changed)
        if len(ALLOWED) == 1:
            assert _affinities(pids) == [set(ALLOWED)]
            return
        first = _kept(pids)
        assert all(len(cpus) == 1 for cpus in first)
        assert sorted(cpu for cpus in first for cpu in cpus) == ALLOWED[:workers]

        # when: a worker dies and gunicorn starts another
        gone = pids[0]
        freed = os.sched_getaffinity(gone)
        os.kill(gone, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            current = _workers(master, workers)
            if gone not in current:
                break
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.1)
        _answers(port)
        (replacement,) = set(current) - set(pids)

        # then: it takes the CPU the dead one held, whatever its turn
        assert _kept([replacement]) == [freed]
        assert sorted(cpu for cpus in _kept(current) for cpu in cpus) == ALLOWED[:workers]
    finally:
        _stop(master)


@pytest.mark.parametrize("setting", [None, "0"], ids=["by default", "switched off"])
def test_workers_run_on_every_cpu_unless_asked_to_keep_to_one(setting):
    # given
    master, port = _serve(WORKERS, setting)
    try:
        _answers(port)

        # when
        pids = _workers(master, WORKERS)

        # then
        assert _affinities(pids) == [set(ALLOWED)] * WORKERS
    finally:
        _stop(master)


def _request(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def test_a_worker_spreads_over_the_cpus_while_it_serves_two_requests_and_gathers_after():
    # given: the handler of a worker kept to its first CPU, its event loop in a thread of its
    # own; each response's first write held until the test lets it go
    home = CpuHome(ALLOWED[0], set(ALLOWED))
    handler = ThreadedASGIHandler(threads=2)
    handler.home = home
    handler.executor = ThreadPoolExecutor(max_workers=2, initializer=home.adopt)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    writes = [asyncio.Event(), asyncio.Event()]
    started = [threading.Event(), threading.Event()]
    sent: list[list[dict]] = [[], []]

    def serve(index: int):
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                started[index].set()
                await writes[index].wait()
            sent[index].append(message)

        return asyncio.run_coroutine_threadsafe(
            handler(_request("/no-such-page/"), receive, send), loop
        )

    def affinities():
        return [os.sched_getaffinity(thread) for thread in home.threads]

    try:
        # when: one request under way
        first = serve(0)
        assert started[0].wait(20)
        one = affinities()
        # two
        second = serve(1)
        assert started[1].wait(20)
        two = affinities()
        # one again (the other still being answered), then none
        loop.call_soon_threadsafe(writes[0].set)
        first.result(20)
        after_one = affinities()
        loop.call_soon_threadsafe(writes[1].set)
        second.result(20)
        after_both = affinities()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(20)
        handler.executor.shutdown()

    # then: the loop and the request threads (one or two: a thread is free again once it has
    # handed its response to the loop) on the home CPU while one request is served, on all
    # from two on until none is, and back after
    home_cpu, every = {ALLOWED[0]}, set(ALLOWED)
    assert home.threads[0] == runner.native_id
    assert len(home.threads) in (2, 3)
    assert one == [home_cpu] * len(one) and len(one) == 2
    assert two == [every] * len(home.threads)
    assert after_one == [every] * len(home.threads)
    assert after_both == [home_cpu] * len(home.threads)
    assert [messages[0]["status"] for messages in sent] == [404, 404]
