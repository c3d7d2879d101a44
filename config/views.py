import json
import logging

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

logger = logging.getLogger(__name__)

# How deeply a JSON value in a request may nest (each variable's value, each extension): deep
# enough for any real metadata, far below what could exhaust the parser's stack.
JSON_MAX_DEPTH = 32
BAD_REQUEST = "BAD_REQUEST"
HTTP_ERROR_CODES = {405: "METHOD_NOT_ALLOWED", 404: "NOT_FOUND", 413: "REQUEST_TOO_LARGE"}


def _refuse_constant(name: str):
    raise HTTPException(400, f"{name} is not a JSON number; send a finite number or a string.")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise HTTPException(400, f"The number {text[:40]} is too large for a float.")
    return value


def json_depth_error(value: object, path: str) -> str | None:
    """Say where `value` nests deeper than JSON_MAX_DEPTH, or None (an iterative walk)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > JSON_MAX_DEPTH:
            return f"JSON nested deeper than {JSON_MAX_DEPTH} levels at {path}."
        stack.extend((child, depth) for child in children if isinstance(child, dict | list))
    return None


class GraphQLView(StrawberryGraphQLView):
    """The GraphQL endpoint; GraphiQL is served to browsers only when DEBUG is on."""

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: UTF-8 only, finite numbers, no NaN, bounded nesting; objects at the top."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, "The request body is not valid UTF-8 JSON.") from None
        try:
            value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise HTTPException(
                400, f"JSON nested too deeply (the limit is {JSON_MAX_DEPTH} levels per value)."
            ) from None
        except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
            raise HTTPException(400, "Unable to parse request body as JSON.") from exc
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            raise HTTPException(400, "The request must be a JSON object (a GraphQL request).")
        return value

    def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ):
        if not isinstance(request_data.operation_name, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `operationName` must be a string or null."
            )
        for part in ("variables", "extensions"):
            for name, value in (getattr(request_data, part) or {}).items():
                if problem := json_depth_error(value, f"{part}.{name}"):
                    raise HTTPException(400, problem)
        return super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def render_graphql_ide(self, request):
        # GraphiQL sends the csrftoken cookie back as X-CSRFToken; make sure it is set.
        get_token(request)
        return super().render_graphql_ide(request)

    def dispatch(self, request, *args, **kwargs):
        try:
            return self.run(request=request)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": f"Request body too large (limit {limit} bytes).",
                            "extensions": {"code": "REQUEST_TOO_LARGE"},
                        }
                    ],
                },
                status=413,
            )
        except UnicodeDecodeError:  # the request adapter decodes the body as UTF-8 itself
            return self.bad_request(400, "The request body is not valid UTF-8 JSON.")
        except HTTPException as exc:
            # Malformed HTTP requests (bad JSON, batches, GET mutations) answer in GraphQL's shape.
            return self.bad_request(exc.status_code, exc.reason)

    @staticmethod
    def bad_request(status: int, message: str) -> JsonResponse:
        error = {
            "message": message,
            "extensions": {"code": HTTP_ERROR_CODES.get(status, BAD_REQUEST)},
        }
        return JsonResponse({"data": None, "errors": [error]}, status=status)


@never_cache
@require_GET
def healthz(request):
    """200 when the app can reach the database, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
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
        {"data": None, "errors": [{"message": message, "extensions": {"code": "CSRF_FAILED"}}]},
        status=403,
    )
