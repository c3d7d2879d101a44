"""A dropped database connection is answered 503 with a retry hint, never a 500 or a traceback.

The connection is really dropped: PostgreSQL terminates the backend (pg_terminate_backend),
as a restart or Neon's idle close would.
"""

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client

from chat.models import ApiKey
from tests.conftest import GraphQLClient
from tests.connections import psycopg_params, readable

UNAVAILABLE = "The database is temporarily unavailable; retry shortly."


def drop_app_connection() -> None:
    """Terminate the backend behind Django's connection from a second session, and wait for
    the server's goodbye to reach the connection's socket (pg_terminate_backend only signals
    the backend: it ends a moment later)."""
    connection.ensure_connection()
    raw = connection.connection
    with psycopg.connect(**psycopg_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (raw.info.backend_pid,))
    assert readable(raw)


@pytest.fixture
def reconnect_afterwards():
    yield
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_api_key_request_on_a_dropped_connection_gets_503(
    make_user, make_api_key, reconnect_afterwards
):
    # given
    key = make_api_key(make_user("alice"))
    drop_app_connection()

    # when: authentication is the first query of the request
    response = GraphQLClient(api_key=key).request({"query": "{ viewer { username } }"})

    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "data": None,
        "errors": [{"message": UNAVAILABLE, "extensions": {"code": "DATABASE_UNAVAILABLE"}}],
    }


@pytest.mark.django_db(transaction=True)
def test_resolver_on_a_dropped_connection_gets_503(make_user, reconnect_afterwards):
    # given: a browser signed in to the admin; its session is read inside the resolver
    client = Client()
    client.force_login(make_user("alice", perms=["learn.view_learnitem"]))
    drop_app_connection()

    # when
    response = client.post(
        "/graphql/",
        {"query": "{ learnStats { total } }"},
        content_type="application/json",
    )

    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": UNAVAILABLE,
                "locations": [{"line": 1, "column": 3}],
                "path": ["learnStats"],
                "extensions": {"code": "DATABASE_UNAVAILABLE"},
            }
        ],
    }


@pytest.mark.django_db(transaction=True)
def test_the_next_request_after_a_drop_succeeds(make_user, make_api_key):
    # given: a dropped connection, then the request cycle's cleanup (request_finished closes
    # a connection that saw errors; the next request_started health-checks a kept one)
    key = make_api_key(make_user("alice"))
    drop_app_connection()
    failed = GraphQLClient(api_key=key).request({"query": "{ viewer { username } }"})
    close_old_connections()

    # when
    response = GraphQLClient(api_key=key).request({"query": "{ viewer { username } }"})

    # then
    assert failed.status_code == 503
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "alice"}}}
    assert ApiKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_between_requests_is_replaced_before_the_first_statement(
    make_user, make_api_key, reconnect_afterwards
):
    # given: a kept connection dropped while idle (a restart, Neon closing idle sessions),
    # then the start of the next request as the server runs it (request_started closes old
    # connections and asks for a health check; Django's test client leaves that out)
    key = make_api_key(make_user("alice"))
    assert (
        GraphQLClient(api_key=key).request({"query": "{ viewer { username } }"}).status_code == 200
    )
    drop_app_connection()
    close_old_connections()

    # when: the API key's lookup (a prepared statement) is the request's first statement
    response = GraphQLClient(api_key=key).request({"query": "{ viewer { username } }"})

    # then: checked, replaced, answered
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "alice"}}}
