"""The production worker keeps to one CPU of its own when the machine's CPUs are the service's
(config.serving, WEB_CPU_AFFINITY): gunicorn started as the Procfile starts it."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from config.serving import chosen_cpu, cpu_affinity
from tests.processes import database_url, free_port

ALLOWED = sorted(os.sched_getaffinity(0))


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
    ("raw", "mode"), [(None, "auto"), ("", "auto"), ("auto", "auto"), (" 1 ", "1"), ("0", "0")]
)
def test_the_setting_reads_auto_always_or_never(raw, mode):
    env = {} if raw is None else {"WEB_CPU_AFFINITY": raw}
    assert cpu_affinity(env) == mode


@pytest.mark.parametrize("raw", ["yes", "2", "on"])
def test_another_setting_is_refused_with_its_value(raw):
    with pytest.raises(ValueError, match=f"WEB_CPU_AFFINITY must be auto, 0 or 1, not '{raw}'"):
        cpu_affinity({"WEB_CPU_AFFINITY": raw})


def _workers(master: subprocess.Popen, count: int, timeout: float = 60) -> list[int]:
    """The pids of the master's `count` workers once all of them answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert master.poll() is None, "gunicorn exited"
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        if len(children) == count:
            return sorted(map(int, children))
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


def test_as_many_workers_as_cpus_keep_to_one_each_and_a_replacement_takes_the_one_freed():
    # given: the Procfile's server with a worker for each CPU this process may use
    master, port = _serve(len(ALLOWED), None)
    try:
        _answers(port)
        pids = _workers(master, len(ALLOWED))

        # then: each on a CPU of its own (one CPU: nothing to choose, nothing changed)
        if len(ALLOWED) == 1:
            assert _affinities(pids) == [set(ALLOWED)]
            return
        first = _affinities(pids)
        assert all(len(cpus) == 1 for cpus in first)
        assert sorted(cpu for cpus in first for cpu in cpus) == ALLOWED

        # when: a worker dies and gunicorn starts another
        gone = pids[0]
        freed = os.sched_getaffinity(gone)
        os.kill(gone, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            current = _workers(master, len(ALLOWED))
            if gone not in current:
                break
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.1)
        _answers(port)
        (replacement,) = set(current) - set(pids)

        # then: it takes the CPU the dead one held, whatever its turn
        assert os.sched_getaffinity(replacement) == freed
        assert sorted(cpu for cpus in _affinities(current) for cpu in cpus) == ALLOWED
    finally:
        _stop(master)


@pytest.mark.parametrize(
    ("workers", "setting"),
    [(len(ALLOWED), "0"), (max(len(ALLOWED) - 1, 1), None)],
    ids=["switched off", "fewer workers than cpus"],
)
def test_workers_run_on_every_cpu_when_switched_off_or_fewer_than_the_cpus(workers, setting):
    # given
    master, port = _serve(workers, setting)
    try:
        _answers(port)

        # when
        pids = _workers(master, workers)

        # then
        assert _affinities(pids) == [set(ALLOWED)] * workers
    finally:
        _stop(master)
