"""Reads of the learn store: the list and the statistics, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from config.replicas import read_connection
from learn.models import LearnItem

STATS_MAX_DAYS = 366

# Tags are distinct within an item, so this counts items per tag. Ties go by code point
# (COLLATE "C"), the same order whatever the database's locale.
TAG_FREQUENCY_SQL = """
    SELECT tag, COUNT(*) AS n
    FROM learn_learnitem, jsonb_array_elements_text(tags) AS tag
    GROUP BY tag
    ORDER BY n DESC, tag COLLATE "C"
    LIMIT %s
"""

# Every day of the range, also those without items. `day` is a local midnight (timestamp
# without time zone); AT TIME ZONE turns it into the instant it is in the server's zone.
# The bounds are plain ranges on created_at, so its index serves the join.
ITEMS_PER_DAY_SQL = """
    SELECT day::date, COUNT(item.id)
    FROM generate_series(%(start)s::timestamp, %(end)s::timestamp, interval '1 day') AS day
    LEFT JOIN learn_learnitem AS item
      ON item.created_at >= (day AT TIME ZONE %(tz)s)
     AND item.created_at < ((day + interval '1 day') AT TIME ZONE %(tz)s)
    GROUP BY day
    ORDER BY day
"""


def learn_item_list() -> QuerySet[LearnItem]:
    """All items, newest first (id breaks ties so pages never overlap)."""
    return LearnItem.objects.newest_first()


def learn_counts() -> dict[str, int]:
    """{"total": n, "good": n, "bad": n} in one aggregate query."""
    kinds = {kind: Count("id", filter=Q(kind=kind)) for kind in LearnItem.Kind.values}
    return LearnItem.objects.aggregate(total=Count("id"), **kinds)


@dataclass(frozen=True)
class TagCount:
    tag: str
    count: int


def learn_tag_frequency(*, limit: int | None) -> list[TagCount]:
    """Tags by the number of items carrying them, most frequent first, ties by tag."""
    with read_connection(LearnItem).cursor() as cursor:
        cursor.execute(TAG_FREQUENCY_SQL, [limit])
        return [TagCount(tag=tag, count=count) for tag, count in cursor.fetchall()]


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


def learn_items_per_day(*, start: date, end: date) -> list[DayCount]:
    """Items created on each day from `start` to `end` inclusive, days without items as 0.

    Days are calendar days in the server's time zone (settings.TIME_ZONE).
    """
    params = {"start": start, "end": end, "tz": timezone.get_current_timezone_name()}
    with read_connection(LearnItem).cursor() as cursor:
        cursor.execute(ITEMS_PER_DAY_SQL, params)
        return [DayCount(day=day, count=count) for day, count in cursor.fetchall()]


# The same days as ITEMS_PER_DAY_SQL, one row per day and kind that has items.
ITEMS_PER_DAY_BY_KIND_SQL = """
    SELECT day::date, item.kind, COUNT(item.id)
    FROM generate_series(%(start)s::timestamp, %(end)s::timestamp, interval '1 day') AS day
    LEFT JOIN learn_learnitem AS item
      ON item.created_at >= (day AT TIME ZONE %(tz)s)
     AND item.created_at < ((day + interval '1 day') AT TIME ZONE %(tz)s)
    GROUP BY day, item.kind
    ORDER BY day
"""


@dataclass(frozen=True)
class DayKindCount:
    day: date
    counts: dict[str, int]  # every kind, 0 when none


def learn_items_per_day_by_kind(*, start: date, end: date) -> list[DayKindCount]:
    """Items created on each day from `start` to `end` inclusive per kind (every kind of
    LearnItem.Kind, 0 when none), days in the server's time zone."""
    params = {"start": start, "end": end, "tz": timezone.get_current_timezone_name()}
    days: dict[date, dict[str, int]] = {}
    with read_connection(LearnItem).cursor() as cursor:
        cursor.execute(ITEMS_PER_DAY_BY_KIND_SQL, params)
        for day, kind, count in cursor.fetchall():
            counts = days.setdefault(day, dict.fromkeys(LearnItem.Kind.values, 0))
            if kind is not None:
                counts[kind] = count
    return [DayKindCount(day=day, counts=counts) for day, counts in days.items()]
