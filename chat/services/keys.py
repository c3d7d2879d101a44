from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chat.models import ApiKey, generate_api_key, hash_api_key

KEY_FOR_OTHER_USER = "Only a superuser may create an API key for another user."


def api_key_creator_may_target(*, created_by: AbstractBaseUser, user: AbstractBaseUser) -> bool:
    """A key acts as its user: only for yourself, or by a superuser (who has every right)."""
    return bool(created_by.is_superuser and created_by.is_active) or created_by.pk == user.pk


@transaction.atomic
def api_key_create(
    *,
    user: AbstractBaseUser,
    name: str,
    expires_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for `user` on behalf of `created_by` (None: the operator at the shell);
    return it with its plaintext, which is never stored."""
    if created_by is not None and not api_key_creator_may_target(created_by=created_by, user=user):
        raise PermissionDenied(KEY_FOR_OTHER_USER)
    prefix, raw_key = generate_api_key()
    key = ApiKey(
        user=user, name=name, prefix=prefix, key_hash=hash_api_key(raw_key), expires_at=expires_at
    )
    key.full_clean()
    key.save()
    return key, raw_key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent: the first revocation time is kept)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key
