"""A deterministic benchmark data set, written with INSERT … SELECT generate_series.

The same scale always gives the same rows (ids, texts, tags, times): values derive from the
row number, pseudo-random ones from md5 of it. Seeding wipes the benchmark database first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from chat import services as chat_services

BENCH_USERNAME = "bench"
AUTHOR_COUNT = 20
# Every model permission of these apps goes to the bench user (not a superuser, so
# permission checks cost what they cost for a real API client).
PERMISSION_APPS = ("chat", "learn", "monitoring", "students")


@dataclass(frozen=True)
class Scale:
    name: str
    learn_items: int
    threads: int
    messages_per_thread: int
    big_thread_messages: int
    logs: int
    students: int


SCALES = {
    "small": Scale("small", 2_000, 100, 20, 500, 50_000, 1_000),
    "default": Scale("default", 20_000, 1_000, 50, 500, 1_000_000, 10_000),
    "large": Scale("large", 200_000, 10_000, 50, 500, 10_000_000, 100_000),
}


def rand(expr: str, salt: str = "") -> str:
    """SQL: a deterministic pseudo-random float in [0, 1) from `expr` (md5 of its text)."""
    digest = f"md5(({expr})::text || '{salt}')"
    return f"(('x' || substr({digest}, 1, 8))::bit(32)::bigint / 4294967296.0)"


def execute(sql: str, params: dict | list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def table_names() -> set[str]:
    return set(connection.introspection.table_names())


@dataclass
class SeedReport:
    timings: list[tuple[str, int, float]]
    # Handed to the harness with the API key (e.g. other users' keys).
    extra: dict = field(default_factory=dict)

    def step(self, label: str, work: Callable[[], int]) -> int:
        started = time.perf_counter()
        rows = work()
        self.timings.append((label, rows, time.perf_counter() - started))
        return rows


def reset_users(report: SeedReport) -> tuple[object, str]:
    """Wipe every user (and, by CASCADE, what refers to them); create the bench user and key."""

    def wipe() -> int:
        execute("TRUNCATE auth_user RESTART IDENTITY CASCADE")
        return 0

    report.step("truncate users (cascade)", wipe)
    user_model = get_user_model()
    bench = user_model.objects.create_user(BENCH_USERNAME, email="bench@example.com")
    bench.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=PERMISSION_APPS)
    )

    def authors() -> int:
        user_model.objects.bulk_create(
            user_model(username=f"bench_author_{n:02d}", password="!") for n in range(AUTHOR_COUNT)
        )
        return AUTHOR_COUNT

    report.step("users", authors)
    _, raw_key = chat_services.api_key_create(user=bench, name="benchmarks")
    return bench, raw_key


def analyze(tables: list[str]) -> None:
    for table in tables:
        execute(f"VACUUM ANALYZE {table}")
