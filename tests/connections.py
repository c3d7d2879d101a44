"""Raw psycopg connections to the test database, beside Django's."""

import select

from django.db import connection


def psycopg_params() -> dict:
    """Django's parameters for the test database, as psycopg.connect takes them."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params


def readable(raw, seconds: float = 5.0) -> bool:
    """Whether the psycopg connection `raw`'s socket has something to read within `seconds`."""
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    return bool(poller.poll(seconds * 1000))
