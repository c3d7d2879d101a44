"""ASGI entry point: HTTP goes to Django (queries, mutations, admin), each request in one thread
of a fixed pool (config.threaded_asgi); WebSockets on /graphql/ to the graphql-transport-ws
consumer and graphql-sse requests to their handler, on the event loop (docs/realtime.md).

Production: gunicorn config.asgi:application -k config.serving.UvicornWorker (Procfile).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# WebSocket and graphql-sse work runs its sync code in threads of asgiref's making, one per
# connection, so a persistent connection (DB_CONN_MAX_AGE) is never reused and lingers until
# garbage collection: 1,000 subscribers beside a query load exhausted max_connections. A
# process-wide psycopg pool returns each piece of work's connection instead, and bounds what
# the HTTP threads and the subscribers hold together. DB_POOL=0 turns it off.
os.environ.setdefault("DB_POOL", "1")

django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application

from config.threaded_asgi import ThreadedASGIHandler  # noqa: E402

django_application = ThreadedASGIHandler()

# Imported after Django is set up: the schema imports models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from config.realtime.sse import SSEApplication, wants_sse  # noqa: E402
from config.realtime.ws import RealtimeConsumer  # noqa: E402
from config.schema import schema  # noqa: E402

sse_application = AuthMiddlewareStack(SSEApplication(schema))


async def http_application(scope, receive, send):
    """graphql-sse requests (Accept: text/event-stream) to the SSE handler, the rest to Django."""
    if wants_sse(scope):
        return await sse_application(scope, receive, send)
    return await django_application(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        # The session cookie authenticates a browser's socket; Strawberry refuses cross-origin
        # handshakes (no allowed origins), so another site cannot use it.
        "websocket": AuthMiddlewareStack(
            URLRouter([re_path(r"^graphql/?$", RealtimeConsumer.as_asgi(schema=schema))])
        ),
    }
)

from config.startup import settle  # noqa: E402

settle()
