"""Shared fixtures: users, API keys and GraphQL clients that go through the real URL,
middleware and authentication."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from pytest_django.fixtures import validate_django_db
from strawberry_django.test.client import TestClient

from chat import services as chat_services
from tests.factories import UserFactory
from tests.processes import start_asgi

# The headless Chromium fixtures (browser, live_session) for the page tests.
pytest_plugins = ["tests.browser"]

GRAPHQL_URL = "/graphql/"


class GraphQLClient(TestClient):
    """strawberry-django's test client with an optional API key on every request.

    `execute()` returns the whole JSON body ({"data": ..., "errors": ...}) so tests can
    assert exact responses, errors included.
    """

    def __init__(self, api_key: str | None = None, client: Client | None = None):
        super().__init__(GRAPHQL_URL, client or Client())
        self.api_key = api_key

    def request(self, body, headers=None, files=None):
        headers = dict(headers or {})
        if self.api_key:
            headers.setdefault("Authorization", f"Bearer {self.api_key}")
        return super().request(body, headers, files)

    def execute(self, query: str, variables: dict | None = None) -> dict:
        response = self.request(self._build_body(query, variables))
        return response.json()


@pytest.fixture
def make_user(db):
    """make_user("alice", perms=["chat.view_thread"], is_staff=False) -> User."""

    def make(username: str = "alice", *, perms: list[str] | tuple[str, ...] = (), **fields):
        return UserFactory(username=username, perms=list(perms), **fields)

    return make


@pytest.fixture
def make_api_key(db):
    """make_api_key(user, name="test") -> plaintext key."""

    def make(user, name: str = "test", **fields) -> str:
        _, raw_key = chat_services.api_key_create(user=user, name=name, **fields)
        return raw_key

    return make


@pytest.fixture
def api_client(make_api_key):
    """api_client(user) -> GraphQLClient authenticated with a fresh API key of that user."""

    def make(user) -> GraphQLClient:
        return GraphQLClient(api_key=make_api_key(user))

    return make


@pytest.fixture
def anon_client(db) -> GraphQLClient:
    return GraphQLClient()


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True, scope="session")
def _schema_built():
    """Build the schema (import the URLs) before any test: the first request would otherwise
    pay it, and on a loaded machine that can pass DB_REQUEST_TIMEOUT."""
    import config.urls  # noqa: F401


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and validate_django_db(marker)[0]) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker):
    """A transaction around the tests of one module, rolled back after the last of them, for
    data that many tests only read: a module-scoped fixture writes it once inside
    `with module_db():`, and each test (a `django_db` test) runs in a savepoint of its own,
    so what one test writes is still gone before the next. Refused in a module that has
    transactional tests: they would flush inside it."""
    transactional = [
        item.nodeid
        for item in request.session.items
        if getattr(item, "module", None) is request.module and _transactional(item)
    ]
    assert transactional == [], "module_db in a module with transactional tests"
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield django_db_blocker.unblock
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def serve_asgi(transactional_db):
    """Start uvicorn serving config.asgi with extra environment; return its `host:port`.
    Every server started is stopped at the end of the test."""
    started = []

    def serve(**env_overrides: str) -> str:
        process, base = start_asgi(env_overrides)
        started.append(process)
        return base

    yield serve
    for process in started:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def asgi_server(serve_asgi):
    """uvicorn serving config.asgi with the test settings; its `host:port`."""
    return serve_asgi()
