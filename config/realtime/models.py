from django.db import models
from django.db.models.functions import Now


class Xid8Field(models.Field):
    """PostgreSQL's `xid8`: a 64-bit transaction id that never wraps around."""

    description = "Transaction id (xid8)"

    def db_type(self, connection):
        return "xid8"


class CurrentTransactionId(models.Func):
    """`pg_current_xact_id()`: the id of the writing transaction."""

    function = "pg_current_xact_id"
    template = "%(function)s()"
    output_field = Xid8Field()


class Event(models.Model):
    """One change that subscribers may hear of, written in the transaction that made it.

    Rows come from triggers (config/realtime/migrations/0002_triggers.py), so the admin,
    commands and imports are heard too. Read in (txid, id) order below the snapshot's xmin.
    """

    txid = Xid8Field(db_default=CurrentTransactionId(), editable=False)
    topic = models.CharField(max_length=16)
    key = models.CharField(max_length=255)
    kind = models.CharField(max_length=32)
    ref = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        indexes = [models.Index(fields=["topic", "txid", "id"], name="realtime_event_poll")]

    def __str__(self) -> str:
        return f"{self.topic}:{self.key} {self.kind} {self.ref}"
