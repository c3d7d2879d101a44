"""What every case shares: the dedicated PostgreSQL, the app's settings, users and keys."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reliability.client import Client
from reliability.pg import Postgres
from reliability.server import Gunicorn, free_port, manage, production_env

APPS = ("chat", "learn", "monitoring", "students")


@dataclass
class Actor:
    username: str
    key: str
    password: str | None = None
    user_id: str | None = None


@dataclass
class Result:
    name: str
    ok: bool
    figure: str
    details: list[str] = field(default_factory=list)


class Suite:
    """Owns the PostgreSQL server, the runner's own Django setup and the seeded actors."""

    def __init__(self, run_dir: Path | None = None):
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="reliability-run-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.responses_log = self.run_dir / "responses.log"
        self.pg = Postgres(free_port())
        self.ports: set[int] = {self.pg.port}
        self.env: dict[str, str] = {}
        self.actors: dict[str, Actor] = {}
        self.servers: list[Gunicorn] = []
        self.server_logs: list[Path] = []
        self.bouncer = None
        self.probed = None

    # --- life cycle ------------------------------------------------------------------------

    def setup(self) -> None:
        self.pg.init()
        self.env = production_env(self.pg.url())
        # The runner's own Django (for seeding and row checks) uses the same settings.
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        static = manage("collectstatic", "--noinput", env=self.env)
        if static.returncode != 0:
            raise RuntimeError(f"collectstatic failed: {static.stderr.strip()[-500:]}")
        self._seed()
        from reliability import objects

        self.probed = objects.seed()
        self.close_db()

    def teardown(self) -> None:
        steps = [server.stop for server in self.servers]
        if self.bouncer is not None:
            steps.append(self.bouncer.stop)
        steps += [self.close_db, self.pg.destroy]
        for step in steps:
            try:
                step()
            except Exception as exc:  # clean up the rest whatever happened
                print(f"reliability: teardown step failed: {type(exc).__name__}: {exc}")

    @staticmethod
    def close_db() -> None:
        from django.conf import settings

        if not settings.configured:
            return
        from django.db import connections

        connections.close_all()

    @contextmanager
    def orm(self) -> Iterator[None]:
        """Use the runner's Django connection, closed afterwards (the server may restart)."""
        self.close_db()
        try:
            yield
        finally:
            self.close_db()

    def new_port(self) -> int:
        port = free_port(self.ports)
        self.ports.add(port)
        return port

    @contextmanager
    def server(
        self, *, database_url: str | None = None, workers: int = 2, threads: int = 4, **extra: str
    ) -> Iterator[tuple[Gunicorn, Client]]:
        env = dict(self.env)
        if database_url:
            env["DATABASE_URL"] = database_url
        env.update(extra)
        log_path = self.run_dir / f"gunicorn-{len(self.servers) + 1}.log"
        gunicorn = Gunicorn(
            env=env, port=self.new_port(), log_path=log_path, workers=workers, threads=threads
        )
        self.servers.append(gunicorn)
        self.server_logs.append(log_path)
        gunicorn.start()
        try:
            yield gunicorn, Client(gunicorn.url, record_to=self.responses_log)
        finally:
            gunicorn.stop()

    # --- seeded users and keys -------------------------------------------------------------

    def _seed(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Permission

        from chat import services as chat_services

        user_model = get_user_model()
        all_perms = list(Permission.objects.filter(content_type__app_label__in=APPS))

        def make(username: str, *, perms=(), superuser=False, password=None) -> Actor:
            user = user_model.objects.create_user(
                username=username,
                email=f"{username}@example.com",
                password=password,
                is_staff=superuser,
                is_superuser=superuser,
            )
            user.user_permissions.set(perms)
            _, raw = chat_services.api_key_create(user=user, name=f"{username}-key")
            return Actor(username=username, key=raw, password=password, user_id=str(user.pk))

        # Holds every permission of the apps and owns the objects other callers probe.
        self.actors["owner"] = make("owner", perms=all_perms)
        # Same permissions, different user: must still not reach the owner's own objects.
        self.actors["other"] = make("other", perms=all_perms)
        self.actors["noperm"] = make("noperm")
        self.actors["root"] = make("root", superuser=True, password=secrets.token_urlsafe(18))
        revoked_user = user_model.objects.get(username="owner")
        key, raw = chat_services.api_key_create(user=revoked_user, name="revoked-key")
        chat_services.api_key_revoke(key=key)
        self.actors["revoked"] = Actor(username="owner", key=raw, user_id=str(revoked_user.pk))

    def new_actor(self, username: str, *, all_perms: bool = True) -> Actor:
        """Another user (by default holding every permission of the apps) with a fresh key."""
        with self.orm():
            from django.contrib.auth import get_user_model
            from django.contrib.auth.models import Permission

            from chat import services as chat_services

            user = get_user_model().objects.create_user(
                username=f"{username}-{secrets.token_hex(3)}"
            )
            if all_perms:
                user.user_permissions.set(
                    Permission.objects.filter(content_type__app_label__in=APPS)
                )
            _, raw = chat_services.api_key_create(user=user, name=f"{username}-key")
            actor = Actor(username=user.username, key=raw, user_id=str(user.pk))
        self.actors[user.username] = actor
        return actor

    def secrets(self) -> dict[str, str]:
        """Every value that must never be shown: keys, passwords, hashes, the secret key."""
        from django.contrib.auth import get_user_model

        found = {"DJANGO_SECRET_KEY": self.env["DJANGO_SECRET_KEY"]}
        found["database password"] = self.pg.app_password
        for name, actor in self.actors.items():
            found[f"API key of {name}"] = actor.key
            if actor.password:
                found[f"password of {name}"] = actor.password
        with self.orm():
            from chat.models import ApiKey

            for prefix, key_hash in ApiKey.objects.values_list("prefix", "key_hash"):
                found[f"hash of API key {prefix}"] = key_hash
            for username, password in get_user_model().objects.values_list("username", "password"):
                if password and not password.startswith("!"):
                    found[f"password hash of {username}"] = password
                    found[f"hash part of {username}'s password"] = password.rsplit("$", 1)[-1]
        return found
