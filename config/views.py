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


class GraphQLView(StrawberryGraphQLView):
    """The GraphQL endpoint; GraphiQL is served to browsers only when DEBUG is on."""

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
                    "errors": [{"message": f"Request body too large (limit {limit} bytes)."}],
                },
                status=413,
            )
        except HTTPException as exc:
            # Malformed HTTP requests (bad JSON, batches, GET mutations) answer in GraphQL's shape.
            return JsonResponse(
                {"data": None, "errors": [{"message": exc.reason}]}, status=exc.status_code
            )


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
