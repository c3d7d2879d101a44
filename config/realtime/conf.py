"""Limits and intervals of real-time delivery, each settable in the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class Limits:
    # Seconds between two polls of a topic while it has subscribers.
    poll_interval: float = _number("REALTIME_POLL_INTERVAL", 0.25)
    # Events read by one poll at most; a fuller backlog is read by the next poll at once.
    poll_batch: int = int(_number("REALTIME_POLL_BATCH", 1000))
    # Subscriptions open at once, per user and per process.
    max_per_user: int = int(_number("REALTIME_MAX_SUBSCRIPTIONS_PER_USER", 50))
    max_per_process: int = int(_number("REALTIME_MAX_SUBSCRIPTIONS", 5000))
    # Undelivered batches a subscriber may have pending; a slower consumer is dropped.
    queue_size: int = int(_number("REALTIME_QUEUE_SIZE", 100))
    # Seconds between heartbeats (SSE comment lines; graphql-transport-ws pings).
    heartbeat: float = _number("REALTIME_HEARTBEAT", 15)
    # Seconds a WebSocket may stay open without connection_init (an SSE request: to send its body).
    init_timeout: float = _number("REALTIME_INIT_TIMEOUT", 10)
    # Seconds a WebSocket may stay open with no subscription (after its last one ended).
    idle_timeout: float = _number("REALTIME_IDLE_TIMEOUT", 300)
    # Days events are kept for reconnecting clients (manage.py realtime_prune).
    retention_days: float = _number("REALTIME_RETENTION_DAYS", 1)
    # A direct (non-pooler) PostgreSQL URL: one LISTEN connection per process on it wakes the
    # pollers early on NOTIFY. Empty: polling only (the same events, later).
    direct_url: str = field(default=os.environ.get("DATABASE_DIRECT_URL", "").strip(), repr=False)


LIMITS = Limits()
