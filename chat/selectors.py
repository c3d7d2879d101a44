"""Reads of the chat app: visible threads, message windows, usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DecimalField,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from chat.models import (
    SEARCH_CONFIG,
    LLMRequest,
    Message,
    Thread,
    UsageDaily,
)

USAGE_MAX_DAYS = 731


def thread_list(*, user) -> QuerySet[Thread]:
    """Threads `user` may see, most recently active first."""
    return Thread.objects.visible_to(user).recently_active()


# A search is a few words: longer texts or more terms make plans (and PostgreSQL's parser
# stack) grow without making the answer better.
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10


def check_search(text: str) -> None:
    """Refuse a search text longer or with more terms than a search needs, naming `search`."""
    if len(text) > SEARCH_MAX_LENGTH:
        raise ValidationError(
            {"search": f"At most {SEARCH_MAX_LENGTH} characters (got {len(text)})."}
        )
    terms = len(text.replace('"', " ").split())
    if terms > SEARCH_MAX_TERMS:
        raise ValidationError({"search": f"At most {SEARCH_MAX_TERMS} terms (got {terms})."})


class _EqualsAny(Func):
    """`value = ANY(array)` (Django would put the right side of `=` in parentheses)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        (value, value_params), (array, array_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return f"{value} = ANY({array})", (*value_params, *array_params)


def message_search_q(text: str, prefix: str = "") -> Q:
    """Threads with a message whose content matches `text` (web-search syntax: words, "a
    phrase", -word, or), found through the full-text index on the messages' stored words."""
    check_search(text)
    # `id = ANY(ARRAY(SELECT DISTINCT thread_id … WHERE search_document @@ …))`: the array is
    # an uncorrelated subplan, computed once from the index. As a correlated EXISTS (or IN),
    # PostgreSQL may probe each visible thread's messages in order instead, which is cheap
    # while a match comes early and reads all 300,000 messages of a thread without one.
    matching = (
        Message.objects.filter(
            search_document=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        )
        .order_by()
        .values("thread_id")
        .distinct()
    )
    return Q(_EqualsAny(F(f"{prefix}pk"), ArraySubquery(matching)))


def llm_request_list(*, user) -> QuerySet[LLMRequest]:
    """The LLM audit `user` may read, newest first: their own calls; everyone's for staff
    holding chat.view_llmrequest."""
    requests = LLMRequest.objects.order_by("-created_at", "-id")
    if user.is_staff and user.has_perm("chat.view_llmrequest"):
        return requests
    return requests.filter(user=user)


def day_bounds(start: date, end: date | None = None) -> tuple[datetime, datetime]:
    """The first instant of day `start` and of the day after `end` (default: `start`), in the
    server's time zone: the half-open range of those days."""
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), tz)
    until = timezone.make_aware(datetime.combine((end or start) + timedelta(days=1), time.min), tz)
    return since, until


def usage_today(*, user) -> UsageDaily:
    """The user's totals of today (server time zone); zeros when nothing was recorded."""
    day = timezone.localdate()
    return UsageDaily.objects.filter(user=user, day=day).first() or UsageDaily(user=user, day=day)


@dataclass(frozen=True)
class UsageRow:
    period: date
    model: str | None
    api_key_prefix: str | None
    requests: int
    tokens_in: int
    tokens_out: int
    cost: Decimal


def usage_rows(*, user, start: date, end: date, period: str, by: str) -> list[UsageRow]:
    """Requests, tokens and cost from the LLM audit, per period ('day', 'week', 'month') and
    per model, API key or nothing (`by`), for days `start` to `end` in the server time zone;
    `user=None` counts every user (the staff dashboard)."""
    since, until = day_bounds(start, end)
    tz = timezone.get_current_timezone()
    keys = {"model": ["model"], "api_key": ["api_key__prefix"], "none": []}[by]
    rows = (
        LLMRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .filter(**({} if user is None else {"user": user}))
        .annotate(period=Trunc("created_at", period, output_field=DateField(), tzinfo=tz))
        .values("period", *keys)
        .annotate(
            requests=Count("id"),
            tokens_in=Coalesce(Sum("response__tokens_in"), 0),
            tokens_out=Coalesce(Sum("response__tokens_out"), 0),
            cost=Coalesce(
                Sum("response__cost"),
                Decimal(0),
                output_field=DecimalField(max_digits=14, decimal_places=6),
            ),
        )
        .order_by("period", *keys)
    )
    return [
        UsageRow(
            period=row["period"],
            model=row.get("model"),
            api_key_prefix=row.get("api_key__prefix"),
            requests=row["requests"],
            tokens_in=row["tokens_in"],
            tokens_out=row["tokens_out"],
            cost=row["cost"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ThreadCost:
    thread_id: str
    title: str
    requests: int
    tokens: int
    cost: Decimal


def most_expensive_threads(*, start: date, end: date, limit: int) -> list[ThreadCost]:
    """The `limit` threads with the highest LLM cost from days `start` to `end` (server time
    zone), with their requests and tokens in + out; ties by thread id."""
    since, until = day_bounds(start, end)
    rows = (
        LLMRequest.objects.filter(created_at__gte=since, created_at__lt=until, thread__isnull=False)
        .values("thread_id", "thread__title")
        .annotate(
            requests=Count("id"),
            tokens=Coalesce(Sum("response__tokens_in"), 0)
            + Coalesce(Sum("response__tokens_out"), 0),
            cost=Coalesce(
                Sum("response__cost"),
                Decimal(0),
                output_field=DecimalField(max_digits=14, decimal_places=6),
            ),
        )
        .order_by("-cost", "thread_id")[:limit]
    )
    return [
        ThreadCost(
            thread_id=row["thread_id"],
            title=row["thread__title"] or "",
            requests=row["requests"],
            tokens=row["tokens"],
            cost=row["cost"],
        )
        for row in rows
    ]
