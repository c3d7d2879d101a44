import contextlib
import json
import os
import subprocess

import pytest

from config import database
from tests.processes import run_manage, start_manage

DAMAGED = {
    "empty": "",
    "truncated": "[12, 3",
    "garbage": "\x00\xff garbage",
    "not a list": '{"pids": [1]}',
    "not numbers": '["1", true, -5]',
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_user_list_reads_as_damaged(tmp_path, content):
    # given
    pids_file = tmp_path / database.PIDS_FILE
    pids_file.write_text(content, errors="surrogateescape")

    # when
    pids = database.read_users(pids_file)

    # then
    assert pids is None


def test_a_damaged_user_list_is_rewritten_empty_and_dead_users_are_dropped(tmp_path):
    # given
    pids_file = tmp_path / database.PIDS_FILE
    pids_file.write_text("[12, 3")
    dead_and_alive = tmp_path / "other"
    dead_and_alive.mkdir()
    (dead_and_alive / database.PIDS_FILE).write_text(json.dumps([2**22 + 1, os.getpid()]))

    # when
    database._forget_dead_users(tmp_path)
    database._forget_dead_users(dead_and_alive)

    # then
    assert json.loads(pids_file.read_text()) == []
    assert json.loads((dead_and_alive / database.PIDS_FILE).read_text()) == [os.getpid()]
    assert sorted(path.name for path in tmp_path.iterdir()) == [database.PIDS_FILE, "other"]


def test_an_atomic_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    # given
    path = tmp_path / database.PIDS_FILE
    path.write_text("[1, 2, 3]")

    # when
    database.write_atomically(path, "[4]")

    # then
    assert path.read_text() == "[4]"
    assert [entry.name for entry in tmp_path.iterdir()] == [database.PIDS_FILE]


def test_manage_py_starts_the_embedded_server_over_a_damaged_user_list(tmp_path):
    # given: a throw-away embedded data folder, initialised by a first command
    data_dir = tmp_path / "pg"
    env = {"DJANGO_DEBUG": "1", "EMBEDDED_PG_DIR": str(data_dir)}
    first = run_manage("check", "--database", "default", env=env)
    assert first.returncode == 0, first.stderr
    pids_file = data_dir / database.PIDS_FILE
    results = {}

    for name, content in DAMAGED.items():
        pids_file.write_text(content, errors="surrogateescape")

        # when
        command = ("dbcheck",) if name == "empty" else ("check", "--database", "default")
        result = run_manage(*command, env=env)

        # then
        results[name] = (result.returncode, json.loads(pids_file.read_text()))
        assert result.returncode == 0, result.stderr

    assert results == {name: (0, []) for name in DAMAGED}
    assert not (data_dir / "postmaster.pid").exists(), "server still running after its user exited"


def test_pgserver_writes_its_user_list_atomically(tmp_path):
    # given
    from pgserver.utils import DiskList

    database._make_pgserver_writes_atomic()
    users = DiskList(tmp_path / database.PIDS_FILE)

    # when
    users.get_and_add(41)
    users.get_and_add(42)

    # then
    assert DiskList.put.atomic is True
    assert users.get() == [41, 42]
    assert [entry.name for entry in tmp_path.iterdir()] == [database.PIDS_FILE]


def test_a_first_start_waits_while_another_process_is_starting_a_server_there(tmp_path):
    # given: another process in the middle of starting a server in this folder (as root,
    # pgserver creates its system user and the data folder outside its own lock: two first
    # starts at once, as `make test`'s two passes on a new machine, raced there)
    data_dir = tmp_path / "pg"
    env = {"DJANGO_DEBUG": "1", "EMBEDDED_PG_DIR": str(data_dir)}
    with database._starting(tmp_path):
        # when
        waiting = start_manage("check", "--database", "default", env=env)
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)
        # then: it neither started a server nor made the data folder
        assert waiting.poll() is None
        assert not data_dir.exists()
    assert waiting.wait(timeout=120) == 0, waiting.stderr.read()
    assert (data_dir / "PG_VERSION").exists()
