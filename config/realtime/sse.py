"""GraphQL over Server-Sent Events (the graphql-sse protocol, distinct connections mode) on
/graphql/: a POST or GET with `Accept: text/event-stream` runs one subscription and streams
`next` events (`id:` is the event's cursor, so `Last-Event-ID` resumes) and then `complete`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from graphql import ExecutionResult

from config.errors import BAD_REQUEST, UserError, error_document
from config.realtime.auth import Principal, principal_from_key, raw_key_from
from config.realtime.conf import LIMITS
from config.realtime.rendering import sharing_schema

PATHS = ("/graphql/", "/graphql")


def wants_sse(scope) -> bool:
    if scope["type"] != "http" or scope["path"] not in PATHS:
        return False
    if scope["method"] not in ("GET", "POST"):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/event-stream" in accept


async def _json_response(send, status: int, body: dict) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _same_origin(headers: dict) -> bool:
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"")
    return origin.split(b"://", 1)[-1] == host


async def _principal(scope, headers: dict) -> Principal | None:
    raw = raw_key_from(headers.get(b"authorization", b"").decode("latin1"))
    raw = raw or (headers.get(b"x-api-key", b"").decode("latin1").strip() or None)
    if raw:
        return await sync_to_async(principal_from_key)(raw)
    user = scope.get("user")
    # The session cookie is ambient: only a same-origin page may use it.
    if user is not None and _same_origin(headers):
        authenticated = await sync_to_async(lambda: user.is_authenticated and user.pk)()
        if authenticated:
            return Principal(user_id=authenticated, api_key_id=None)
    return None


def _format(event: str, data: dict | None, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append("data: " + (json.dumps(data) if data is not None else ""))
    return ("\n".join(lines) + "\n\n").encode()


def _payload(result: ExecutionResult) -> dict:
    body: dict = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body


class SSEApplication:
    def __init__(self, schema):
        self.schema = sharing_schema(schema)

    async def __call__(self, scope, receive, send):
        headers = dict(scope["headers"])
        if scope["method"] == "POST":
            try:
                body = await asyncio.wait_for(_read_body(receive), LIMITS.init_timeout)
            except TimeoutError:
                message = f"Request body not received within {LIMITS.init_timeout:g} s."
                return await _json_response(send, 408, error_document(message, "BAD_REQUEST"))
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                request = None
            if not isinstance(request, dict):
                return await _json_response(
                    send, 400, error_document("Body is not JSON.", BAD_REQUEST)
                )
        else:
            query = parse_qs(scope.get("query_string", b"").decode())
            request = {k: v[0] for k, v in query.items()}
            try:
                request["variables"] = json.loads(request.get("variables") or "null")
            except ValueError:
                error = error_document("variables: not JSON.", BAD_REQUEST)
                return await _json_response(send, 400, error)
        if not isinstance(request.get("query"), str):
            return await _json_response(send, 400, error_document("query: required.", BAD_REQUEST))
        try:
            principal = await _principal(scope, headers)
        except UserError as exc:
            return await _json_response(send, 401, error_document(str(exc), exc.code))
        last_event_id = headers.get(b"last-event-id", b"").decode("latin1") or None
        context = {"principal": principal, "last_event_id": last_event_id, "cursor": None}
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        stream = asyncio.ensure_future(self._stream(request, context, send))
        disconnected = asyncio.ensure_future(_wait_disconnect(receive))
        await asyncio.wait({stream, disconnected}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stream, disconnected):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _stream(self, request, context, send):
        async def emit(chunk: bytes):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        variables = request.get("variables") if isinstance(request.get("variables"), dict) else None
        result = await self.schema.subscribe(
            request["query"],
            variable_values=variables,
            context_value=context,
            operation_name=request.get("operationName"),
        )
        if isinstance(result, ExecutionResult):
            await emit(_format("next", _payload(result)))
        else:
            iterator = result.__aiter__()
            try:
                while True:
                    item = await _await_with_heartbeats(
                        asyncio.ensure_future(anext(iterator)), emit
                    )
                    await emit(_format("next", _payload(item), context.get("cursor")))
            except StopAsyncIteration:
                pass
            finally:
                with contextlib.suppress(Exception):
                    await iterator.aclose()
        await emit(_format("complete", None))
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _await_with_heartbeats(future, emit):
    """The future's result, with an SSE comment line every heartbeat interval meanwhile."""
    while True:
        done, _ = await asyncio.wait({future}, timeout=LIMITS.heartbeat)
        if done:
            return future.result()
        await emit(b": heartbeat\n\n")


async def _wait_disconnect(receive):
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
