"""A Debian PostgreSQL 15 primary and its hot standby (streaming replication), on loopback.

The primary is a fresh cluster migrated for the app, with its own users and keys; the standby
is a `pg_basebackup -R` copy of it that replays the primary's WAL as it streams in. Installed
from Debian's `postgresql-15` package when missing (the suite runs as root there).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from reliability.pg import Postgres
from reliability.server import manage, production_env

DEBIAN_VERSION = "15"
DEBIAN_BIN = Path("/usr/lib/postgresql") / DEBIAN_VERSION / "bin"

# Run by manage.py shell on the primary: users holding every permission of the apps, one key
# each; prints {username: key}.
ACTORS_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from chat import services
perms = Permission.objects.filter(
    content_type__app_label__in=["chat", "learn", "monitoring", "students"]
)
keys = {}
for name in %r:
    user = get_user_model().objects.create_user(username=name)
    user.user_permissions.set(perms)
    keys[name] = services.api_key_create(user=user, name=name)[1]
print(json.dumps(keys))
"""


def ensure_installed() -> Path:
    if (DEBIAN_BIN / "postgres").exists():
        return DEBIAN_BIN
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    install = [
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        f"postgresql-{DEBIAN_VERSION}",
    ]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return DEBIAN_BIN


class Standby(Postgres):
    """A hot standby of `primary`: same roles and passwords, read-only, replaying its WAL."""

    def __init__(self, primary: Postgres, port: int):
        super().__init__(port, bin_dir=primary.bin)
        self.primary = primary
        self.superuser_password = primary.superuser_password
        self.app_password = primary.app_password

    def init(self) -> None:
        env = {**os.environ, "PGPASSWORD": self.primary.superuser_password}
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",  # standby.signal and primary_conninfo: start as a streaming standby
            "-X",
            "stream",
            "-c",
            "fast",
            env=env,
            timeout=120,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# standby\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\n"
                "hot_standby = on\n"
            )
        self.start()

    def pause_replay(self) -> None:
        self.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def transactions(self) -> int:
        """Transactions the standby itself has committed in the app's database (the app's
        reads served here, the lag checks, and this query)."""
        return self.query(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )[0][0]

    def lag_seconds(self) -> float | None:
        return self.query("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")[0][
            0
        ]


class ReplicatedDatabase:
    """The primary, migrated and holding `actors`, and its standby."""

    def __init__(self, ports: tuple[int, int], actors: tuple[str, ...]):
        bin_dir = ensure_installed()
        self.primary = Postgres(ports[0], bin_dir=bin_dir)
        self.standby = Standby(self.primary, ports[1])
        self.actor_names = actors
        self.keys: dict[str, str] = {}

    def setup(self) -> None:
        self.primary.init()
        env = production_env(self.primary.url())
        for args in (
            ("migrate", "--noinput"),
            ("shell", "-c", ACTORS_SCRIPT % (self.actor_names,)),
        ):
            done = manage(*args, env=env)
            if done.returncode != 0:
                raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr.strip()[-500:]}")
        self.keys = json.loads(done.stdout.strip().splitlines()[-1])
        self.standby.init()

    @property
    def server_env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.primary.url(),
            "DATABASE_REPLICA_URL": self.primary.url(port=self.standby.port),
        }

    def destroy(self) -> None:
        for server in (self.standby, self.primary):
            try:
                server.destroy()
            except Exception as exc:  # clean up the other one whatever happened
                print(f"reliability: could not remove {server.root}: {exc}")
