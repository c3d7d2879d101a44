"""Staff dashboards in the admin: figures from the apps' selectors, drawn as server-side SVG.

Each dashboard needs its domain's view permissions; its panels are hidden on the admin index
and its URL answers 403 without them. No JavaScript and nothing from another host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

from chat import selectors as chat_selectors
from chat.models import UsageDaily
from config.enums import api_spelling
from learn import selectors as learn_selectors
from learn.models import LearnItem
from monitoring import selectors as monitoring_selectors
from monitoring.models import ERROR_LEVEL, MonitoringLog, SystemHealth
from students import selectors as students_selectors
from students.models import RISK_BAND_RANK, RiskBand, Student
from students.risk import factor_text

CHART_W, CHART_H = 720, 160
SERIES_COLOURS = 6  # .series-0 … .series-5 in the template
TOP_THREADS = 10
TOP_SOURCES = 3


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    series: str = ""
    index: int = 0  # the series' position, which picks its colour


@dataclass
class Chart:
    title: str
    caption: str
    key: str
    bars: list[Bar] = field(default_factory=list)
    maximum: float = 0
    width: int = CHART_W
    height: int = CHART_H
    legend: list[dict] = field(default_factory=list)


def bar_chart(*, key: str, title: str, caption: str, points: list[tuple[str, float]]) -> Chart:
    """Vertical bars scaled to the largest value; each bar keeps its exact value."""
    maximum = max((v for _, v in points), default=0) or 1
    step = CHART_W / max(len(points), 1)
    bars = [
        Bar(
            label=label,
            value=value,
            x=round(i * step + step * 0.1, 2),
            y=round(CHART_H - CHART_H * value / maximum, 2),
            width=round(step * 0.8, 2),
            height=round(CHART_H * value / maximum, 2),
        )
        for i, (label, value) in enumerate(points)
    ]
    return Chart(title=title, caption=caption, key=key, bars=bars, maximum=maximum)


def stacked_chart(
    *, key: str, title: str, caption: str, labels: list[str], series: dict[str, dict[str, float]]
) -> Chart:
    """One bar per label, stacked from its series' values (series name -> label -> value,
    missing as 0), scaled to the highest stack; each segment keeps its exact value."""
    totals = [sum(values.get(label, 0) for values in series.values()) for label in labels]
    maximum = max(totals, default=0) or 1
    step = CHART_W / max(len(labels), 1)
    bars = []
    for i, label in enumerate(labels):
        top = CHART_H
        for index, (name, values) in enumerate(series.items()):
            value = values.get(label, 0)
            if not value:
                continue
            height = CHART_H * value / maximum
            top -= height
            bars.append(
                Bar(
                    label=label,
                    value=value,
                    x=round(i * step + step * 0.1, 2),
                    y=round(top, 2),
                    width=round(step * 0.8, 2),
                    height=round(height, 2),
                    series=name,
                    index=index % SERIES_COLOURS,
                )
            )
    return Chart(
        title=title,
        caption=caption,
        key=key,
        bars=bars,
        maximum=maximum,
        legend=[{"name": n, "index": i % SERIES_COLOURS} for i, n in enumerate(series)],
    )


def split_series(rows, attr: str, value) -> dict[str, dict[str, float]]:
    """usage_rows split by model or API key: series name -> day -> value(row)."""
    series: dict[str, dict[str, float]] = {}
    for r in rows:
        name = getattr(r, attr) or "(none)"
        day = series.setdefault(name, {})
        day[f"{r.period}"] = day.get(f"{r.period}", 0) + value(r)
    return series


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    permissions: tuple[str, ...]

    def allowed(self, user) -> bool:
        return user.is_active and user.is_staff and user.has_perms(self.permissions)


DASHBOARDS = [
    Dashboard("chat", "Chat and LLM usage", ("chat.view_llmrequest", "chat.view_usagedaily")),
    Dashboard(
        "monitoring",
        "Monitoring",
        ("monitoring.view_monitoringlog", "monitoring.view_systemhealth"),
    ),
    Dashboard("students", "Students", ("students.view_student", "students.view_dropoutprediction")),
    Dashboard("learn", "Learn", ("learn.view_learnitem",)),
]


def visible_dashboards(user) -> list[Dashboard]:
    return [d for d in DASHBOARDS if d.allowed(user)]


def chat_context(request) -> dict:
    days = 90 if request.GET.get("days") == "90" else 30
    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    rows = chat_selectors.usage_rows(user=None, start=start, end=end, period="day", by="none")
    period = f"{start} to {end} ({days} days, server time zone)"
    requests = [(f"{r.period}", r.requests) for r in rows]
    tokens = [(f"{r.period}", r.tokens_in + r.tokens_out) for r in rows]
    cost = [(f"{r.period}", float(r.cost)) for r in rows]
    by_model = chat_selectors.usage_rows(user=None, start=start, end=end, period="day", by="model")
    by_key = chat_selectors.usage_rows(user=None, start=start, end=end, period="day", by="api_key")
    today = UsageDaily.objects.filter(day=end).select_related("user").order_by("-cost", "-id")[:20]
    threads = chat_selectors.most_expensive_threads(start=start, end=end, limit=TOP_THREADS)
    days_shown = [f"{r.period}" for r in rows]
    metrics = [
        ("requests", "Requests", lambda r: r.requests),
        ("tokens", "Tokens", lambda r: r.tokens_in + r.tokens_out),
        ("cost", "Cost", lambda r: float(r.cost)),
    ]
    split = [
        stacked_chart(
            key=f"{metric}-by-{split_key}",
            title=f"{name} per day by {split_name}",
            labels=days_shown,
            series=split_series(split_rows, attr, value),
            caption=f"{name} per day, one segment per {split_name}, {period}.",
        )
        for split_key, split_name, attr, split_rows in (
            ("model", "model", "model", by_model),
            ("api-key", "API key", "api_key_prefix", by_key),
        )
        for metric, name, value in metrics
    ]
    return {
        "periods": [30, 90],
        "period": days,
        "charts": [
            bar_chart(
                key="requests",
                title="Requests per day",
                points=requests,
                caption=f"LLM requests recorded per day, {period}.",
            ),
            bar_chart(
                key="tokens",
                title="Tokens per day",
                points=tokens,
                caption=f"Tokens in + out of the LLM responses per day, {period}.",
            ),
            bar_chart(
                key="cost",
                title="Cost per day",
                points=cost,
                caption=f"Cost of the LLM responses per day, {period}.",
            ),
            *split,
        ],
        "tables": [
            {
                "title": "Most expensive threads",
                "caption": f"The {TOP_THREADS} threads with the highest LLM cost, {period}.",
                "head": ["Thread", "Title", "Requests", "Tokens", "Cost"],
                "rows": [[t.thread_id, t.title, t.requests, t.tokens, t.cost] for t in threads],
            },
            totals_table("By model", "model", by_model, period),
            totals_table("By API key", "api_key_prefix", by_key, period),
            {
                "title": "Usage today against the daily caps",
                "caption": f"Each user's totals of {end}; caps: tokens "
                f"{settings.DAILY_TOKEN_CAP or 'none'}, cost {settings.DAILY_COST_CAP or 'none'}.",
                "head": ["User", "Requests", "Tokens", "Cost"],
                "rows": [
                    [u.user.get_username(), u.requests, u.tokens_in + u.tokens_out, u.cost]
                    for u in today
                ],
            },
        ],
    }


def totals_table(title: str, attr: str, rows, period: str) -> dict:
    totals: dict[str, list] = {}
    for r in rows:
        name = getattr(r, attr) or "(none)"
        t = totals.setdefault(name, [0, 0, 0])
        t[0] += r.requests
        t[1] += r.tokens_in + r.tokens_out
        t[2] += r.cost
    return {
        "title": title,
        "caption": f"Requests, tokens and cost {title.lower()}, {period}.",
        "head": ["Name", "Requests", "Tokens", "Cost"],
        "rows": [[n, *t] for n, t in sorted(totals.items(), key=lambda kv: -kv[1][2])],
    }


def monitoring_context(request) -> dict:
    hours = 168 if request.GET.get("range") == "7d" else 24
    end = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    buckets = monitoring_selectors.log_error_rate(start=start, end=end, unit="hour")
    label = "7 days" if hours == 168 else "24 hours"
    sources = monitoring_selectors.log_counts_by_source(
        start=start, end=end, limit=10, errors_only=True
    )
    per_source = monitoring_selectors.log_error_rate_by_source(
        start=start, end=end, unit="hour", sources=[s.source for s in sources[:TOP_SOURCES]]
    )
    latest = list(MonitoringLog.objects.filter(level__gte=ERROR_LEVEL).newest_first()[:10])
    health = monitoring_selectors.health_latest()
    checks: dict[str, list] = {h.component: [] for h in health}
    for component, at, status in monitoring_selectors.health_history_of(
        components=list(checks), start=start, end=end
    ).values_list("component", "checked_at", "status"):
        checks[component].append((at, status))
    timelines = [
        health_timeline(h.component, start, end, h.status, checks[h.component]) for h in health
    ]
    return {
        "timelines": timelines,
        "timeline_caption": f"Status of each component between its checks, last {label} "
        "(up, degraded, down).",
        "periods": ["24h", "7d"],
        "period": "7d" if hours == 168 else "24h",
        "charts": [
            bar_chart(
                key="error-rate",
                title="Error rate per hour",
                points=[
                    (f"{b.start:%Y-%m-%d %H:00}", round((b.rate or 0) * 100, 2)) for b in buckets
                ],
                caption=f"Share of logs of level error or above per hour (%), last {label}.",
            ),
            bar_chart(
                key="errors-by-source",
                title="Errors by source",
                points=[(s.source, s.count) for s in sources],
                caption=f"Logs of level error or above per source, last {label} (top 10).",
            ),
            *(
                bar_chart(
                    key=f"error-rate-{slugify(source)}",
                    title=f"Error rate per hour of {source}",
                    points=[
                        (f"{b.start:%Y-%m-%d %H:00}", round((b.rate or 0) * 100, 2))
                        for b in source_buckets
                    ],
                    caption=f"Share of the logs of {source} of level error or above per hour "
                    f"(%), last {label}; one chart for each of the {TOP_SOURCES} sources with "
                    "the most errors.",
                )
                for source, source_buckets in per_source.items()
            ),
        ],
        "tables": [
            {
                "title": "Component health",
                "caption": "The latest check of each component and since when it has that status.",
                "head": ["Component", "Status", "Since", "Checked"],
                "rows": [
                    [
                        h.component,
                        api_spelling(SystemHealth.Status, h.status),
                        h.since,
                        h.checked_at,
                    ]
                    for h in health
                ],
            },
            {
                "title": "Latest errors",
                "caption": "The 10 newest logs of level error or above.",
                "head": ["When", "Source", "Message"],
                "rows": [
                    [
                        format_html(
                            '<a href="{}">{}</a>',
                            reverse("admin:monitoring_monitoringlog_change", args=[log.pk]),
                            f"{timezone.localtime(log.timestamp):%Y-%m-%d %H:%M:%S}",
                        ),
                        log.source,
                        log.message[:120],
                    ]
                    for log in latest
                ],
            },
        ],
    }


def health_timeline(component: str, start, end, current: str, checks: list) -> dict:
    """Bands of one component's status over [start, end) from its (checked_at, status)
    checks, oldest first: each check holds until the next."""
    span = (end - start).total_seconds()
    bands = []
    for i, (at, status) in enumerate(checks):
        until = checks[i + 1][0] if i + 1 < len(checks) else min(end, timezone.now())
        x = CHART_W * (at - start).total_seconds() / span
        width = CHART_W * (until - at).total_seconds() / span
        bands.append(
            {
                "status": status,
                "label": api_spelling(SystemHealth.Status, status),
                "x": round(x, 2),
                "width": round(max(width, 1), 2),
            }
        )
    return {
        "component": component,
        "current": api_spelling(SystemHealth.Status, current),
        "bands": bands,
    }


def students_context(request) -> dict:
    counts = {band: 0 for band in RISK_BAND_RANK}
    for row in (
        Student.objects.exclude(latest_prediction=None)
        .values("latest_prediction__risk_band")
        .order_by()
        .annotate(n=Count("id"))
    ):
        counts[row["latest_prediction__risk_band"]] = row["n"]
    at_risk = students_selectors.at_risk(min_band="medium").select_related("latest_prediction")[:20]
    overdue = students_selectors.overdue_drafts_by_module(now=timezone.now())
    change = students_selectors.risk_band_change()
    return {
        "charts": [
            bar_chart(
                key="overdue-drafts",
                title="Overdue drafts by module",
                points=overdue,
                caption="Drafts past their due date and not submitted, per module, now.",
            ),
            bar_chart(
                key="risk-bands",
                title="Risk bands",
                points=[(api_spelling(RiskBand, band), n) for band, n in counts.items()],
                caption="Students by the band of their latest dropout prediction.",
            ),
        ],
        "tables": [
            {
                "title": "At risk",
                "caption": "Students whose latest prediction is medium or high, riskiest first "
                "(top 20), with the factors that raised their risk most.",
                "head": ["Student", "Band", "Risk", "Top factors"],
                "rows": [
                    [
                        str(s),
                        s.latest_prediction.get_risk_band_display(),
                        f"{s.latest_prediction.risk_score:.2f}",
                        "; ".join(factor_text(f) for f in s.latest_prediction.top_factors),
                    ]
                    for s in at_risk
                ],
            },
            {
                "title": "Risk bands since the previous computation",
                "caption": "Students per band of their latest prediction (now) and of the one "
                "before it (before); a student with a single prediction counts only now.",
                "head": ["Band", "Now", "Before", "Difference"],
                "rows": [
                    [api_spelling(RiskBand, c.band), c.now, c.before, f"{c.difference:+d}"]
                    for c in change
                ],
            },
        ],
    }


def learn_context(request) -> dict:
    end = timezone.localdate()
    start = end - timedelta(days=29)
    per_day = learn_selectors.learn_items_per_day(start=start, end=end)
    tags = learn_selectors.learn_tag_frequency(limit=15)
    by_kind = learn_selectors.learn_items_per_day_by_kind(start=start, end=end)
    return {
        "charts": [
            bar_chart(
                key="items-per-day",
                title="Items per day",
                points=[(f"{d.day}", d.count) for d in per_day],
                caption=f"Learn items created per day, {start} to {end} (server time zone).",
            ),
            stacked_chart(
                key="items-per-day-by-kind",
                title="Items per day by kind",
                labels=[f"{d.day}" for d in by_kind],
                series={
                    kind.label: {f"{d.day}": d.counts[kind.value] for d in by_kind}
                    for kind in LearnItem.Kind
                },
                caption=f"Learn items created per day, one segment per kind, {start} to {end} "
                "(server time zone).",
            ),
            bar_chart(
                key="tags",
                title="Tag frequency",
                points=[(t.tag, t.count) for t in tags],
                caption="Items carrying each tag, the 15 most frequent, over the whole store.",
            ),
        ],
        "tables": [],
    }


CONTEXTS = {
    "chat": chat_context,
    "monitoring": monitoring_context,
    "students": students_context,
    "learn": learn_context,
}


def dashboard_view(slug: str):
    dashboard = next(d for d in DASHBOARDS if d.slug == slug)

    def view(request):
        if not dashboard.allowed(request.user):
            raise PermissionDenied
        context = {
            **admin.site.each_context(request),
            "title": dashboard.title,
            "dashboard": dashboard,
            **CONTEXTS[slug](request),
        }
        return TemplateResponse(request, "dashboards/dashboard.html", context)

    view.__name__ = f"{slug}_dashboard"
    return view


def urls() -> list:
    return [
        path(
            f"admin/dashboards/{d.slug}/",
            admin.site.admin_view(dashboard_view(d.slug)),
            name=f"dashboard-{d.slug}",
        )
        for d in DASHBOARDS
    ]
