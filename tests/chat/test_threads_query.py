import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Message, Thread
from chat.selectors import message_search_q, thread_list
from tests.chat.factories import MessageFactory, ThreadFactory
from tests.chat.graphql import THREAD, THREADS, thread_ids
from tests.statements import compiled, statements


@pytest.fixture
def threads(alice):
    rows = [
        ("t1", "inventory", {"mode": "full_book", "lang": "en"}, "Restock the warehouse today"),
        ("t2", "support", {"mode": "selected_text"}, "My invoice is wrong"),
        ("t3", "inventory", {"mode": "full_book"}, "Warehouse counts look wrong"),
    ]
    for day, (thread_id, agent, metadata, content) in enumerate(rows, start=1):
        when = datetime(2026, 11, day, 12, tzinfo=UTC)
        thread = ThreadFactory(
            id=thread_id,
            owner=alice,
            agent_type=agent,
            metadata=metadata,
            title=f"title {4 - day}",
            created_at=when,
            updated_at=when,
        )
        MessageFactory(thread=thread, content=content)


def test_default_order_is_most_recently_active_first(threads, alice_client):
    assert thread_ids(alice_client) == (3, ["t3", "t2", "t1"])


def test_filter_by_agent_type(threads, alice_client):
    assert thread_ids(alice_client, {"agentType": "inventory"}) == (2, ["t3", "t1"])


def test_filter_by_metadata_contains(threads, alice_client):
    assert thread_ids(alice_client, {"metadataContains": {"mode": "full_book"}}) == (
        2,
        ["t3", "t1"],
    )
    assert thread_ids(alice_client, {"metadataContains": {"mode": "full_book", "lang": "en"}}) == (
        1,
        ["t1"],
    )


def test_full_text_search_over_message_content(threads, alice_client):
    assert thread_ids(alice_client, {"search": "warehouse"}) == (2, ["t3", "t1"])
    assert thread_ids(alice_client, {"search": "wrong -invoice"}) == (1, ["t3"])
    assert thread_ids(alice_client, {"search": '"counts look"'}) == (1, ["t3"])
    assert thread_ids(alice_client, {"search": "nothing-like-this"}) == (0, [])


@pytest.mark.parametrize("text", ["", "   ", "&|!():*", "'\"", "a & b"])
def test_search_with_odd_input_is_no_error(threads, alice_client, text):
    total, _ = thread_ids(alice_client, {"search": text})
    assert total >= 0


def test_created_and_updated_ranges(threads, alice_client):
    assert thread_ids(
        alice_client,
        {"createdFrom": "2026-11-02T12:00:00Z", "createdBefore": "2026-11-03T12:00:00Z"},
    ) == (1, ["t2"])
    assert thread_ids(alice_client, {"updatedFrom": "2026-11-02T00:00:00"}) == (2, ["t3", "t2"])
    assert thread_ids(alice_client, {"updatedBefore": "2026-11-02T00:00:00Z"}) == (1, ["t1"])


def test_ordering_and_pagination(threads, alice_client):
    assert thread_ids(alice_client, ordering=[{"title": "ASC"}]) == (3, ["t3", "t2", "t1"])
    assert thread_ids(alice_client, ordering=[{"createdAt": "ASC"}], limit=2) == (3, ["t1", "t2"])


def test_messages_first_and_last(alice, alice_client):
    # given
    thread = ThreadFactory(id="long", owner=alice)
    for n in range(6):
        MessageFactory(thread=thread, id=f"m{n}")

    # when
    def ids(**window):
        result = alice_client.execute(THREAD, {"id": "long", **window})
        return [m["id"] for m in result["data"]["thread"]["messages"]["nodes"]]

    # then
    assert ids() == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert ids(first=2) == ["m0", "m1"]
    assert ids(last=2) == ["m4", "m5"]
    assert ids(last=0) == []


def test_messages_with_equal_times_keep_insertion_order(alice, alice_client):
    # given
    thread = ThreadFactory(id="same-time", owner=alice)
    when = datetime(2026, 11, 1, tzinfo=UTC)
    for message_id in ["z", "a", "m"]:
        MessageFactory(thread=thread, id=message_id, created_at=when)

    # when
    result = alice_client.execute(THREAD, {"id": "same-time", "last": 3})

    # then
    assert [m["id"] for m in result["data"]["thread"]["messages"]["nodes"]] == ["z", "a", "m"]


def test_first_and_last_together_are_refused(alice, alice_client):
    # given
    ThreadFactory(id="t", owner=alice)

    # when
    result = alice_client.execute(THREAD, {"id": "t", "first": 1, "last": 1})

    # then
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (
            "last: Pass `first` (with `after`) or `last` (with `before`), not both.",
            "VALIDATION_ERROR",
        )
    ]


def test_more_than_100_messages_at_once_is_refused(alice_client):
    result = alice_client.execute(THREAD, {"id": "t", "last": 101})
    assert [e["message"] for e in result["errors"]] == [
        "Page size too large: 'last' is 101, the maximum is 100."
    ]


LIST = """
query ($last: Int) { threads(first: 100) {
    totalCount
    nodes { id title owner { username } messages(last: $last) { nodes { id role content createdAt } } }
} }
"""


@pytest.mark.parametrize(("threads", "messages"), [(1, 1), (10, 5), (40, 30)])
def test_threads_with_last_messages_take_constant_queries(
    threads, messages, alice, alice_client, django_assert_num_queries
):
    # given
    for n in range(threads):
        thread = ThreadFactory(owner=alice)
        Message.objects.bulk_create(
            [
                Message(id=f"m{n}_{m}", thread=thread, role="user", content=f"t{n} m{m}")
                for m in range(messages)
            ]
        )

    # when: API key lookup and its last-used stamp (2), then compiled: one statement; on the
    # standard path: the count (1), the page of threads joined with their owners (1), the last
    # 20 messages of every thread of the page (1)
    with django_assert_num_queries(statements(standard=5, compiled=3)) as captured:
        result = alice_client.execute(LIST, {"last": 20})

    # then
    data = result["data"]["threads"]
    assert data["totalCount"] == threads
    assert [len(t["messages"]["nodes"]) for t in data["nodes"]] == [min(messages, 20)] * threads
    oldest = data["nodes"][-1]["messages"]["nodes"]
    assert [m["content"] for m in oldest] == [
        f"t0 m{m}" for m in range(max(messages - 20, 0), messages)
    ]
    # standard path, several threads: one LATERAL statement for all; one thread: its own
    # index range scan
    if not compiled():
        assert ("CROSS JOIN LATERAL" in captured.captured_queries[-1]["sql"]) == (threads > 1)


def test_one_thread_with_messages_takes_one_query_for_the_messages(
    alice, alice_client, django_assert_num_queries
):
    # given
    thread = ThreadFactory(id="one", owner=alice)
    MessageFactory.create_batch(3, thread=thread)

    # when: API key (2), the thread with its messages (1 compiled; 2 on the standard path)
    with django_assert_num_queries(statements(standard=4, compiled=3)):
        result = alice_client.execute(THREAD, {"id": "one", "last": 2})

    # then
    assert len(result["data"]["thread"]["messages"]["nodes"]) == 2


def explain(queryset_or_sql, params=None) -> str:
    if not isinstance(queryset_or_sql, str):
        queryset_or_sql, params = queryset_or_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {queryset_or_sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_nodes(queryset) -> list[dict]:
    """Every node of the queryset's plan (EXPLAIN FORMAT JSON), with the kind of subplan
    (InitPlan, SubPlan) it sits under, if any."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    nodes = []

    def walk(node: dict, under: str | None) -> None:
        relationship = node.get("Parent Relationship")
        under = relationship if relationship in ("InitPlan", "SubPlan") else under
        nodes.append({**node, "under": under})
        for child in node.get("Plans", []):
            walk(child, under)

    walk(plan, None)
    return nodes


@pytest.fixture
def big_thread_without_the_word(alice):
    # given: 50 threads of 20 messages with "common" and one of 5,000 without it, analyzed
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, "
            "updated_at) SELECT 't' || g, %s, '', '', '{}', now(), now() - g * interval '1 s' "
            "FROM generate_series(0, 50) g",
            [alice.pk],
        )
        cursor.execute(
            "INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at) "
            "SELECT 'm' || t || '_' || m, 't' || t, 'message', 'user', 'common words ' || m, "
            "'{}'::jsonb, now() FROM generate_series(1, 50) t, generate_series(1, 20) m "
            "UNION ALL SELECT 'big_' || m, 't0', 'message', 'user', 'other text ' || m, '{}', "
            "now() FROM generate_series(1, 5000) m"
        )
        cursor.execute("ANALYZE chat_thread")
        cursor.execute("ANALYZE chat_message")


@pytest.mark.parametrize("text", ["common", '"common words"', "common -other", "other or common"])
def test_search_reads_messages_only_through_the_full_text_index_once(
    alice, big_thread_without_the_word, text
):
    # given: a plan without sequential scans, so that the table size does not decide
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    listed = thread_list(user=alice).filter(message_search_q(text))

    for queryset in (listed[:100], listed.order_by()):  # the page and the count's filter
        # when
        nodes = plan_nodes(queryset)

        # then: messages are read by the full-text index on the stored words, in a subplan
        # that runs once (InitPlan), never per thread (SubPlan, or a join to the threads)
        messages = [n for n in nodes if n.get("Relation Name") == "chat_message"]
        indexes = {n.get("Index Name", "") for n in nodes} - {""}
        assert {name for name in indexes if name.startswith("chat_message")} == {
            "chat_message_search"
        }
        assert [(n["Node Type"], n["under"]) for n in messages] == [
            ("Bitmap Heap Scan", "InitPlan")
        ]
        assert "to_tsvector" not in json.dumps(nodes)


def test_metadata_filter_is_served_by_the_gin_index(threads):
    plan = explain(Thread.objects.filter(metadata__contains={"mode": "full_book"}).order_by())
    assert "chat_thread_meta" in plan


def test_last_messages_are_read_by_a_backward_index_scan(alice, alice_client):
    # given: 50 threads of 200 messages, with statistics
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_thread (id, owner_id, agent_type, title, metadata, created_at, "
            "updated_at) SELECT 't' || g, %s, '', '', '{}', now(), now() "
            "FROM generate_series(1, 50) g",
            [alice.pk],
        )
        cursor.execute(
            "INSERT INTO chat_message (id, thread_id, type, role, content, metadata, created_at) "
            "SELECT 'm' || t || '_' || m, 't' || t, 'message', 'user', 'x', '{}', now() "
            "FROM generate_series(1, 50) t, generate_series(1, 200) m"
        )
        cursor.execute("ANALYZE chat_message")

    # when: the statement the API runs for `messages(last: 20)` of 10 threads
    with CaptureQueriesContext(connection) as captured:
        result = alice_client.execute(
            "{ threads(first: 10, ordering: [{id: ASC}]) { nodes { "
            "messages(last: 20) { nodes { id } } } } }"
        )
    assert [len(t["messages"]["nodes"]) for t in result["data"]["threads"]["nodes"]] == [20] * 10
    statement = captured.captured_queries[-1]["sql"]  # the messages (with the threads, compiled)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then: 10 index scans that each stop after 21 rows (the page and one more), not 2,000
    assert "Index Scan Backward using chat_message_thread_order" in plan
    assert "(actual rows=21 loops=10)" in plan


def test_aliased_windows_with_different_arguments_are_each_right(alice, alice_client):
    # given
    for n in range(3):
        thread = ThreadFactory(id=f"t{n}", owner=alice)
        for m in range(4):
            MessageFactory(thread=thread, id=f"t{n}m{m}")

    # when
    result = alice_client.execute(
        "{ threads(ordering: [{id: ASC}]) { nodes { id "
        "oldest: messages(first: 1) { nodes { id } } "
        "newest: messages(last: 2) { nodes { id } } } } }"
    )

    # then
    assert result["data"]["threads"]["nodes"] == [
        {
            "id": f"t{n}",
            "oldest": {"nodes": [{"id": f"t{n}m0"}]},
            "newest": {"nodes": [{"id": f"t{n}m2"}, {"id": f"t{n}m3"}]},
        }
        for n in range(3)
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('"a -b ' * 40, "At most 200 characters (got 240)."),
        ("a " * 11, "At most 10 terms (got 11)."),
        ('"a -b ' * 3 + "c d e f g", "At most 10 terms (got 11)."),
    ],
)
def test_search_longer_than_a_search_needs_is_refused_naming_it(
    threads, alice_client, text, problem
):
    # when
    result = alice_client.execute(THREADS, {"filters": {"search": text}, "ordering": []})

    # then
    assert result["data"] is None
    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        (
            f"search: {problem}",
            {"code": "VALIDATION_ERROR", "fields": {"search": [problem]}, "field": "search"},
        )
    ]


def test_thread_delete_answers_with_the_messages_as_they_were(alice, alice_client):
    # given
    thread = ThreadFactory(id="gone", owner=alice)
    for n in range(3):
        MessageFactory(thread=thread, id=f"g{n}", content=f"c{n}")

    # when: two aliases with different pages, through a named fragment
    result = alice_client.execute(
        'mutation { threadDelete(id: "gone") { ...Deleted '
        "... on OperationInfo { messages { code } } } } "
        "fragment Deleted on Thread { id history: messages(last: 2) { totalCount nodes { id } } "
        "first: messages(first: 1) { nodes { content } } }"
    )

    # then
    assert result == {
        "data": {
            "threadDelete": {
                "id": "gone",
                "history": {"totalCount": 3, "nodes": [{"id": "g1"}, {"id": "g2"}]},
                "first": {"nodes": [{"content": "c0"}]},
            }
        }
    }
    assert not Thread.objects.filter(pk="gone").exists()
    assert not Message.objects.filter(thread_id="gone").exists()
