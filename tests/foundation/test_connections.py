"""The one list shape (config.connections): cursors in both directions, stable pages, counts
only on request, aliases batched by their arguments, refused arguments named."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Message, Thread
from config.connections.keyset import after_q, before_q, cursor_of, order_keys
from config.connections.pages import PageArgs
from monitoring.models import MonitoringLog
from students import models as students
from tests.chat.factories import ThreadFactory
from tests.monitoring.factories import MonitoringLogFactory
from tests.statements import compiled

T0 = datetime(2026, 11, 1, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def alice_client(api_client, alice):
    return api_client(alice)


@pytest.fixture
def staff_client(api_client, make_user):
    return api_client(make_user("teacher", perms=["students.view_student"]))


THREAD_PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String) {
  thread(id: "long") {
    messages(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


@pytest.fixture
def long_thread(alice):
    thread = ThreadFactory(id="long", owner=alice)
    Message.objects.bulk_create(
        Message(id=f"m{n:03d}", thread=thread, role="user", content=str(n), created_at=T0)
        for n in range(205)
    )
    return thread


def test_every_message_of_a_thread_is_read_forwards_a_page_at_a_time(long_thread, alice_client):
    # when
    seen, after, pages = [], None, []
    while True:
        page = alice_client.execute(THREAD_PAGE, {"first": 100, "after": after})["data"]
        messages = page["thread"]["messages"]
        seen += [edge["node"]["id"] for edge in messages["edges"]]
        pages.append(messages["pageInfo"])
        if not messages["pageInfo"]["hasNextPage"]:
            break
        after = messages["pageInfo"]["endCursor"]

    # then: all 205 in order (100-104 included), three pages
    assert seen == [f"m{n:03d}" for n in range(205)]
    assert [(p["hasNextPage"], p["hasPreviousPage"]) for p in pages] == [
        (True, False),
        (True, True),
        (False, True),
    ]


def test_every_message_of_a_thread_is_read_backwards_a_page_at_a_time(long_thread, alice_client):
    # when
    pages, before = [], None
    while True:
        page = alice_client.execute(THREAD_PAGE, {"last": 100, "before": before})["data"]
        messages = page["thread"]["messages"]
        pages.append([edge["node"]["id"] for edge in messages["edges"]])
        if not messages["pageInfo"]["hasPreviousPage"]:
            break
        before = messages["pageInfo"]["startCursor"]

    # then: each page in list order, the pages newest first
    assert [len(p) for p in pages] == [100, 100, 5]
    assert pages[0] == [f"m{n:03d}" for n in range(105, 205)]
    assert pages[2] == [f"m{n:03d}" for n in range(5)]
    assert sorted(m for page in pages for m in page) == [f"m{n:03d}" for n in range(205)]


def test_edge_cursors_and_page_cursors_agree(long_thread, alice_client):
    messages = alice_client.execute(THREAD_PAGE, {"first": 3})["data"]["thread"]["messages"]
    cursors = [edge["cursor"] for edge in messages["edges"]]
    assert messages["pageInfo"]["startCursor"] == cursors[0]
    assert messages["pageInfo"]["endCursor"] == cursors[-1]

    # the page after the second item starts at the third
    after = alice_client.execute(THREAD_PAGE, {"first": 1, "after": cursors[1]})["data"]
    assert after["thread"]["messages"]["edges"][0]["node"]["id"] == "m002"
    # and the page before the third ends at the second
    before = alice_client.execute(THREAD_PAGE, {"last": 1, "before": cursors[2]})["data"]
    assert before["thread"]["messages"]["edges"][0]["node"]["id"] == "m001"


LOGS = """
query ($after: String) {
  logs(first: 2, after: $after) { totalCount nodes { clientId } pageInfo { endCursor } }
}
"""


def test_log_pages_stay_consistent_while_logs_arrive(make_user, api_client):
    # given
    client = api_client(make_user("viewer", perms=["monitoring.view_monitoringlog"]))
    for n in range(4):
        MonitoringLogFactory(client_id=f"old-{n}", timestamp=T0 + timedelta(minutes=n))
    first = client.execute(LOGS)["data"]["logs"]

    # when: newer logs arrive between two pages
    for n in range(3):
        MonitoringLogFactory(client_id=f"new-{n}", timestamp=T0 + timedelta(hours=1, minutes=n))
    second = client.execute(LOGS, {"after": first["pageInfo"]["endCursor"]})["data"]["logs"]

    # then: the second page continues where the first ended; the count sees the new ones
    assert [log["clientId"] for log in first["nodes"]] == ["old-3", "old-2"]
    assert [log["clientId"] for log in second["nodes"]] == ["old-1", "old-0"]
    assert (first["totalCount"], second["totalCount"]) == (4, 7)


@pytest.mark.parametrize(
    ("selection", "statements"),
    [
        ("nodes { id }", 1),  # the page (and one more row) only
        ("totalCount", 1),  # the count only
        ("totalCount nodes { id }", 2),
        ("pageInfo { hasNextPage }", 1),
    ],
)
def test_the_count_runs_only_when_selected(
    alice, alice_client, django_assert_num_queries, selection, statements
):
    # given
    ThreadFactory.create_batch(3, owner=alice)

    # when: besides the API key lookup and its last-used stamp (2); compiled: one statement
    with django_assert_num_queries(2 + (1 if compiled() else statements)):
        result = alice_client.execute(f"{{ threads(first: 2) {{ {selection} }} }}")

    # then
    assert "errors" not in result


ALIASED = """
{ threads(first: 100) { nodes {
    oldest: messages(first: 1) { nodes { id } }
    newest: messages(last: 2) { totalCount nodes { id } }
    again: messages(last: 2) { nodes { content } }
} } }
"""


@pytest.mark.parametrize("threads", [1, 12])
def test_aliases_with_different_arguments_read_once_per_alias_not_per_thread(
    alice, alice_client, django_assert_num_queries, threads
):
    # given
    for n in range(threads):
        thread = ThreadFactory(id=f"t{n:02d}", owner=alice)
        Message.objects.bulk_create(
            Message(id=f"t{n:02d}m{m}", thread=thread, role="user", content=f"{m}")
            for m in range(4)
        )

    # when: API key (2), then one compiled statement, or the threads (1) and per alias: oldest
    # (1), newest with its count (2), again (1) — whatever the number of threads
    with django_assert_num_queries(7 if not compiled() else 3):
        result = alice_client.execute(ALIASED)

    # then
    nodes = result["data"]["threads"]["nodes"]
    assert len(nodes) == threads
    for node in nodes:
        thread = node["oldest"]["nodes"][0]["id"][:3]
        assert node["oldest"]["nodes"] == [{"id": f"{thread}m0"}]
        assert node["newest"] == {
            "totalCount": 4,
            "nodes": [{"id": f"{thread}m2"}, {"id": f"{thread}m3"}],
        }
        assert node["again"]["nodes"] == [{"content": "2"}, {"content": "3"}]


STUDENT_EVENTS = """
{ students(first: 100) { nodes { code
    recent: events(first: 2) { nodes { eventType } }
    oldest: events(last: 1) { nodes { eventType } }
} } }
"""


@pytest.mark.parametrize("count", [1, 8])
def test_aliased_student_events_read_once_per_alias(staff_client, django_assert_num_queries, count):
    # given
    for n in range(count):
        student = students.Student.objects.create(
            code=f"s{n:03d}", name=f"Student {n}", email=f"s{n}@example.com", enrolled_at=T0
        )
        students.LearningEvent.objects.bulk_create(
            students.LearningEvent(
                student=student, event_type=kind, occurred_at=T0 + timedelta(hours=m)
            )
            for m, kind in enumerate(["login", "view", "quiz"])
        )

    # when: API key (2), then one compiled statement, or students (1), recent (1), oldest (1)
    with django_assert_num_queries(5 if not compiled() else 3):
        result = staff_client.execute(STUDENT_EVENTS)

    # then
    assert [
        (s["recent"]["nodes"], s["oldest"]["nodes"]) for s in result["data"]["students"]["nodes"]
    ] == [([{"eventType": "QUIZ"}, {"eventType": "VIEW"}], [{"eventType": "LOGIN"}])] * count


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ('after: "nonsense"', "after", "Not a cursor of this list"),
        ('before: "bm90IGpzb24"', "before", "Not a cursor of this list"),
        ("first: 1, last: 1", "last", "Pass `first` (with `after`) or `last`"),
    ],
)
def test_refused_page_arguments_name_the_argument(alice_client, arguments, field, message):
    # when
    result = alice_client.execute(f"{{ threads({arguments}) {{ nodes {{ id }} }} }}")

    # then
    assert result["data"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert list(error["extensions"]["fields"]) == [field]
    assert error["message"].startswith(f"{field}: {message}")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: -1", "Page size must be 0 or more: 'first' is -1."),
        ("last: 101", "Page size too large: 'last' is 101, the maximum is 100."),
        ("offset: -2", "Page offset must be 0 or more: 'offset' is -2."),
        (
            "offset: 10001",
            "Page offset too large: 'offset' is 10001, the maximum is 10000 (page further with "
            "cursors).",
        ),
    ],
)
def test_page_sizes_and_offsets_out_of_range_are_refused_before_any_sql(
    alice_client, django_assert_num_queries, arguments, message
):
    # only the API key lookup and its last-used stamp
    with django_assert_num_queries(2):
        result = alice_client.execute(
            f"{{ t: threads({arguments}) {{ nodes {{ id }} }} "
            f'm: thread(id: "x") {{ messages({arguments}) {{ nodes {{ id }} }} }} }}'
        )
    assert result["data"] is None
    assert [e["message"] for e in result["errors"]] == [message, message]


def test_a_cursor_of_another_ordering_is_refused(alice, alice_client):
    # given
    ThreadFactory(owner=alice)
    ThreadFactory(owner=alice)
    by_title = alice_client.execute(
        "{ threads(first: 1, ordering: [{title: ASC}]) { pageInfo { endCursor } } }"
    )["data"]["threads"]["pageInfo"]["endCursor"]

    # when
    result = alice_client.execute(
        "query ($c: String) { threads(after: $c) { nodes { id } } }", {"c": by_title}
    )

    # then
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert result["errors"][0]["message"].startswith("after: Not a cursor of this list")


def test_client_ordering_pages_through_equal_values_without_gaps(alice, alice_client):
    # given: titles that repeat, so the id breaks the ties
    for n in range(7):
        ThreadFactory(id=f"t{n}", owner=alice, title=f"title {n % 2}")
    query = """query ($after: String) { threads(first: 3, after: $after,
      ordering: [{title: DESC}]) { nodes { id title } pageInfo { endCursor hasNextPage } } }"""

    # when
    seen, after = [], None
    while True:
        page = alice_client.execute(query, {"after": after})["data"]["threads"]
        seen += [(n["title"], n["id"]) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then
    assert seen == sorted(((f"title {n % 2}", f"t{n}") for n in range(7)), reverse=True)


def _walk(queryset, *, backwards=False):
    """Every row of `queryset` read one at a time by cursor (the API's keyset functions)."""
    queryset, keys = order_keys(queryset)
    seen, values = [], None
    rows = queryset if not backwards else queryset.reverse()
    compare = before_q if backwards else after_q
    while True:
        page = rows.filter(compare(keys, values)) if values is not None else rows
        row = page.first()
        if row is None:
            return seen
        seen.append(row.pk)
        values = [getattr(row, key.attname) for key in keys]


@pytest.mark.parametrize("order", ["due_at", "-due_at"])
def test_keyset_walks_a_nullable_sort_key_in_both_directions(order):
    # given: drafts with and without a deadline, some sharing one
    module = students.ConceptModule.objects.create(code="m1", title="M1", order=1)
    student = students.Student.objects.create(
        code="s1", name="S", email="s@example.com", enrolled_at=T0
    )
    for n, due in enumerate([None, T0, None, T0 + timedelta(days=1), T0, None]):
        students.Draft.objects.create(student=student, module=module, content=f"{n}", due_at=due)
    queryset, _ = order_keys(students.Draft.objects.order_by(order))
    ordered = list(queryset.values_list("pk", flat=True))

    # then: forwards gives the list's order, backwards the reverse
    assert _walk(queryset) == ordered
    assert _walk(queryset, backwards=True) == ordered[::-1]


def test_every_list_of_one_order_shares_its_ordering_and_no_query_changes_it():
    # given: two lists in one order, one of them reversed and read from the end
    first, keys = order_keys(students.Draft.objects.order_by("-due_at"))
    second, _ = order_keys(students.Draft.objects.order_by("-due_at"))
    text = str(second.query)
    list(first.reverse()[:1])
    list(PageArgs.of(None, None, 2, None, None).window(first, keys, (None, None)))

    # then: the ordering is one object for both (its hash, which keys a query's shape, is
    # computed once), and reading the other list backwards left it as it was
    assert first.query.order_by[0] is second.query.order_by[0]
    assert str(second.query) == text
    assert text.endswith(
        'ORDER BY "students_draft"."due_at" DESC NULLS FIRST, "students_draft"."id" DESC'
    )


def test_cursor_round_trips_microseconds_and_time_zones(alice):
    # given
    thread = ThreadFactory(owner=alice, updated_at=datetime(2026, 11, 1, 12, 0, 0, 123456, UTC))
    _, keys = order_keys(Thread.objects.order_by("-updated_at"))

    # then: the row after its own cursor is not itself
    assert not Thread.objects.filter(pk=thread.pk).filter(
        after_q(keys, [thread.updated_at, thread.pk])
    )
    assert cursor_of(thread, keys) != cursor_of(ThreadFactory(owner=alice), keys)


def _insert_logs(count: int) -> None:
    """`count` logs a second apart from T0, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_monitoringlog (client_id, timestamp, level, source, message, "
            "context, received_at) SELECT 'c' || g, %s::timestamptz + g * interval '1 second', "
            "20, 'api', 'm', '{}', now() FROM generate_series(1, %s) g",
            [T0, count],
        )


def _analyze_logs() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE monitoring_monitoringlog")


def _explained(sql: str, params=()) -> list[str]:
    """The lines of the plan `sql` ran with, its row counts measured."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return [row[0].strip() for row in cursor.fetchall()]


def test_a_deep_log_page_is_an_index_range_scan(make_user):
    # given: a cursor deep in 20,000 logs
    _insert_logs(20000)
    _analyze_logs()
    deep = MonitoringLog.objects.newest_first()[15000]
    _, keys = order_keys(MonitoringLog.objects.newest_first())
    page = MonitoringLog.objects.newest_first().filter(after_q(keys, [deep.timestamp, deep.pk]))[
        :50
    ]

    # when
    plan = _explained(*page.query.sql_with_params())

    # then: the partitions' index scans (of the partitions at and before the cursor only)
    # merged in order, each starting at the cursor and stopping once the page is full: 50 rows
    # read, not 15,050; nothing sorted or scanned whole
    assert plan[0] == "Limit (actual rows=50 loops=1)"
    nodes = [line for line in plan if line.startswith("->  ")]
    merged = nodes[0] == "->  Merge Append (actual rows=50 loops=1)"
    scans = nodes[1:] if merged else nodes
    assert scans and all(
        line.startswith("->  Index Scan using ") and "_timestamp_id_idx on " in line
        for line in scans
    ), plan
    conditions = [line for line in plan if line.startswith("Index Cond: ")]
    assert len(conditions) == len(scans)
    assert all("ROW(" in line and '"timestamp" <= ' in line for line in conditions), plan
    read = sum(int(line.split("actual rows=")[1].split()[0]) for line in scans)
    assert read <= 50 + len(scans)
    assert not [line for line in plan if line.startswith("->  Sort") or "Seq Scan" in line]


def test_a_deep_log_page_plans_only_the_partitions_it_can_read(make_user):
    # given: a day partition after the cursor's day, holding the newest logs
    from monitoring.partitions import partitions_ensure

    partitions_ensure(start=T0.date(), end=T0.date() + timedelta(days=2))
    for n in range(5):
        MonitoringLogFactory(timestamp=T0 + timedelta(days=1, seconds=n))
    older = MonitoringLogFactory(timestamp=T0 + timedelta(hours=1))
    _, keys = order_keys(MonitoringLog.objects.newest_first())
    page = MonitoringLog.objects.newest_first().filter(after_q(keys, [older.timestamp, older.pk]))

    # when
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then: the next day's partition is not in the plan at all
    next_day = f"monitoring_monitoringlog_p{(T0 + timedelta(days=1)):%Y%m%d}"
    assert f"monitoring_monitoringlog_p{T0:%Y%m%d}" in plan
    assert next_day not in plan


DEEP_LOGS = """
query ($after: String) { logs(first: 50, after: $after) { nodes { id timestamp } } }
"""


def test_a_deep_log_page_asked_through_the_api_reads_the_page_alone(make_user, api_client):
    # given: a cursor deep in 20,000 logs, and a day partition after it holding newer logs
    from monitoring.partitions import partitions_ensure

    partitions_ensure(start=T0.date(), end=T0.date() + timedelta(days=2))
    _insert_logs(20000)
    for n in range(5):
        MonitoringLogFactory(timestamp=T0 + timedelta(days=1, seconds=n))
    _analyze_logs()
    deep = MonitoringLog.objects.newest_first()[15000]
    _, keys = order_keys(MonitoringLog.objects.newest_first())
    client = api_client(make_user("viewer", perms=["monitoring.view_monitoringlog"]))
    client.execute("{ viewer { id } }")  # the key's first use

    # when: the statement the request runs for the page, explained
    with CaptureQueriesContext(connection) as queries:
        result = client.execute(DEEP_LOGS, {"after": cursor_of(deep, keys)})
    plan = _explained(queries.captured_queries[-1]["sql"])

    # then: the right page, read by index range scans starting at the cursor of the partitions
    # at and before it only (a compiled statement wraps the page's rows in SQL of its own:
    # PostgreSQL still plans them as the one query), 51 rows read, none scanned whole, and
    # nothing sorted but the page's 51 rows by their place in it
    nodes = result["data"]["logs"]["nodes"]
    assert nodes[0]["timestamp"] == (deep.timestamp - timedelta(seconds=1)).isoformat()
    assert len(nodes) == 50
    assert len(queries) == 2
    scans = [line for line in plan if "Scan" in line and "monitoringlog" in line]
    assert scans and all(
        line.startswith(("->  Index Scan using ", "->  Index Only Scan using "))
        and "_timestamp_id_idx on " in line
        for line in scans
    ), plan
    read = sum(int(line.split("actual rows=")[1].split()[0]) for line in scans)
    assert read <= 51 + len(scans), plan
    sorted_by = [plan[n + 1] for n, line in enumerate(plan) if line.startswith("->  Sort ")]
    assert all(key.startswith("Sort Key: ") and key.endswith("._n") for key in sorted_by), plan
    assert not [line for line in plan if "Seq Scan" in line], plan
    next_day = f"monitoring_monitoringlog_p{(T0 + timedelta(days=1)):%Y%m%d}"
    assert not [line for line in plan if next_day in line], plan


def test_the_schema_has_one_connection_shape_and_one_page_info():
    from graphql import GraphQLList, GraphQLObjectType, get_named_type

    from config.schema import schema

    types = schema._schema.type_map
    connections = {name: t for name, t in types.items() if name.endswith("Connection")}
    assert [name for name in types if "PageInfo" in name] == ["PageInfo"]
    assert not [name for name in types if "Paginat" in name or "Offset" in name]
    for name, connection_type in connections.items():
        node = name.removesuffix("Connection")
        assert {f: str(t.type) for f, t in connection_type.fields.items()} == {
            "edges": f"[{node}Edge!]!",
            "nodes": f"[{node}!]!",
            "pageInfo": "PageInfo!",
            "totalCount": "Int!",
        }
    # every field answering a connection takes the same page arguments
    for type_ in types.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            named = get_named_type(field.type)
            assert "pagination" not in field.args, f"{type_.name}.{field_name}"
            if type_.name in connections or type_.name.endswith("Edge"):
                continue
            if named.name in connections:
                assert {"first", "after", "last", "before", "offset"} <= set(field.args)
            elif isinstance(named, GraphQLObjectType) and isinstance(
                getattr(field.type, "of_type", field.type), GraphQLList
            ):
                # plain lists are the bounded ones the README names
                assert f"{type_.name}.{field_name}" in BOUNDED_LISTS, f"{type_.name}.{field_name}"


# Lists bounded by design (README, "Lists: one connection shape"); a new list of records must
# be a connection, or be added here with its bound.
BOUNDED_LISTS = {
    "Query.apiKeys",
    "Query.preferences",
    "Query.conceptModules",
    "Query.systemHealth",
    "Query.performanceRecord",
    "Query.atRiskStudents",
    "Student.performance",
    "MonitoringResult.logs",
    # aggregates and values
    "UsageReport.buckets",
    "LearnStats.countByKind",
    "LearnStats.tagFrequency",
    "LearnStats.itemsPerDay",
    "MonitoringStats.countByLevel",
    "MonitoringStats.countBySource",
    "MonitoringStats.topErrorSources",
    "MonitoringStats.errorRate",
    "MonitoringStats.health",
    "DropoutPrediction.topFactors",
    "StudentRisk.topFactors",
    # what one mutation wrote or refused (bounded by its input)
    "InteractionRecordResult.requests",
    "LearnItemsImportResult.items",
    "LearnItemsImportResult.errors",
    "LearningEventsRecordResult.events",
    "LogIngestResult.errors",
    "DropoutRiskComputeResult.results",
    "OperationInfo.messages",
}
