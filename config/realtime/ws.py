"""graphql-transport-ws over WebSocket on /graphql/ (Strawberry's Channels consumer)."""

from __future__ import annotations

from datetime import timedelta

from asgiref.sync import sync_to_async
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError

from config.errors import UserError
from config.realtime.auth import Principal, principal_from_key, raw_key_from
from config.realtime.conf import LIMITS


class RealtimeConsumer(GraphQLWSConsumer):
    """Authenticates connection_init: `Authorization` in its payload (or the handshake's
    header), else the admin session; cross-origin browser handshakes are refused."""

    def __init__(self, schema):
        super().__init__(
            schema,
            connection_init_wait_timeout=timedelta(seconds=LIMITS.init_timeout),
            max_subscriptions_per_connection=LIMITS.max_per_user,
        )

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
