import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.admin_utils import EstimatedCountPaginator
from config.context import NOT_SIGNED_IN
from monitoring.admin import PlannerEstimatePaginator
from monitoring.models import MonitoringLog, SystemHealth
from tests.monitoring.factories import (
    MonitoringLogFactory,
    MonitoringResultFactory,
    SystemHealthFactory,
    log_input,
)

RANGE = '{from: "2026-11-20T00:00:00Z", to: "2026-11-21T00:00:00Z"}'
READS = {
    "logs": ("{ logs { nodes { id } } }", "monitoring.view_monitoringlog"),
    "monitoringStats": (
        f"{{ monitoringStats(range: {RANGE}) {{ total }} }}",
        "monitoring.view_monitoringlog",
    ),
    "monitoringResults": (
        "{ monitoringResults { totalCount } }",
        "monitoring.view_monitoringresult",
    ),
    "systemHealth": ("{ systemHealth { component } }", "monitoring.view_systemhealth"),
    "healthHistory": (
        f'{{ healthHistory(component: "db", range: {RANGE}) {{ totalCount }} }}',
        "monitoring.view_systemhealth",
    ),
}


@pytest.mark.parametrize("field", READS)
def test_reading_needs_the_view_permission(field, writer_client, anon_client):
    # given
    query, perm = READS[field]

    # when
    as_writer = writer_client.execute(query)
    as_anonymous = anon_client.execute(query)

    # then
    assert [e["message"] for e in as_writer["errors"]] == [
        f"You don't have permission to do this ({perm})."
    ]
    assert [e["message"] for e in as_anonymous["errors"]] == [NOT_SIGNED_IN]


@pytest.mark.parametrize(
    ("mutation", "variables", "perm"),
    [
        (
            "mutation ($logs: [MonitoringLogInput!]!) { logIngest(logs: $logs) "
            "{ ... on OperationInfo { messages { kind message } } } }",
            {"logs": [log_input(0)]},
            "monitoring.add_monitoringlog",
        ),
        (
            'mutation { healthReport(input: {component: "db", status: UP}) '
            "{ ... on OperationInfo { messages { kind message } } } }",
            {},
            "monitoring.add_systemhealth",
        ),
        (
            'mutation { resultRecord(input: {target: "t", checkName: "c", status: OK}) '
            "{ ... on OperationInfo { messages { kind message } } } }",
            {},
            "monitoring.add_monitoringresult",
        ),
    ],
)
def test_writing_needs_the_add_permission(mutation, variables, perm, reader_client):
    # when
    result = reader_client.execute(mutation, variables)

    # then
    (data,) = result["data"].values()
    assert data == {
        "messages": [
            {"kind": "PERMISSION", "message": f"You don't have permission to do this ({perm})."}
        ]
    }
    assert MonitoringLog.objects.count() == 0
    assert SystemHealth.objects.count() == 0


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/monitoring/monitoringlog/",
        "/admin/monitoring/monitoringlog/?level__exact=40&source=worker",
        "/admin/monitoring/monitoringlog/?timestamp__year=2026&timestamp__month=11",
        "/admin/monitoring/monitoringresult/",
        "/admin/monitoring/systemhealth/",
    ],
)
def test_admin_lists_render(url, admin_client_):
    # given
    MonitoringLogFactory(source="api")
    MonitoringLogFactory(source="worker", level=40)
    MonitoringResultFactory()
    SystemHealthFactory()

    # when
    response = admin_client_.get(url)

    # then
    assert response.status_code == 200


def test_admin_log_list_filters_by_source_and_level(admin_client_):
    # given
    wanted = MonitoringLogFactory(source="worker", level=40)
    MonitoringLogFactory(source="worker", level=20)
    MonitoringLogFactory(source="api", level=40)

    # when
    response = admin_client_.get(
        "/admin/monitoring/monitoringlog/", {"source": "worker", "level__exact": "40"}
    )

    # then
    assert [log.pk for log in response.context["cl"].result_list] == [wanted.pk]
    html = response.content.decode()
    assert 'href="?level__exact=40&amp;source=api"' in html


def test_admin_log_detail_renders_and_cannot_add(admin_client_):
    # given
    log = MonitoringLogFactory()

    # when
    detail = admin_client_.get(f"/admin/monitoring/monitoringlog/{log.pk}/change/")
    add = admin_client_.get("/admin/monitoring/monitoringlog/add/")

    # then
    assert detail.status_code == 200
    assert add.status_code == 403


def test_admin_log_list_uses_the_estimated_count(admin_client_):
    # given
    MonitoringLogFactory()

    # when
    response = admin_client_.get("/admin/monitoring/monitoringlog/")

    # then: no COUNT(*) of the whole table on each page load
    changelist = response.context["cl"]
    assert isinstance(changelist.paginator, EstimatedCountPaginator)
    assert changelist.show_full_result_count is False


def date_choices(html: str) -> list[str]:
    block = html.split('<nav class="toplinks">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]*\"[^>]*>([^<]+)</a>", block)


def test_admin_date_hierarchy_lists_the_periods_with_logs_without_a_distinct_scan(
    admin_client_, settings
):
    # given: logs in October and December, none in November
    for month in (10, 12, 12):
        MonitoringLogFactory(timestamp=datetime(2026, month, 3, 8, tzinfo=UTC))
    MonitoringLogFactory(timestamp=datetime(2026, 12, 9, 8, tzinfo=UTC))

    # when
    with CaptureQueriesContext(connection) as queries:
        months = admin_client_.get("/admin/monitoring/monitoringlog/")
    days = admin_client_.get(
        "/admin/monitoring/monitoringlog/", {"timestamp__year": "2026", "timestamp__month": "12"}
    )

    # then
    assert date_choices(months.content.decode()) == [
        "&lsaquo; All dates",
        "October 2026",
        "December 2026",
    ]
    assert date_choices(days.content.decode()) == [
        "&lsaquo; 2026",
        "December 3",
        "December 9",
    ]
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]


def test_admin_filtered_log_list_uses_the_planner_estimate_when_big(superuser):
    # given: a paginator that treats one row as "big"
    MonitoringLogFactory.create_batch(3, level=40)

    class Tiny(PlannerEstimatePaginator):
        exact_count_below = 1

    # when
    with CaptureQueriesContext(connection) as queries:
        count = Tiny(MonitoringLog.objects.filter(level=40), 100).count

    # then: an EXPLAIN, not a COUNT(*)
    assert isinstance(count, int)
    assert [q["sql"].split(" ", 1)[0] for q in queries.captured_queries] == ["EXPLAIN"]
