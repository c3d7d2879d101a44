from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from chat.models import (
    ApiKey,
    ContextSnapshot,
    LLMRequest,
    LLMResponse,
    Message,
    Thread,
    UsageDaily,
    UserPreference,
)

ADA = "00000000-0000-0000-0000-00000000000a"
ADA_CASE = "00000000-0000-0000-0000-00000000000b"
NOT_EMAIL = "00000000-0000-0000-0000-00000000000c"
S1 = "10000000-0000-0000-0000-000000000001"
S2 = "10000000-0000-0000-0000-000000000002"

ROWS = f"""
    INSERT INTO legacy.users (id, email, display_name, created_at) VALUES
        ('{ADA}', 'ada@example.com', 'Ada', '2025-01-02 03:04:05+00'),
        ('{ADA_CASE}', 'Ada@Example.com', 'Ada again', '2025-01-03 00:00:00+00'),
        ('{NOT_EMAIL}', 'not an email', NULL, '2025-01-04 00:00:00+00');
    INSERT INTO legacy.sessions (id, user_id, title, created_at, updated_at) VALUES
        ('{S1}', '{ADA}', 'Python', '2025-03-01 10:00:00+00', '2025-03-01 10:05:00+00'),
        ('{S2}', '{ADA_CASE}', NULL, '2025-03-02 10:00:00+00', '2025-03-02 10:00:00+00');
    INSERT INTO legacy.messages (session_id, role, content, created_at) VALUES
        ('{S1}', 'user', 'What is Python?', '2025-03-01 10:00:00+00'),
        ('{S1}', 'assistant', 'A language.', '2025-03-01 10:00:00+00'),
        ('{S2}', 'user', 'orphan', '2025-03-02 10:00:00+00'),
        ('{S1}', 'robot', 'beep', '2025-03-01 10:01:00+00');
"""


def line(output, table):
    """The report line of one legacy table."""
    return next(x for x in output.splitlines() if x.startswith(f"llm-cli {table}:"))


def section(output, table):
    """The report line of one legacy table and the lines under it."""
    lines = output.splitlines()
    start = lines.index(line(output, table))
    end = next(
        (n for n in range(start + 1, len(lines)) if not lines[n].startswith(" ")), len(lines)
    )
    return lines[start:end]


def at(month, day, hour, minute=0, second=0):
    return datetime(2025, month, day, hour, minute, second, tzinfo=UTC)


def test_users_by_email_sessions_and_messages_keep_ids_times_and_order(legacy, import_legacy):
    # given
    legacy(ROWS)

    # when
    first = import_legacy("llm-cli")
    second = import_legacy("llm-cli")

    # then
    ada = get_user_model().objects.get(email="ada@example.com")
    assert (ada.username, ada.date_joined, ada.has_usable_password()) == (
        "ada@example.com",
        at(1, 2, 3, 4, 5),
        False,
    )
    assert list(Thread.objects.values_list("id", "owner_id", "created_at", "updated_at")) == [
        (S1, ada.pk, at(3, 1, 10), at(3, 1, 10, 5))
    ]
    assert list(
        Message.objects.order_by("seq").values_list(
            "id", "thread_id", "role", "content", "created_at"
        )
    ) == [
        ("messages:1", S1, "user", "What is Python?", at(3, 1, 10)),
        ("messages:2", S1, "assistant", "A language.", at(3, 1, 10)),
    ]
    assert first.splitlines() == [
        "llm-cli users: read 3, imported 1, already present 0, refused 2",
        "  columns found but not mapped: display_name",
        "  refused UUID('00000000-0000-0000-0000-00000000000c'): email: 'not an email' is not "
        "an email address",
        "  refused UUID('00000000-0000-0000-0000-00000000000b'): email: 'Ada@Example.com' "
        "duplicates 'ada@example.com' differing in case",
        "llm-cli sessions: read 2, imported 1, already present 0, refused 1",
        "  columns found but not mapped: title",
        "  refused UUID('10000000-0000-0000-0000-000000000002'): user_id: its user "
        "UUID('00000000-0000-0000-0000-00000000000b') was not imported",
        "llm-cli messages: read 4, imported 2, already present 0, refused 2",
        "  refused 4: role: Value 'robot' is not a valid choice.",
        "  refused 3: its thread '10000000-0000-0000-0000-000000000002' was not imported",
        "llm-cli usage_daily: read 0, imported 0, already present 0, refused 0",
        "llm-cli api_keys: read 0, imported 0, already present 0, refused 0",
        "  columns found but not mapped: is_active",
        "llm-cli user_preferences: read 0, imported 0, already present 0, refused 0",
        "llm-cli context_snapshots: read 0, imported 0, already present 0, refused 0",
        "llm-cli llm_requests: read 0, imported 0, already present 0, refused 0",
        "llm-cli llm_responses: read 0, imported 0, already present 0, refused 0",
    ]
    assert [line for line in second.splitlines() if not line.startswith(" ")] == [
        "llm-cli users: read 3, imported 0, already present 1, refused 2",
        "llm-cli sessions: read 2, imported 0, already present 1, refused 1",
        "llm-cli messages: read 4, imported 0, already present 2, refused 2",
        "llm-cli usage_daily: read 0, imported 0, already present 0, refused 0",
        "llm-cli api_keys: read 0, imported 0, already present 0, refused 0",
        "llm-cli user_preferences: read 0, imported 0, already present 0, refused 0",
        "llm-cli context_snapshots: read 0, imported 0, already present 0, refused 0",
        "llm-cli llm_requests: read 0, imported 0, already present 0, refused 0",
        "llm-cli llm_responses: read 0, imported 0, already present 0, refused 0",
    ]


def test_a_later_run_picks_up_only_new_messages_and_the_views_answer_the_saved_sql(
    legacy, import_legacy
):
    # given
    legacy(ROWS)
    import_legacy("llm-cli")
    legacy(
        f"INSERT INTO legacy.messages (session_id, role, content, created_at) "
        f"VALUES ('{S1}', 'user', 'And Rust?', '2025-03-01 10:06:00+00')"
    )

    # when
    again = import_legacy("llm-cli")
    import_legacy("llm-cli", "--archive")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT role, substring(content, 1, 50), created_at FROM legacy_src.messages "
            "ORDER BY created_at DESC, id DESC LIMIT 5"
        )
        latest = cursor.fetchall()
    import_legacy("llm-cli", "--unarchive")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM legacy_src.messages")
        restored = cursor.fetchone()

    # then
    assert line(again, "messages") == (
        "llm-cli messages: read 5, imported 1, already present 2, refused 2"
    )
    assert latest == [
        ("user", "And Rust?", at(3, 1, 10, 6)),
        ("assistant", "A language.", at(3, 1, 10)),
        ("user", "What is Python?", at(3, 1, 10)),
    ]
    assert Thread.objects.get(pk=S1).updated_at == at(3, 1, 10, 6)
    assert restored == (5,)


def test_daily_usage_is_imported_raised_while_legacy_still_counts_and_answers_the_saved_sql(
    legacy, import_legacy
):
    # given
    legacy(ROWS)
    legacy(
        f"INSERT INTO legacy.usage_daily (user_id, usage_date, request_count, input_tokens, "
        f"output_tokens, cost_usd) VALUES "
        f"('{ADA}', '2025-03-01', 2, 100, 40, 0.012500), "
        f"('{ADA}', CURRENT_DATE, 1, 10, 5, 0.001000), "
        f"('{ADA_CASE}', '2025-03-02', 1, 1, 1, 0), "
        f"('{NOT_EMAIL}', '1899-12-31', 1, 1, 1, 0)"
    )
    first = import_legacy("llm-cli")
    legacy(
        "UPDATE legacy.usage_daily SET request_count = 3, input_tokens = 30, "
        "output_tokens = 15, cost_usd = 0.003 WHERE usage_date = CURRENT_DATE"
    )

    # when
    again = import_legacy("llm-cli")
    import_legacy("llm-cli", "--archive")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requests, tokens_in, tokens_out, cost FROM legacy_src.usage_daily "
            "WHERE usage_date = CURRENT_DATE"
        )
        today = cursor.fetchall()
    import_legacy("llm-cli", "--unarchive")

    # then
    ada = get_user_model().objects.get(email="ada@example.com")
    assert list(
        UsageDaily.objects.order_by("day").values_list(
            "user_id", "day", "requests", "tokens_in", "tokens_out", "cost"
        )
    ) == [
        (ada.pk, date(2025, 3, 1), 2, 100, 40, Decimal("0.012500")),
        (ada.pk, timezone.now().date(), 3, 30, 15, Decimal("0.003000")),
    ]
    assert section(first, "usage_daily") == [
        "llm-cli usage_daily: read 4, imported 2, already present 0, refused 2",
        "  refused 3: user_id: its user UUID('00000000-0000-0000-0000-00000000000b') was not "
        "imported",
        "  refused 4: usage_date: 1899-12-31 is out of range (times must be from "
        "1900-01-01T00:00:00Z up to, not including, 3000-01-01T00:00:00Z)",
    ]
    assert line(again, "usage_daily") == (
        "llm-cli usage_daily: read 4, imported 1, already present 1, refused 2"
    )
    assert today == [(3, 30, 15, Decimal("0.003000"))]


def test_api_keys_are_imported_revoked_and_do_not_authenticate(legacy, import_legacy, client):
    # given
    legacy(ROWS)
    legacy(
        f"INSERT INTO legacy.api_keys (user_id, key_hash, name, created_at, last_used_at) VALUES "
        f"('{ADA}', 'a3f1', 'laptop', '2025-02-01 00:00:00+00', '2025-02-03 00:00:00+00'), "
        f"('{ADA_CASE}', 'b4e2', 'desk', '2025-02-02 00:00:00+00', NULL)"
    )

    # when
    first = import_legacy("llm-cli")
    second = import_legacy("llm-cli")

    # then
    key = ApiKey.objects.get()
    assert (key.user.email, key.name, key.created_at, key.last_used_at, key.is_revoked) == (
        "ada@example.com",
        "laptop",
        at(2, 1, 0),
        at(2, 3, 0),
        True,
    )
    assert not ApiKey.objects.usable().exists()
    assert section(first, "api_keys") == [
        "llm-cli api_keys: read 2, imported 1, already present 0, refused 1",
        "  columns found but not mapped: is_active",
        "  refused 2: user_id: its user UUID('00000000-0000-0000-0000-00000000000b') was not "
        "imported",
    ]
    assert line(second, "api_keys") == (
        "llm-cli api_keys: read 2, imported 0, already present 1, refused 1"
    )


def test_preferences_and_context_snapshots_are_imported_and_the_newer_preference_wins(
    legacy, import_legacy
):
    # given
    legacy(ROWS)
    legacy(
        f"INSERT INTO legacy.user_preferences (user_id, key, value, updated_at) VALUES "
        f"('{ADA}', 'research_mode', 'true', '2025-03-01 00:00:00+00'), "
        f"('{ADA}', 'bad key!', '1', '2025-03-01 00:00:00+00');"
        f"INSERT INTO legacy.context_snapshots (session_id, context, created_at) VALUES "
        f"('{S1}', '{{\"history\": [\"What is Python?\"]}}', '2025-03-01 10:01:00+00'), "
        f"('{S2}', '{{}}', '2025-03-02 10:01:00+00')"
    )
    first = import_legacy("llm-cli")
    legacy(
        "UPDATE legacy.user_preferences SET value = 'false', updated_at = "
        "'2025-03-05 00:00:00+00' WHERE key = 'research_mode'"
    )

    # when
    again = import_legacy("llm-cli")

    # then
    ada = get_user_model().objects.get(email="ada@example.com")
    assert list(UserPreference.objects.values_list("user_id", "key", "value", "updated_at")) == [
        (ada.pk, "research_mode", False, at(3, 5, 0))
    ]
    assert list(
        ContextSnapshot.objects.values_list("user_id", "thread_id", "client_id", "context")
    ) == [(ada.pk, S1, "context_snapshots:1", {"history": ["What is Python?"]})]
    assert line(first, "user_preferences") == (
        "llm-cli user_preferences: read 2, imported 1, already present 0, refused 1"
    )
    assert line(first, "context_snapshots") == (
        "llm-cli context_snapshots: read 2, imported 1, already present 0, refused 1"
    )
    assert line(again, "user_preferences") == (
        "llm-cli user_preferences: read 2, imported 1, already present 0, refused 1"
    )
    assert line(again, "context_snapshots") == (
        "llm-cli context_snapshots: read 2, imported 0, already present 1, refused 1"
    )


def test_llm_requests_and_responses_keep_ids_links_and_answer_the_saved_sql(legacy, import_legacy):
    # given
    legacy(ROWS)
    legacy(
        f"INSERT INTO legacy.llm_requests (user_id, session_id, message_id, provider, model, "
        f"route_mode, prompt_sha256, created_at) VALUES "
        f"('{ADA}', '{S1}', 1, 'openai', 'gpt-4o-mini', 'single', '{'a' * 64}', "
        f"'2025-03-01 10:00:01+00'), "
        f"('{ADA_CASE}', NULL, NULL, 'openai', 'gpt-4o', 'single', '{'b' * 64}', "
        f"'2025-03-02 10:00:01+00');"
        f"INSERT INTO legacy.llm_responses (request_id, tokens_in, tokens_out, cost, latency_ms, "
        f"error, created_at) VALUES (1, 12, 30, 0.000420, 850, NULL, '2025-03-01 10:00:02+00'), "
        f"(2, 1, 1, 0, 10, 'x', '2025-03-02 10:00:02+00')"
    )

    # when
    first = import_legacy("llm-cli")
    second = import_legacy("llm-cli")
    import_legacy("llm-cli", "--archive")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT provider, model, route_mode, created_at FROM legacy_src.llm_requests "
            "ORDER BY created_at DESC LIMIT 5"
        )
        audit = cursor.fetchall()
    import_legacy("llm-cli", "--unarchive")

    # then
    ada = get_user_model().objects.get(email="ada@example.com")
    assert list(
        LLMRequest.objects.values_list("id", "user_id", "thread_id", "message_id", "model")
    ) == [(1, ada.pk, S1, "messages:1", "gpt-4o-mini")]
    assert list(
        LLMResponse.objects.values_list("id", "request_id", "tokens_in", "tokens_out", "cost")
    ) == [(1, 1, 12, 30, Decimal("0.000420"))]
    assert section(first, "llm_requests") == [
        "llm-cli llm_requests: read 2, imported 1, already present 0, refused 1",
        "  refused 2: user_id: its user UUID('00000000-0000-0000-0000-00000000000b') was not "
        "imported",
    ]
    assert line(first, "llm_responses") == (
        "llm-cli llm_responses: read 2, imported 1, already present 0, refused 1"
    )
    assert section(first, "llm_responses")[1] == "  refused 2: its request 2 was not imported"
    assert line(second, "llm_requests") == (
        "llm-cli llm_requests: read 2, imported 0, already present 1, refused 1"
    )
    assert line(second, "llm_responses") == (
        "llm-cli llm_responses: read 2, imported 0, already present 1, refused 1"
    )
    assert audit == [("openai", "gpt-4o-mini", "single", at(3, 1, 10, 0, 1))]
