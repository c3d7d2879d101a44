"""API-key authentication for the GraphQL endpoint.

A key arrives as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Requests carrying a key
need no CSRF token; browser requests authenticated by the admin session cookie keep Django's
CSRF protection. A request with neither cookie nor key is anonymous and carries no ambient
credential, so CSRF does not apply to it either.
"""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import router
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat
from django.http import JsonResponse
from django.utils import timezone

from chat.models import ApiKey, hash_api_key, split_api_key
from config import prepared
from config.errors import (
    UNAUTHENTICATED,
    database_unavailable_response,
    error_document,
    is_connection_failure,
)
from config.replicas import pinned_annotation

logger = logging.getLogger(__name__)

# last_used_at is refreshed at most this often per key, so reads don't each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
API_KEY_PATHS = ("/graphql",)


class ApiKeyError(Exception):
    """The presented key does not authenticate; the message is safe to show the client."""


def key_from_request(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    api_key = request.headers.get("X-API-Key", "").strip()
    return api_key or None


def _permission_names():
    """'app_label.codename' of every permission the key's user holds, directly or through a
    group: what ModelBackend loads in two queries, as one subquery of the key lookup."""
    held = Permission.objects.filter(
        Q(user=OuterRef("user_id")) | Q(group__user=OuterRef("user_id"))
    )
    return ArraySubquery(
        held.order_by()
        .values(perm_name=Concat("content_type__app_label", Value("."), "codename"))
        .distinct()
    )


class KeyLookup:
    """The key lookup's statement: the key with its user and the user's permission names, by
    the key's prefix. The ORM compiles it once per database and replica setting (only the
    prefix differs between requests), and it runs as a prepared statement (config.prepared):
    authenticating costs no query building and no planning. Its columns are plain values (no
    field of the key or the user converts what the database returns), so the rows become model
    instances with `Model.from_db`, as the ORM builds them."""

    PREFIX = "\x00prefix"  # stands for the prefix while compiling: no key's prefix holds NUL

    _compiled: dict = {}

    def __init__(self, using: str, replicas: bool):
        user_model = ApiKey._meta.get_field("user").related_model
        self.key_fields = [field.attname for field in ApiKey._meta.concrete_fields]
        self.user_fields = [field.attname for field in user_model._meta.concrete_fields]
        self.user_model = user_model
        keys = ApiKey.objects.annotate(user_permission_names=_permission_names())
        annotations = ["user_permission_names"]
        if replicas:
            # Whether the user's reads must stay on the primary (config.replicas).
            keys = keys.annotate(user_replica_pinned=pinned_annotation())
            annotations.append("user_replica_pinned")
        self.annotations = annotations
        columns = [*self.key_fields, *(f"user__{name}" for name in self.user_fields), *annotations]
        converts = [
            field
            for model in (ApiKey, user_model)
            for field in model._meta.concrete_fields
            if hasattr(field, "from_db_value")
        ]
        if converts:  # a new field type: the statement's rows would need the ORM's converters
            raise TypeError(f"KeyLookup reads plain columns only, not {converts}")
        query = keys.filter(prefix=self.PREFIX).values_list(*columns)[:1].query
        self.sql, params = query.get_compiler(using=using).as_sql()
        self.params = list(params)
        self.prefix_at = self.params.index(self.PREFIX)

    @classmethod
    def of(cls, using: str) -> KeyLookup:
        replicas = bool(settings.DATABASE_REPLICAS)
        lookup = cls._compiled.get((using, replicas))
        if lookup is None:
            lookup = cls._compiled[(using, replicas)] = cls(using, replicas)
        return lookup

    def find(self, prefix: str, using: str) -> ApiKey | None:
        params = list(self.params)
        params[self.prefix_at] = prefix
        with prepared.cursor(using) as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        keys, users = len(self.key_fields), len(self.user_fields)
        key = ApiKey.from_db(using, self.key_fields, row[:keys])
        key.user = self.user_model.from_db(using, self.user_fields, row[keys : keys + users])
        for name, value in zip(self.annotations, row[keys + users :], strict=True):
            setattr(key, name, value)
        return key


def authenticate_api_key(raw_key: str) -> ApiKey:
    """Return the usable key matching `raw_key` (with its user loaded) or raise ApiKeyError.

    The user's permissions come with the key, in the same query, and fill the cache Django's
    ModelBackend keeps on the user object for this request only: `has_perm` then needs no
    further query, and a permission or group change applies to the very next request.
    """
    presented_hash = hash_api_key(raw_key)
    prefix = split_api_key(raw_key)
    using = router.db_for_read(ApiKey)
    key = KeyLookup.of(using).find(prefix, using) if prefix is not None else None
    # Compare even when no key matched, so timing does not tell which prefixes exist.
    stored_hash = key.key_hash if key is not None else "0" * 64
    if not hmac.compare_digest(presented_hash, stored_hash) or key is None:
        raise ApiKeyError("Invalid API key.")
    if key.is_revoked:
        raise ApiKeyError("This API key has been revoked.")
    now = timezone.now()
    if key.is_expired(at=now):
        raise ApiKeyError("This API key has expired.")
    if not key.user.is_active:
        raise ApiKeyError("Invalid API key.")
    if not key.user.is_superuser:  # ModelBackend gives a superuser every permission
        key.user._perm_cache = set(key.user_permission_names)
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def unauthenticated(message: str) -> JsonResponse:
    return JsonResponse(
        error_document(message, UNAUTHENTICATED),
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


class ApiKeyMiddleware:
    """Authenticate GraphQL requests by API key; decide where CSRF applies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.api_key = None
        if not request.path.startswith(API_KEY_PATHS):
            return self.get_response(request)
        raw_key = key_from_request(request)
        if raw_key is None:
            if settings.SESSION_COOKIE_NAME not in request.COOKIES:
                request._dont_enforce_csrf_checks = True
            return self.get_response(request)
        try:
            key = authenticate_api_key(raw_key)
        except ApiKeyError as exc:
            return unauthenticated(str(exc))
        except Exception as exc:
            if not is_connection_failure(exc):
                raise
            logger.warning(
                "Database unavailable during API-key authentication: %s", type(exc).__name__
            )
            return database_unavailable_response()
        request.user = key.user
        request.api_key = key
        request._dont_enforce_csrf_checks = True
        return self.get_response(request)
