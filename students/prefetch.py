"""'The newest N events of each student' for a whole page of students in one query.

Django's own sliced prefetch (`Prefetch("events", queryset=qs[:10])`) numbers every event of
every student with ROW_NUMBER() and keeps the first ten, so it reads all their events. This
prefetcher reads only the rows it returns: a LATERAL subquery walks the
(student, occurred_at DESC, id DESC) index of each student and stops after N rows.

It plugs into prefetch_related the way GenericForeignKey does, through
get_prefetch_querysets(): `Prefetch("recent_events", queryset=qs[offset:offset + n],
to_attr=...)`; the slice of the queryset says which rows per student.
"""

from __future__ import annotations

from django.db.models.expressions import RawSQL

# Ids of the newest events of each given student, skipping `offset`, at most `limit` each.
LATEST_EVENT_IDS_SQL = """
    SELECT recent.id
    FROM unnest(%s::bigint[]) AS s(id)
    CROSS JOIN LATERAL (
        SELECT e.id FROM students_learningevent AS e
        WHERE e.student_id = s.id
        ORDER BY e.occurred_at DESC, e.id DESC
        OFFSET %s LIMIT %s
    ) AS recent
"""


class RecentEvents:
    """Set as Student.recent_events; prefetch it only with a to_attr (it is not a field)."""

    cache_name = "recent_events"

    def get_prefetch_querysets(self, instances, querysets=None):
        from students.models import LearningEvent

        queryset = querysets[0] if querysets else LearningEvent.objects.all()
        query = queryset.query
        offset, high = query.low_mark, query.high_mark
        limit = None if high is None else high - offset
        queryset = queryset._chain()
        queryset.query.clear_limits()
        ids = [instance.pk for instance in instances]
        queryset = queryset.filter(
            id__in=RawSQL(LATEST_EVENT_IDS_SQL, [ids, offset, limit])  # noqa: S611 (constant SQL)
        ).order_by("student_id", "-occurred_at", "-id")
        return (
            queryset,
            lambda event: event.student_id,
            lambda student: student.pk,
            False,
            self.cache_name,
            False,
        )
