from django.db import models


class LegacyImportMark(models.Model):
    """Where import_legacy stands on one legacy table: the key of the last imported row.

    Saved in the same transaction as the batch it follows, so a killed run resumes after the
    last committed batch.
    """

    system = models.CharField(max_length=32, help_text="e.g. 'agent-chat'.")
    table = models.CharField(max_length=100, help_text="The legacy table, e.g. 'chat_messages'.")
    last_key = models.JSONField(
        null=True, blank=True, help_text="Legacy primary key of the last imported row; null: start."
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last full pass over the table ended."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "legacy import mark"
        constraints = [
            models.UniqueConstraint(fields=["system", "table"], name="config_legacy_mark_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.system}/{self.table}"


class ReplicaPin(models.Model):
    """Until when a user's reads stay on the primary after their last write (read-your-writes
    across requests and app servers while replicas catch up; config.replicas)."""

    user_id = models.BigIntegerField(primary_key=True)
    until = models.DateTimeField()

    class Meta:
        verbose_name = "replica pin"

    def __str__(self) -> str:
        return f"user {self.user_id} until {self.until:%H:%M:%S}"
