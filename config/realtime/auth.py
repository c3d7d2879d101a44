"""Who a subscription runs as, checked when it starts and again before every event."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from chat.models import ApiKey
from config.auth import ApiKeyError, authenticate_api_key
from config.context import NOT_SIGNED_IN
from config.errors import UNAUTHENTICATED, UserError


def unauthenticated(message: str = NOT_SIGNED_IN) -> UserError:
    return UserError(message, code=UNAUTHENTICATED)


@dataclass(frozen=True)
class Principal:
    user_id: int
    api_key_id: int | None

    def user(self):
        """The user as of now (permissions fresh), or UNAUTHENTICATED if the key was revoked
        or expired or the user deactivated since the stream started."""
        if self.api_key_id is not None:
            key = ApiKey.objects.usable().filter(pk=self.api_key_id).select_related("user").first()
            if key is None or not key.user.is_active:
                raise unauthenticated("This API key is no longer valid.")
            return key.user
        user = get_user_model().objects.filter(pk=self.user_id, is_active=True).first()
        if user is None:
            raise unauthenticated("This account is no longer active.")
        return user


def principal_from_key(raw_key: str) -> Principal:
    try:
        key = authenticate_api_key(raw_key)
    except ApiKeyError as exc:
        raise unauthenticated(str(exc)) from None
    return Principal(user_id=key.user_id, api_key_id=key.pk)


def raw_key_from(value: object) -> str | None:
    """`Bearer <key>` or a bare key, as sent in connection_init's Authorization."""
    if not isinstance(value, str):
        return None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return value.strip() or None


def principal_of(context) -> Principal:
    principal = context.get("principal") if isinstance(context, dict) else None
    if principal is None:
        raise unauthenticated()
    return principal
