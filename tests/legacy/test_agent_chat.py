from datetime import UTC, datetime

from chat.models import Message, Thread
from config.models import LegacyImportMark

SESSIONS = """
    INSERT INTO legacy.chat_sessions (session_id, agent_type, created_at, updated_at, client_ip)
    VALUES ('neon-test-session', 'inventory_intelligence', '2025-01-02 10:00', '2025-01-02 10:05',
            '10.0.0.1'),
           ('my session 1', 'inventory_intelligence', '2025-01-03 09:00', '2025-01-03 09:01',
            NULL),
           ('user/123/session', NULL, '2025-01-04 08:00', '2025-01-04 08:00', NULL),
           ('thread_ü-ñ', '', '2025-01-05 07:00', '2025-01-05 07:00', NULL),
           ('bad' || chr(9) || 'tab', '', '2025-01-06 07:00', '2025-01-06 07:00', NULL)
"""
MESSAGES = """
    INSERT INTO legacy.chat_messages (session_id, role, content, created_at) VALUES
    ('neon-test-session', 'user', 'How many units?', '2025-01-02 10:00'),
    ('neon-test-session', 'model', 'Forty-two.', '2025-01-02 10:00'),
    ('neon-test-session', 'user', 'Thanks', '2025-01-02 10:05'),
    ('my session 1', 'narrator', 'not a role here', '2025-01-03 09:01'),
    ('bad' || chr(9) || 'tab', 'user', 'orphan', '2025-01-06 07:00')
"""


def test_sessions_and_messages_are_imported_with_ids_times_and_order(
    legacy, import_legacy, make_user
):
    # given
    alice = make_user("alice")
    legacy(SESSIONS)
    legacy(MESSAGES)

    # when
    output = import_legacy("agent-chat", "--owner", "alice")

    # then
    assert sorted(Thread.objects.values_list("id", "owner_id", "agent_type", "updated_at")) == [
        (
            "my session 1",
            alice.pk,
            "inventory_intelligence",
            datetime(2025, 1, 3, 9, 1, tzinfo=UTC),
        ),
        (
            "neon-test-session",
            alice.pk,
            "inventory_intelligence",
            datetime(2025, 1, 2, 10, 5, tzinfo=UTC),
        ),
        ("thread_ü-ñ", alice.pk, "", datetime(2025, 1, 5, 7, 0, tzinfo=UTC)),
        ("user/123/session", alice.pk, "", datetime(2025, 1, 4, 8, 0, tzinfo=UTC)),
    ]
    history = Thread.objects.get(pk="neon-test-session").messages.order_by("created_at", "seq")
    assert [(m.id, m.role, m.content) for m in history] == [
        ("chat_messages:1", "user", "How many units?"),
        ("chat_messages:2", "model", "Forty-two."),
        ("chat_messages:3", "user", "Thanks"),
    ]
    assert output.splitlines() == [
        "agent-chat chat_sessions: read 5, imported 4, already present 0, refused 1",
        "  columns found but not mapped: client_ip",
        "  refused 'bad\\ttab': session_id: 'bad\\ttab' is not an id this service can hold "
        "(1 to 100 printable characters, no surrounding spaces)",
        "agent-chat chat_messages: read 5, imported 3, already present 0, refused 2",
        "  refused 4: role: Value 'narrator' is not a valid choice.",
        "  refused 5: session_id: 'bad\\ttab' is not an id this service can hold "
        "(1 to 100 printable characters, no surrounding spaces)",
    ]


def test_a_second_run_adds_nothing(legacy, import_legacy, make_user):
    # given
    make_user("alice")
    legacy(SESSIONS)
    legacy(MESSAGES)
    import_legacy("agent-chat", "--owner", "alice")

    # when
    output = import_legacy("agent-chat", "--owner", "alice")

    # then
    assert Thread.objects.count() == 4
    assert Message.objects.count() == 3
    assert output.splitlines()[0] == (
        "agent-chat chat_sessions: read 5, imported 0, already present 4, refused 1"
    )
    assert output.splitlines()[3] == (
        "agent-chat chat_messages: read 5, imported 0, already present 3, refused 2"
    )


def test_an_incremental_run_picks_up_exactly_the_new_rows(legacy, import_legacy, make_user):
    # given
    make_user("alice")
    legacy(SESSIONS)
    legacy(MESSAGES)
    import_legacy("agent-chat", "--owner", "alice")
    legacy(
        "INSERT INTO legacy.chat_messages (session_id, role, content, created_at) "
        "VALUES ('user/123/session', 'user', 'later', '2025-02-01 12:00')"
    )

    # when
    import_legacy("agent-chat", "--owner", "alice")

    # then
    thread = Thread.objects.get(pk="user/123/session")
    assert list(thread.messages.values_list("id", "content")) == [("chat_messages:6", "later")]
    assert thread.updated_at == datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
    assert Message.objects.count() == 4


def test_a_run_killed_half_way_completes_when_run_again(legacy, import_legacy, make_user):
    # given: a run that committed its first batch of messages, then died
    make_user("alice")
    legacy(SESSIONS)
    legacy(MESSAGES)
    import_legacy("agent-chat", "--owner", "alice", "--batch-size", "2")
    Message.objects.filter(id__in=["chat_messages:2", "chat_messages:3"]).delete()
    LegacyImportMark.objects.filter(table="chat_messages").update(last_key=1, completed_at=None)

    # when
    output = import_legacy("agent-chat", "--owner", "alice", "--batch-size", "2")

    # then
    assert sorted(Message.objects.values_list("id", flat=True)) == [
        "chat_messages:1",
        "chat_messages:2",
        "chat_messages:3",
    ]
    assert output.splitlines()[3] == (
        "agent-chat chat_messages: read 4, imported 2, already present 0, refused 2"
    )


def test_ownerless_sessions_need_an_owner(legacy, import_legacy):
    # given
    legacy(SESSIONS)

    # when
    output = import_legacy("agent-chat")

    # then
    assert output.splitlines()[0] == (
        "agent-chat chat_sessions: its rows have no owner: give --owner USER; nothing imported"
    )
    assert Thread.objects.count() == 0


def test_a_missing_required_column_is_refused_clearly(legacy, import_legacy, make_user):
    # given
    make_user("alice")
    legacy("ALTER TABLE legacy.chat_messages DROP COLUMN role")
    legacy(SESSIONS)

    # when
    output = import_legacy("agent-chat", "--owner", "alice", "--dry-run")

    # then
    assert output.splitlines() == [
        "dry run: nothing was written",
        "agent-chat chat_sessions: read 5, imported 4, already present 0, refused 1",
        "  columns found but not mapped: client_ip",
        "  refused 'bad\\ttab': session_id: 'bad\\ttab' is not an id this service can hold "
        "(1 to 100 printable characters, no surrounding spaces)",
        "agent-chat chat_messages: required column(s) missing: role; nothing imported",
    ]
    assert Thread.objects.count() == 0
