from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from chat.models import ApiKey, generate_api_key, hash_api_key


@transaction.atomic
def api_key_create(
    *, user: AbstractBaseUser, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key for `user`; return it with its plaintext, which is never stored."""
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
