import hashlib
import secrets
import string

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from chat.validation import (
    OBJECT_ID_MAX_LENGTH,
    is_possible_id,
    metadata_object,
    validate_key,
    validate_object_id,
)
from config.text import validate_storable_json, validate_storable_text

KEY_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
KEY_PREFIX_LENGTH = 10
_PREFIX_CHARACTERS = frozenset(KEY_PREFIX_ALPHABET)
KEY_SCHEME = "dk"

# Message content is searched with this text-search configuration (no stemming: chats mix
# languages). Message.search_document is computed with it and the `search` filter parses
# queries with it.
SEARCH_CONFIG = "simple"


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
    # Only what generate_api_key draws from: anything else (a NUL, which no text parameter
    # may hold) matches no key and never reaches the database.
    if not set(prefix) <= _PREFIX_CHARACTERS:
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
    name = models.CharField(
        max_length=100,
        validators=[validate_storable_text],
        help_text="What the key is for, e.g. 'ci-ingest'.",
    )
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


class NextVal(models.Func):
    """`nextval('<sequence>')`: a database-assigned, ever-increasing number."""

    function = "nextval"
    output_field = models.BigIntegerField()

    def __init__(self, sequence: str):
        super().__init__(models.Value(sequence))


MESSAGE_SEQUENCE = "chat_message_seq"


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Own threads; every thread for staff holding chat.view_thread."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff and user.has_perm("chat.view_thread"):
            return self
        return self.filter(owner=user)

    def by_id(self, raw_id: object):
        """The thread with this id; none (never an error) for any string that cannot be one."""
        if not is_possible_id(raw_id):
            return self.none()
        return self.filter(pk=raw_id)

    def inactive_since(self, cutoff):
        """Threads without activity (no new message, no change) since `cutoff`."""
        return self.filter(updated_at__lt=cutoff)

    def recently_active(self):
        return self.order_by("-updated_at", "-id")


class Thread(models.Model):
    """A conversation: an agent chat session, a ChatKit thread or an LLM CLI session."""

    id = models.CharField(
        primary_key=True,
        max_length=OBJECT_ID_MAX_LENGTH,
        validators=[validate_object_id],
        help_text="Client-supplied or generated (`thread_…`); 1 to 100 printable characters "
        "(a legacy id such as 'my session 1' or 'thread_ü-ñ' included).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_threads",
        help_text="The user the thread belongs to.",
    )
    agent_type = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="Which agent serves it; may be empty.",
    )
    title = models.CharField(
        max_length=255,
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="Display title.",
    )
    metadata = models.JSONField(
        default=dict, blank=True, validators=[metadata_object], help_text="Free JSON object."
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was created.")
    updated_at = models.DateTimeField(
        default=timezone.now, help_text="Last activity: a change or a new message."
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="chat_thread_owner_updated"),
            # Staff lists and purge_threads (updated_at < cutoff).
            models.Index(fields=["-updated_at"], name="chat_thread_updated"),
            GinIndex(fields=["metadata"], opclasses=["jsonb_path_ops"], name="chat_thread_meta"),
        ]

    def __str__(self) -> str:
        return self.title or self.id


class Message(models.Model):
    """One item of a thread, ordered by creation time, then by insertion order."""

    class Role(models.TextChoices):
        USER = "user", "USER"
        ASSISTANT = "assistant", "ASSISTANT"
        MODEL = "model", "MODEL"
        SYSTEM = "system", "SYSTEM"
        TOOL = "tool", "TOOL"

    id = models.CharField(
        primary_key=True,
        max_length=OBJECT_ID_MAX_LENGTH,
        validators=[validate_object_id],
        help_text="Client-supplied or generated (`msg_…`).",
    )
    thread = models.ForeignKey(
        Thread,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # served by chat_message_thread_order
    )
    seq = models.BigIntegerField(
        db_default=NextVal(MESSAGE_SEQUENCE),
        editable=False,
        help_text="Insertion order; breaks ties between equal creation times.",
    )
    type = models.CharField(
        max_length=32,
        default="message",
        validators=[validate_storable_text],
        help_text="Item type, e.g. 'message' or 'tool_call'.",
    )
    role = models.CharField(max_length=16, choices=Role.choices, help_text="Who wrote it.")
    content = models.TextField(
        blank=True, default="", validators=[validate_storable_text], help_text="The text."
    )
    metadata = models.JSONField(
        default=dict, blank=True, validators=[metadata_object], help_text="Free JSON object."
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was written.")
    # A prompt recorded by interactionRecord carries what a retry with its id must match, and
    # its answer, so that the retry gets the stored recording back.
    recording_sha256 = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",  # rows inserted in SQL (imports) are not recordings
        editable=False,
        help_text="On a prompt recorded by interactionRecord: SHA-256 of the whole recording "
        "(a retry with the same id must match it); empty otherwise.",
    )
    answer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,  # served by chat_message_answer (recorded prompts only)
        help_text="On a prompt recorded by interactionRecord: the assistant message answering it.",
    )
    # The words of `content`, computed and stored by PostgreSQL on every write, so that a
    # search never recomputes them: neither when it checks a candidate the index found (a
    # phrase, a lossy bitmap page) nor when it reads one thread's messages.
    search_document = models.GeneratedField(
        expression=SearchVector("content", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
        help_text="The words of the content (full-text search).",
    )

    class Meta:
        ordering = ["created_at", "seq"]
        indexes = [
            # A thread's history in order, its first or last N (scanned backwards).
            models.Index(fields=["thread", "created_at", "seq"], name="chat_message_thread_order"),
            GinIndex(fields=["search_document"], name="chat_message_search"),
            models.Index(
                fields=["answer"],
                name="chat_message_answer",
                condition=models.Q(answer__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["user", "assistant", "model", "system", "tool"]),
                name="chat_message_role_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class LLMRequest(models.Model):
    """One call to a model (audit). The prompt text is kept only when the deployment opts in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="llm_requests"
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="llm_requests"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="llm_requests"
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="llm_requests",
        help_text="The user message that prompted the call.",
    )
    provider = models.CharField(
        max_length=64, validators=[validate_storable_text], help_text="e.g. 'openai'."
    )
    model = models.CharField(
        max_length=128, validators=[validate_storable_text], help_text="e.g. 'gpt-4o-mini'."
    )
    route_mode = models.CharField(
        max_length=32,
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="e.g. 'single' or 'compare'.",
    )
    prompt_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the prompt text.")
    prompt_text = models.TextField(  # noqa: DJ001 -- null: not stored, "" an empty prompt
        null=True,
        blank=True,
        validators=[validate_storable_text],
        help_text="Only when LLM_STORE_PROMPT_TEXT is on.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "LLM request"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="chat_llmreq_user_created"),
            models.Index(fields=["created_at"], name="chat_llmreq_created"),
        ]

    def __str__(self) -> str:
        by = self.user.get_username()
        return f"{self.provider}/{self.model} by {by} at {self.created_at:%Y-%m-%d %H:%M}"


class LLMResponse(models.Model):
    """What one model call cost and returned."""

    request = models.OneToOneField(LLMRequest, on_delete=models.CASCADE, related_name="response")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(
        max_digits=12, decimal_places=6, default=0, validators=[MinValueValidator(0)]
    )
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="", validators=[validate_storable_text])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "LLM response"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="chat_llmresp_created")]

    def __str__(self) -> str:
        return f"{self.tokens_in}+{self.tokens_out} tokens, {self.cost} for {self.request}"


class UsageDaily(models.Model):
    """Per user per day totals; the daily caps are enforced against this row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_usage"
    )
    day = models.DateField(help_text="Calendar day in the server's time zone.")
    requests = models.PositiveIntegerField(default=0)
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        verbose_name = "daily usage"
        verbose_name_plural = "daily usage"
        ordering = ["-day", "user_id"]
        constraints = [
            # The arbiter of the usage upsert (INSERT … ON CONFLICT (user_id, day)).
            models.UniqueConstraint(fields=["user", "day"], name="chat_usage_user_day_uniq"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="chat_usage_cost_gte_0"),
        ]
        indexes = [models.Index(fields=["day"], name="chat_usage_day")]

    def __str__(self) -> str:
        return f"usage of {self.user.get_username()} on {self.day}"

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


class ContextSnapshot(models.Model):
    """A saved conversation context (e.g. the built prompt history) for resuming a thread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_context_snapshots"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="context_snapshots")
    client_id = models.CharField(  # noqa: DJ001 -- null: no client id (never a conflict)
        max_length=OBJECT_ID_MAX_LENGTH,
        null=True,
        blank=True,
        validators=[validate_key],
        help_text="Client-supplied id, unique per user: saving it again returns this snapshot.",
    )
    context = models.JSONField(default=dict, blank=True, validators=[validate_storable_json])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["thread", "-created_at", "-id"], name="chat_snapshot_thread_new")
        ]
        constraints = [
            # The arbiter of contextSnapshotSave's INSERT … ON CONFLICT DO NOTHING.
            models.UniqueConstraint(
                fields=["user", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="chat_snapshot_user_client_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"context of {self.thread} at {self.created_at:%Y-%m-%d %H:%M}"


class UserPreference(models.Model):
    """One setting of a user (e.g. 'research_mode'), as JSON."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_preferences"
    )
    key = models.CharField(
        max_length=OBJECT_ID_MAX_LENGTH,
        validators=[validate_key],
        help_text="Letters, digits and . _ : -, starting with a letter or digit.",
    )
    value = models.JSONField(default=dict, blank=True, validators=[validate_storable_json])
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="chat_preference_user_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()}: {self.key}"
