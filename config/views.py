import json
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import orjson
from cross_web import HTTPException
from cross_web.request._django import DjangoHTTPRequestAdapter
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

from config import graphiql_assets
from config.compiler import CompiledJSON
from config.deadline import database_deadline
from config.errors import (
    BAD_REQUEST,
    CSRF_FAILED,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    REQUEST_TOO_LARGE,
    database_unavailable_response,
    error_document,
    is_connection_failure,
)
from config.http import check_operation, decode_body

logger = logging.getLogger(__name__)
_DJANGO_JSON = DjangoJSONEncoder()  # lazy translations, times, decimals in error details


def _orjson_default(value):
    if type(value) is CompiledJSON:
        return orjson.Fragment(value.text)
    return _DJANGO_JSON.default(value)


def _json_default(value):
    if type(value) is CompiledJSON:
        return json.loads(value.text)  # (integers beyond 64 bits read exactly)
    return _DJANGO_JSON.default(value)


_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1  # what orjson prints


def _printable(value):
    """`value` with what orjson refuses replaced by its JSON text (orjson.Fragment): an
    integer beyond 64 bits, a string that is not valid UTF-8 (a lone surrogate)."""
    kind = type(value)
    if kind is dict:
        return {key: _printable(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_printable(item) for item in value]
    if kind is int and not _INT64_MIN <= value <= _UINT64_MAX:
        return orjson.Fragment(str(value))
    if kind is str and not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return orjson.Fragment(json.dumps(value))
    return value


class RawBodyRequestAdapter(DjangoHTTPRequestAdapter):
    """The body as the bytes received: strawberry's adapter decodes it first, and a body that
    is not UTF-8 then fails outside any error handling."""

    @property
    def body(self) -> bytes:
        return self.request.body


# The GraphiQL page loads everything from this server: scripts and styles are static files
# (no inline code), the CSS embeds its fonts and icons as data: URLs, and queries go to this
# origin (`'self'` covers ws:/wss: for subscriptions).
GRAPHIQL_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
GRAPHIQL_ASSETS = {
    "react": graphiql_assets.REACT.static_path("umd/react.production.min.js"),
    "react_dom": graphiql_assets.REACT_DOM.static_path("umd/react-dom.production.min.js"),
    "graphiql_js": graphiql_assets.GRAPHIQL.static_path("graphiql.min.js"),
    "graphiql_css": graphiql_assets.GRAPHIQL.static_path("graphiql.min.css"),
    "explorer_js": graphiql_assets.EXPLORER.static_path("dist/index.umd.js"),
    "explorer_css": graphiql_assets.EXPLORER.static_path("dist/style.css"),
}


class GraphQLView(StrawberryGraphQLView):
    """The GraphQL endpoint; GraphiQL is served to browsers when settings.GRAPHIQL_ENABLED."""

    request_adapter_class = RawBodyRequestAdapter
    graphql_ide = "graphiql"

    def render_graphql_ide(self, request):
        if not settings.GRAPHIQL_ENABLED:
            raise HTTPException(404, "Not Found")
        # GraphiQL sends the csrftoken cookie back as X-CSRFToken; make sure it is set.
        get_token(request)
        context = {
            "assets": GRAPHIQL_ASSETS,
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        }
        response = render(request, "graphql/graphiql.html", context)
        response["Content-Security-Policy"] = GRAPHIQL_CSP
        return response

    def encode_json(self, data: object) -> bytes:
        """The answer as compact UTF-8 JSON, by orjson (several times faster than the json
        module on a page of a thousand messages). The two values orjson refuses are printed
        in place, and the rest as orjson prints it: an integer beyond 64 bits (a JSON value
        may hold one) as its digits, and a string holding a lone surrogate (an error message
        may quote the refused input) with its characters escaped (`\\ud800`)."""
        try:
            return orjson.dumps(data, default=_orjson_default)
        except (TypeError, orjson.JSONEncodeError):
            pass
        try:
            return orjson.dumps(_printable(data), default=_orjson_default)
        except (TypeError, orjson.JSONEncodeError):  # (what a `default` made of a value)
            return json.dumps(data, default=_json_default, separators=(",", ":")).encode()

    def get_context(self, request, response):
        context = super().get_context(request, response)
        # Compiled reads hand their JSON text to encode_json (config.compiler).
        context.json_fragments = True
        return context

    def parse_json(self, data: str | bytes):
        value = decode_body(data)
        # Bytes are the request body; text is a GET parameter (variables, extensions).
        return check_operation(value) if isinstance(data, bytes) else value

    def parse_query_params(self, params):
        return check_operation(super().parse_query_params(params))

    def dispatch(self, request, *args, **kwargs):
        try:
            refuse_before_parsing(request)
            return self.run(request=request)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return http_error(413, f"Request body too large (limit {limit} bytes).")
        except HTTPException as exc:
            # Malformed HTTP requests (bad JSON, batches, GET mutations) answer in GraphQL's shape.
            return http_error(exc.status_code, exc.reason)
        except Exception as exc:
            if is_connection_failure(exc):
                logger.warning("Database unavailable in the GraphQL view: %s", type(exc).__name__)
                return database_unavailable_response()
            raise


HTTP_CODES = {
    400: BAD_REQUEST,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: REQUEST_TOO_LARGE,
}


def http_error(status: int, message: str) -> JsonResponse:
    """A refusal of the HTTP request itself, in GraphQL's error shape."""
    code = HTTP_CODES.get(status, BAD_REQUEST)
    return JsonResponse(error_document(message, code), status=status)


def refuse_before_parsing(request) -> None:
    """Refuse a body larger than an anonymous caller may send before reading it.

    Anonymous callers can only read `viewer` (null) and get errors, so their bodies are held
    to settings.GRAPHQL_ANONYMOUS_MAX_BYTES; the rest are held to DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HTTPException(400, "Content-Length is not a number.") from None
    limit = settings.GRAPHQL_ANONYMOUS_MAX_BYTES
    if length > limit and not request.user.is_authenticated:
        raise HTTPException(
            413,
            f"Request body too large for an anonymous request (limit {limit} bytes): "
            "authenticate with an API key.",
        )


# One thread checks the database for /healthz, so a hung connection (a pooler waiting for a
# server that is down) makes later checks answer at once instead of piling up.
_health_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")


def _database_answers() -> None:
    try:
        # The checker is bounded too, or one hung check would hold every later one.
        with database_deadline(settings.DB_HEALTH_TIMEOUT), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # the checker thread keeps no connection between checks


@never_cache
@require_GET
def healthz(request):
    """200 when the app reaches the database within settings.DB_HEALTH_TIMEOUT, 503 at once
    otherwise (for load balancers)."""
    try:
        _health_checker.submit(_database_answers).result(timeout=settings.DB_HEALTH_TIMEOUT)
    except FutureTimeout:
        logger.warning("Health check: no answer from the database in time")
        return JsonResponse({"status": "unavailable", "database": "timeout"}, status=503)
    except Exception as exc:  # any database failure means "not ready"
        logger.warning("Health check failed: %s", exc.__class__.__name__)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def csrf_failure(request, reason=""):
    """CSRF refusals as JSON (GraphQL clients read JSON, not Django's HTML page)."""
    message = (
        "CSRF verification failed: send the X-CSRFToken header with the admin session cookie, "
        "or authenticate with an API key instead."
    )
    return JsonResponse(
        error_document(message, CSRF_FAILED),
        status=403,
    )
