"""Event cursors: the (transaction id, event id) after which a stream continues."""

from __future__ import annotations

from typing import NamedTuple

from config.errors import invalid


class Cursor(NamedTuple):
    txid: int
    id: int

    def __str__(self) -> str:
        return f"{self.txid}-{self.id}"


START = Cursor(0, 0)


def parse_cursor(raw: str | None, *, field: str) -> Cursor | None:
    """The cursor a client sends back (an event's `cursor`, SSE's Last-Event-ID), or None."""
    if raw is None or raw == "":
        return None
    txid, sep, event_id = raw.partition("-")
    if sep and txid.isascii() and txid.isdigit() and event_id.isascii() and event_id.isdigit():
        parsed = Cursor(int(txid), int(event_id))
        if parsed.txid < 2**63 and parsed.id < 2**63:
            return parsed
    # `field` is `subscription.argument`; the argument is what the client names.
    raise invalid(f"{field}: not a cursor of this stream.", field=field.rpartition(".")[2])
