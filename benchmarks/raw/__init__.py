"""Raw baselines: for each scenario, hand-written SQL that builds the GraphQL answer's JSON in
PostgreSQL (json_build_object / json_agg) and a plain Django view that returns it as is.

They authenticate the same API key and check the same permission as the GraphQL field, so the
difference measured is the GraphQL execution, not the work of authentication.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.auth import ApiKeyError, authenticate_api_key, key_from_request

# A handler gets the request's variables (the same JSON object the GraphQL request sends as
# `variables`) and the authenticated user and API key, and returns the answer's bytes.
Handler = Callable[..., bytes | str]


@dataclass(frozen=True)
class Endpoint:
    name: str
    perm: str | None  # None: any signed-in user (the view checks ownership, as GraphQL does)
    handler: Handler


ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(name: str, *, perm: str | None) -> Callable[[Handler], Handler]:
    """Register `handler` as the raw baseline `/bench/raw/<name>`, guarded by `perm`."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS[name] = Endpoint(name=name, perm=perm, handler=handler)
        return handler

    return register


def fetch_json(sql: str, params: dict | list | None = None) -> str:
    """Run a statement returning one text column (the JSON answer) and return it."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"data": None, "errors": [{"message": message}]}, status=status)


@csrf_exempt
@require_POST
def raw_view(request: HttpRequest, name: str) -> HttpResponse:
    endpoint = ENDPOINTS.get(name)
    if endpoint is None:
        return _error(404, f"No raw baseline named {name!r}.")
    raw_key = key_from_request(request)
    if raw_key is None:
        return _error(401, "An API key is required.")
    try:
        api_key = authenticate_api_key(raw_key)
        user = api_key.user
    except ApiKeyError as exc:
        return _error(401, str(exc))
    if endpoint.perm is not None and not user.has_perm(endpoint.perm):
        return _error(403, f"You don't have permission to do this ({endpoint.perm}).")
    try:
        variables = json.loads(request.body or b"{}")
    except ValueError:
        return _error(400, "The body must be a JSON object of variables.")
    answer = endpoint.handler(variables, user=user, api_key=api_key)
    return HttpResponse(answer, content_type="application/json")
