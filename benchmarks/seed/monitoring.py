"""Monitoring logs: 20 sources, a realistic level mix, newest every 2.6 s back over 30 days."""

from __future__ import annotations

from datetime import date

from benchmarks.seed import Scale, SeedReport, execute, rand
from monitoring import partitions

SOURCES = [
    "api", "web", "worker", "scheduler", "billing", "auth", "search", "mailer", "cache", "db",
    "queue", "storage", "gateway", "metrics", "export", "import", "notifier", "reports",
    "webhooks", "admin",
]  # fmt: skip
NEWEST = "2026-11-01 00:00:00+00"
# Level by a uniform draw: debug 30%, info 50%, warning 12%, error 6%, critical 2%.
LOGS_SQL = f"""
INSERT INTO monitoring_monitoringlog
    (client_id, timestamp, received_at, level, source, message, context)
SELECT
  'seed-' || i,
  timestamptz '{NEWEST}' - i * (interval '30 days' / %(n)s),
  timestamptz '{NEWEST}' - i * (interval '30 days' / %(n)s) + interval '1.5 seconds',
  CASE WHEN u < 0.30 THEN 10 WHEN u < 0.80 THEN 20 WHEN u < 0.92 THEN 30
       WHEN u < 0.98 THEN 40 ELSE 50 END,
  (%(sources)s::text[])[1 + mod(i * 7, 20)],
  'GET /api/items/' || mod(i, 5000) || ' answered in ' || mod(i * 13, 900) || ' ms',
  jsonb_build_object('request_id', 'req-' || i, 'user', mod(i, 1000), 'ok', u < 0.92)
FROM (SELECT i, {rand("i", "level")} AS u FROM generate_series(1, %(n)s) AS i) AS draws
"""


def seed(scale: Scale, report: SeedReport) -> list[str]:
    execute("TRUNCATE monitoring_monitoringlog RESTART IDENTITY CASCADE")
    # The seeded month gets its day partitions (else it would all land in the default one).
    partitions.partitions_ensure(start=date(2026, 10, 1), end=date(2026, 11, 2))
    report.step("monitoring logs", lambda: execute(LOGS_SQL, {"n": scale.logs, "sources": SOURCES}))
    return ["monitoring_monitoringlog"]
