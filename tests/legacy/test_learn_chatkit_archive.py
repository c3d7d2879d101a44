from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection

from chat.models import Message, Thread
from chat.services import thread_create
from learn.models import LearnItem

ITEMS = """
    INSERT INTO legacy.aicmo_learn_items (kind, filename, size_bytes, notes, tags, created_at)
    VALUES ('good', 'email_copy_example.md', 1280, 'Effective subject line',
            '["email", "conversion", "copywriting"]', '2025-11-22T05:26:30Z'),
           ('bad', 'spam_antipattern.md', 512, 'Avoid this', '["mistake", "email"]',
            '2025-11-22T05:25:00Z'),
           ('good', NULL, NULL, NULL, NULL, '2025-11-21T00:00:00Z'),
           ('meh', 'x.md', 1, NULL, '[]', '2025-11-20T00:00:00Z'),
           ('good', 'huge.md', 3000000000, NULL, '[]', '2025-11-20T00:00:00Z'),
           ('good', 'far.md', 1, NULL, '[]', 'infinity')
"""
THREADS = """
    INSERT INTO legacy.threads (id, created_at, metadata) VALUES
    ('thread_abc123def456', '2025-03-01 10:00', '{"mode": "full_book"}'),
    ('thread_ü-ñ', '2025-03-02 10:00', NULL),
    ('thread_list', '2025-03-03 10:00', '[1, 2]');
    INSERT INTO legacy.thread_items (id, thread_id, type, role, content, created_at) VALUES
    ('msg_1', 'thread_abc123def456', 'message', 'user', 'Summarise chapter 1',
     '2025-03-01 10:00'),
    ('msg_2', 'thread_abc123def456', 'message', 'assistant', 'Chapter 1 is…',
     '2025-03-01 10:01'),
    ('msg_3', 'thread_ü-ñ', 'message', NULL, 'no role', '2025-03-02 10:00')
"""


def query(statement: str):
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall()


def test_learn_items_keep_their_times_and_tags_and_refusals_are_reported(legacy, import_legacy):
    # given
    legacy(ITEMS)

    # when
    first = import_legacy("learn")
    second = import_legacy("learn")

    # then
    items = LearnItem.objects.order_by("-created_at")
    assert list(items.values_list("filename", "tags", "created_at")) == [
        (
            "email_copy_example.md",
            ["email", "conversion", "copywriting"],
            datetime(2025, 11, 22, 5, 26, 30, tzinfo=UTC),
        ),
        ("spam_antipattern.md", ["mistake", "email"], datetime(2025, 11, 22, 5, 25, tzinfo=UTC)),
        (None, [], datetime(2025, 11, 21, tzinfo=UTC)),
    ]
    assert first.splitlines()[0] == (
        "learn aicmo_learn_items: read 6, imported 3, already present 0, refused 3"
    )
    assert [line.split(":")[0] for line in first.splitlines()[1:]] == [
        "  refused 4",
        "  refused 5",
        "  refused 6",
    ]
    assert "out of range" in first.splitlines()[3]
    assert second.splitlines()[0] == (
        "learn aicmo_learn_items: read 6, imported 0, already present 3, refused 3"
    )


def test_chatkit_threads_and_items_are_imported(legacy, import_legacy, make_user):
    # given
    alice = make_user("alice")
    legacy(THREADS)

    # when
    output = import_legacy("chatkit", "--owner", "alice")

    # then
    assert sorted(Thread.objects.values_list("id", "owner_id", "metadata", "updated_at")) == [
        (
            "thread_abc123def456",
            alice.pk,
            {"mode": "full_book"},
            datetime(2025, 3, 1, 10, 1, tzinfo=UTC),
        ),
        ("thread_ü-ñ", alice.pk, {}, datetime(2025, 3, 2, 10, 0, tzinfo=UTC)),
    ]
    assert list(Message.objects.order_by("seq").values_list("id", "role", "content")) == [
        ("msg_1", "user", "Summarise chapter 1"),
        ("msg_2", "assistant", "Chapter 1 is…"),
    ]
    assert output.splitlines() == [
        "chatkit threads: read 3, imported 2, already present 0, refused 1",
        "  refused 'thread_list': metadata: must be a JSON object, got list",
        "chatkit thread_items: read 3, imported 2, already present 0, refused 1",
        "  refused 'msg_3': role: is required",
    ]


def test_archived_tables_answer_the_saved_sql_equal_to_graphql_and_unarchive_restores(
    legacy, import_legacy, make_user, api_client
):
    # given
    legacy(ITEMS)
    legacy(THREADS)
    make_user("alice")
    import_legacy("learn")
    import_legacy("chatkit", "--owner", "alice")
    reader = api_client(make_user("reader", perms=["learn.view_learnitem"]))

    # when
    output = import_legacy("all", "--archive")

    # then
    assert output.splitlines() == [
        "agent-chat: archived chat_sessions, chat_messages",
        "chatkit: archived threads, thread_items",
        "llm-cli: archived users, sessions, messages, api_keys, user_preferences, "
        "context_snapshots, llm_requests, llm_responses, usage_daily",
        "learn: archived aicmo_learn_items",
        "veritas-monitoring: archived monitoring_logs, monitoring_results, system_health",
        "veritas-dashboard: archived concept_modules, students, drafts, assessment_logs, "
        "action_logs, performance_records",
        "veritas-dropout: archived dropout_students, dropout_learning_events, "
        "dropout_assessments, dropout_attempt_history, dropout_feature_sets, "
        "dropout_predictions",
    ]
    good = reader.execute("{ learnItems(filters: {kind: GOOD}) { totalCount } }")
    email = reader.execute('{ learnItems(filters: {tagsAll: ["email"]}) { totalCount } }')
    assert (
        query("SELECT COUNT(*) FROM legacy_src.aicmo_learn_items WHERE kind = 'good'")
        == [(good["data"]["learnItems"]["totalCount"],)]
        == [(2,)]
    )
    assert (
        query("SELECT COUNT(*) FROM legacy_src.aicmo_learn_items WHERE tags @> '[\"email\"]'")
        == [(email["data"]["learnItems"]["totalCount"],)]
        == [(2,)]
    )
    assert query("SELECT id FROM legacy_src.threads ORDER BY id") == [
        ("thread_abc123def456",),
        ("thread_ü-ñ",),
    ]
    assert query("SELECT count(*) FROM legacy_archive.aicmo_learn_items") == [(6,)]
    with pytest.raises(DatabaseError, match="read-only view"):
        query("DELETE FROM legacy_src.aicmo_learn_items")

    # when
    restored = import_legacy("all", "--unarchive")

    # then
    assert restored.splitlines()[3] == "learn: restored aicmo_learn_items"
    assert query("SELECT count(*) FROM legacy_src.aicmo_learn_items") == [(6,)]
    assert query("SELECT count(*) FROM pg_tables WHERE schemaname = 'legacy_archive'") == [(0,)]


def test_each_system_s_archived_threads_are_its_own_imported_and_since_created_ones(
    legacy, import_legacy, make_user, api_client
):
    # given: agent chat and ChatKit both imported into the threads table, each with its owner
    legacy(THREADS)
    legacy(
        "INSERT INTO legacy.chat_sessions (session_id, agent_type, created_at, updated_at) "
        "VALUES ('neon-test-session', 'inventory_intelligence', '2025-01-02 10:00', "
        "'2025-01-02 10:05')"
    )
    agent, kit, other = make_user("agent"), make_user("kit"), make_user("someone")
    import_legacy("agent-chat", "--owner", "agent")
    import_legacy("chatkit", "--owner", "kit")
    import_legacy("agent-chat", "--archive")
    import_legacy("chatkit", "--archive")
    # after the cut-over the ChatKit server writes through the API, as its user
    kit_client = api_client(kit)
    created = kit_client.execute(
        'mutation { threadCreate(input: {id: "thread_new"}) { ... on Thread { id } } }'
    )
    thread_create(owner=other, id="someone-else")
    thread_create(owner=agent, id="agent-new")

    # when
    sessions = query("SELECT session_id FROM legacy_src.chat_sessions ORDER BY session_id")
    threads = query("SELECT id FROM legacy_src.threads ORDER BY id")
    items = query("SELECT id FROM legacy_src.thread_items ORDER BY id")
    listed = kit_client.execute("{ threads(ordering: [{id: ASC}]) { nodes { id } } }")

    # then
    assert created == {"data": {"threadCreate": {"id": "thread_new"}}}
    assert sessions == [("agent-new",), ("neon-test-session",)]
    assert threads == [("thread_abc123def456",), ("thread_new",), ("thread_ü-ñ",)]
    assert threads == [(t["id"],) for t in listed["data"]["threads"]["nodes"]]
    assert items == [("msg_1",), ("msg_2",)]
