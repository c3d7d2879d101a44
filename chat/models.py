import hashlib
import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
KEY_PREFIX_LENGTH = 10
KEY_SCHEME = "dk"


def hash_api_key(raw_key: str) -> str:
    """SHA-256 hex digest of the whole key; the only form in which a key is stored."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_api_key() -> tuple[str, str]:
    """Return (prefix, plaintext key). The key reads `dk_<prefix>_<secret>`."""
    prefix = "".join(secrets.choice(KEY_PREFIX_ALPHABET) for _ in range(KEY_PREFIX_LENGTH))
    return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def split_api_key(raw_key: str) -> str | None:
    """Return the prefix of a well-formed key, or None."""
    scheme, _, rest = raw_key.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != KEY_PREFIX_LENGTH or not secret:
        return None
    return prefix


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, *, at=None):
        """Keys that authenticate now: not revoked and not expired."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at)
        )


class ApiKey(models.Model):
    """A revocable credential that authenticates requests as its user.

    Only a short prefix (to find the key) and a SHA-256 hash of the whole key are stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'ci-ingest'.")
    prefix = models.CharField(
        max_length=KEY_PREFIX_LENGTH, unique=True, editable=False, help_text="Public key prefix."
    )
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="chat_apikey_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({KEY_SCHEME}_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, *, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())
