"""The admin dashboards in headless Chromium: staff log in through the admin form and read
the charts' figures from the page; no console errors, no request leaves 127.0.0.1."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from monitoring.models import Level
from students.models import Draft
from tests.browser import admin_login, guarded_page
from tests.monitoring.factories import MonitoringLogFactory, SystemHealthFactory
from tests.students.factories import ConceptModuleFactory, StudentFactory

SCREENSHOTS = Path(settings.BASE_DIR) / ".data" / "screenshots"
MONITORING_PERMS = ["monitoring.view_monitoringlog", "monitoring.view_systemhealth"]


@pytest.fixture
def seeded(live_session, make_user):
    make_user("watcher", perms=MONITORING_PERMS, is_staff=True)
    make_user("boss", is_staff=True, is_superuser=True)
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)  # all four in the current hour
    for n, level in enumerate([Level.ERROR, Level.INFO, Level.INFO, Level.ERROR]):
        MonitoringLogFactory(
            timestamp=hour + timedelta(seconds=n), level=level, source="api" if n else "worker"
        )
    SystemHealthFactory(component="database", status="up", checked_at=now - timedelta(minutes=5))
    SystemHealthFactory(component="database", status="down", checked_at=now)
    module, student = ConceptModuleFactory(code="M01"), StudentFactory(code="S001")
    for due in (now - timedelta(days=1), now - timedelta(days=2), now + timedelta(days=1)):
        Draft.objects.create(student=student, module=module, content="essay", due_at=due)


def open_page(browser, live_server, username, scheme):
    page, problems = guarded_page(browser, color_scheme=scheme)
    admin_login(page, live_server, username)
    return page, problems


def bar_values(page, chart):
    bars = page.locator(f"[data-chart='{chart}'] rect.bar")
    return [bars.nth(i).get_attribute("data-value") for i in range(bars.count())]


def test_monitoring_staff_see_only_the_monitoring_dashboard(live_server, seeded, browser):
    # given staff with only the monitoring view permissions, logged in
    page, problems = open_page(browser, live_server, "watcher", "light")

    # when
    links = page.locator("#dashboards a").all_inner_texts()
    page.click("text=Monitoring")
    page.wait_for_selector("[data-chart='error-rate']")
    page.screenshot(path=SCREENSHOTS / "monitoring-light.png", full_page=True)
    rates = bar_values(page, "error-rate")
    api_rates = bar_values(page, "error-rate-api")
    sources = page.locator("[data-chart='errors-by-source'] rect.bar").evaluate_all(
        "els => els.map(e => [e.dataset.label, e.dataset.value])"
    )
    health = page.locator("[data-table='component-health'] tbody tr").all_inner_texts()
    timeline = page.locator("svg[data-component='database'] rect.band").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    seen = list(problems)
    refused = page.goto(f"{live_server.url}/admin/dashboards/chat/")

    # then
    assert links == ["Monitoring"]
    assert len(rates) == 24
    assert rates[-1] == "50.0"
    assert len(api_rates) == 24 and api_rates[-1] == "33.33"  # 1 error in api's 3 logs
    assert sources == [["api", "1"], ["worker", "1"]]
    assert len(health) == 1 and health[0].startswith("database\tDOWN")
    assert timeline == ["up", "down"]
    assert refused.status == 403
    assert seen == []


def test_superuser_sees_every_dashboard_in_dark_theme(live_server, seeded, browser):
    # given a superuser, logged in
    page, problems = open_page(browser, live_server, "boss", "dark")

    # when
    links = page.locator("#dashboards a").all_inner_texts()
    shown = {}
    for slug in ["chat", "monitoring", "students", "learn"]:
        page.goto(f"{live_server.url}/admin/dashboards/{slug}/")
        page.screenshot(path=SCREENSHOTS / f"{slug}-dark.png", full_page=True)
        shown[slug] = page.locator("[data-chart]").evaluate_all(
            "els => els.map(e => e.dataset.chart)"
        )
    page.goto(f"{live_server.url}/admin/dashboards/students/")
    overdue = page.locator("[data-chart='overdue-drafts'] rect.bar").evaluate_all(
        "els => els.map(e => [e.dataset.label, e.dataset.value])"
    )
    errors = page.goto(f"{live_server.url}/admin/dashboards/monitoring/?range=7d")
    week = bar_values(page, "error-rate")

    # then
    assert links == ["Chat and LLM usage", "Monitoring", "Students", "Learn"]
    assert shown == {
        "chat": [
            "requests",
            "tokens",
            "cost",
            *(f"{m}-by-{s}" for s in ("model", "api-key") for m in ("requests", "tokens", "cost")),
        ],
        "monitoring": [
            "health-timeline",
            "error-rate",
            "errors-by-source",
            "error-rate-api",
            "error-rate-worker",
        ],
        "students": ["overdue-drafts", "risk-bands"],
        "learn": ["items-per-day", "items-per-day-by-kind", "tags"],
    }
    assert overdue == [["M01", "2"]]
    assert errors.status == 200 and len(week) == 168 and week[-1] == "50.0"
    assert problems == []
