"""graphql-transport-ws over WebSocket on /graphql/ (Strawberry's Channels consumer)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from asgiref.sync import sync_to_async
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError

from config.errors import UserError
from config.realtime.auth import Principal, principal_from_key, raw_key_from
from config.realtime.conf import LIMITS
from config.realtime.rendering import sharing_schema

# Normal closure: the server no longer needs the connection; clients may reconnect when they
# subscribe again (graphql-ws retries it, and its lazy mode reconnects on the next subscribe).
IDLE_CLOSE_CODE = 1000
IDLE_CLOSE_REASON = "Idle timeout"


class RealtimeConsumer(GraphQLWSConsumer):
    """Authenticates connection_init: `Authorization` in its payload (or the handshake's
    header), else the admin session; cross-origin browser handshakes are refused. A socket
    without connection_init is closed after REALTIME_INIT_TIMEOUT (4408, Strawberry's), one
    with no subscription open for REALTIME_IDLE_TIMEOUT with 1000 "Idle timeout"."""

    def __init__(self, schema):
        super().__init__(
            sharing_schema(schema),
            connection_init_wait_timeout=timedelta(seconds=LIMITS.init_timeout),
            max_subscriptions_per_connection=LIMITS.max_per_user,
        )
        self.open_subscriptions = 0
        self._subscriptions_changed = asyncio.Event()
        self._idle_task: asyncio.Task | None = None

    async def connect(self) -> None:
        await super().connect()
        self._idle_task = asyncio.create_task(self._close_when_idle())

    async def disconnect(self, code: int) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
        await super().disconnect(code)

    async def _close_when_idle(self) -> None:
        while True:
            self._subscriptions_changed.clear()
            if self.open_subscriptions:
                await self._subscriptions_changed.wait()
                continue
            try:
                await asyncio.wait_for(self._subscriptions_changed.wait(), LIMITS.idle_timeout)
            except TimeoutError:
                await self.close(code=IDLE_CLOSE_CODE, reason=IDLE_CLOSE_REASON)
                return

    def _count(self, change: int) -> None:
        self.open_subscriptions += change
        self._subscriptions_changed.set()

    async def on_ws_connect(self, context):
        params = context.get("connection_params") or {}
        headers = dict(self.scope.get("headers") or [])
        raw = raw_key_from(params.get("Authorization") or params.get("authorization"))
        raw = raw or raw_key_from(headers.get(b"authorization", b"").decode("latin1"))
        if raw:
            try:
                context["principal"] = await sync_to_async(principal_from_key)(raw)
            except UserError as exc:
                raise ConnectionRejectionError({"code": exc.code, "message": str(exc)}) from None
            return None
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            context["principal"] = Principal(user_id=user.pk, api_key_id=None)
        return None


@contextlib.asynccontextmanager
async def held_open(context):
    """While a subscription streams, its WebSocket (if it came over one) is not idle."""
    consumer = context.get("ws") if isinstance(context, dict) else None
    if not isinstance(consumer, RealtimeConsumer):
        yield
        return
    consumer._count(+1)
    try:
        yield
    finally:
        consumer._count(-1)
