from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.lookups import Exact
from django.utils import timezone

from config.inputs import database_id
from config.text import validate_storable_text
from learn.tags import TagsField, normalize_tags

FILENAME_MAX_LENGTH = 255
# GraphQL's Int is 32-bit; sizes stay within it so every stored value can be served.
SIZE_BYTES_MAX = 2**31 - 1


def all_tags_q(tags: list[str], prefix: str = "") -> models.Q:
    """Carries every one of `tags`: `tags @> '[...]'`, served by the GIN index."""
    return models.Q(**{f"{prefix}tags__contains": tags})


def any_tag_q(tags: list[str], prefix: str = "") -> models.Q:
    """Carries at least one of `tags`: `tags ?| array[...]`, served by the GIN index."""
    return models.Q(**{f"{prefix}tags__has_any_keys": tags})


def search_q(text: str, prefix: str = "") -> models.Q:
    """Notes or filename contain `text`, ignoring case."""
    return models.Q(**{f"{prefix}notes__icontains": text}) | models.Q(
        **{f"{prefix}filename__icontains": text}
    )


class LearnItemQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by("-created_at", "-id")

    def with_all_tags(self, tags: list[str]):
        return self.filter(all_tags_q(tags))

    def by_id(self, raw_id: object):
        """The item with this id, or none when `raw_id` is not a possible id (e.g. "abc")."""
        pk = database_id(raw_id)
        return self.filter(pk=pk) if pk is not None else self.none()


class JsonbTypeof(models.Func):
    function = "jsonb_typeof"
    output_field = models.TextField()


class LearnItem(models.Model):
    """A good or bad example saved to the team's learn store, with notes and tags."""

    class Kind(models.TextChoices):
        GOOD = "good", "GOOD"
        BAD = "bad", "BAD"

    kind = models.CharField(
        max_length=4, choices=Kind.choices, help_text="Whether this is a good or a bad example."
    )
    # Null and "" stay distinct: the legacy store round-tripped missing values as null.
    filename = models.CharField(  # noqa: DJ001
        max_length=FILENAME_MAX_LENGTH,
        validators=[validate_storable_text],
        null=True,
        blank=True,
        help_text="Original file name of the example; null when unknown.",
    )
    size_bytes = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(SIZE_BYTES_MAX)],
        help_text="Size of the example in bytes (0 to 2147483647); null when unknown.",
    )
    notes = models.TextField(  # noqa: DJ001
        null=True,
        blank=True,
        validators=[validate_storable_text],
        help_text="Why this example is good or bad; null when none.",
    )
    tags = TagsField(
        help_text="Distinct, trimmed tags (each at most 64 characters, no commas); may be empty."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="learn_items",
        help_text="Who saved the item; null for imported items or deleted users.",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When the item was saved.")
    # Null for items not imported from JSONL; unique among the rest.
    import_fingerprint = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the legacy JSONL line's content; set only by import_learn_jsonl.",
    )

    objects = LearnItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="learn_item_created"),
            # Default jsonb_ops (not jsonb_path_ops): it serves both `@>` (tagsAll) and
            # `?|` (tagsAny); jsonb_path_ops supports containment only.
            GinIndex(fields=["tags"], name="learn_item_tags_gin"),
        ]
        constraints = [
            # A constraint rather than unique=True: no extra LIKE index, and it is the
            # arbiter of the importer's INSERT … ON CONFLICT (import_fingerprint) DO NOTHING.
            models.UniqueConstraint(
                fields=["import_fingerprint"], name="learn_item_fingerprint_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["good", "bad"]), name="learn_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(size_bytes__lte=SIZE_BYTES_MAX), name="learn_item_size_max"
            ),
            models.CheckConstraint(
                condition=Exact(JsonbTypeof("tags"), "array"), name="learn_item_tags_is_array"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.filename or '(no file)'}"

    def clean_fields(self, exclude=None):
        # Tags are normalised even when empty-looking: Django skips blank values ([] but also
        # None, "" and {}) in clean_fields, and only a list may reach the database.
        exclude = set(exclude or ())
        errors = {}
        if "tags" not in exclude:
            exclude.add("tags")
            try:
                self.tags = normalize_tags(self.tags)
            except ValidationError as exc:
                errors["tags"] = exc.error_list
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            order = [field.name for field in self._meta.fields]
            raise ValidationError({name: errors[name] for name in sorted(errors, key=order.index)})
