"""Who a subscription runs as, checked when it starts and again before every event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef

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


@dataclass(frozen=True)
class Standing:
    """What a principal may do now: its user, and which of the permissions asked it holds."""

    user_id: int
    is_staff: bool
    perms: frozenset[str]

    def has_perm(self, perm: str) -> bool:
        """user.has_perm(perm) as of the statement that read it; `perm` must have been asked."""
        return perm in self.perms


def standings(
    principals: Iterable[Principal], perms: Sequence[str] = ()
) -> dict[Principal, Standing | UserError]:
    """Principal.user() for many principals in one statement: each one's standing now, or the
    UNAUTHENTICATED error that ends its streams. Permissions are the authentication backend's
    own (`with_perm`, what `has_perm` checks: active superusers, user and group permissions)."""
    principals = set(principals)
    users = get_user_model().objects
    key_ids = sorted({p.api_key_id for p in principals if p.api_key_id is not None})
    held = {
        f"perm_{i}": Exists(users.with_perm(perm).filter(pk=OuterRef("pk")))
        for i, perm in enumerate(perms)
    }
    rows = (
        users.filter(pk__in={p.user_id for p in principals}, is_active=True)
        .annotate(
            usable_keys=ArraySubquery(
                ApiKey.objects.usable().filter(user=OuterRef("pk"), pk__in=key_ids).values("pk")
            ),
            **held,
        )
        .values("pk", "is_staff", "usable_keys", *held)
    )
    found = {
        row["pk"]: (
            set(row["usable_keys"] or ()),  # NULL when no key was asked
            Standing(
                user_id=row["pk"],
                is_staff=row["is_staff"],
                perms=frozenset(perm for i, perm in enumerate(perms) if row[f"perm_{i}"]),
            ),
        )
        for row in rows
    }
    answers: dict[Principal, Standing | UserError] = {}
    for principal in principals:
        keys, standing = found.get(principal.user_id, (set(), None))
        if principal.api_key_id is not None and (
            standing is None or principal.api_key_id not in keys
        ):
            answers[principal] = unauthenticated("This API key is no longer valid.")
        elif standing is None:
            answers[principal] = unauthenticated("This account is no longer active.")
        else:
            answers[principal] = standing
    return answers


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
