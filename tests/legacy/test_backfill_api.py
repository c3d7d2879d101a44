import io
from datetime import UTC, datetime

from django.core.management import call_command

from chat.models import Thread

CREATE = """
mutation($input: ThreadCreateInput!) {
  threadCreate(input: $input) {
    ... on Thread { id createdAt updatedAt }
    ... on OperationInfo { messages { field code message } }
  }
}
"""
APPEND = """
mutation($id: ID!, $input: MessageAppendInput!) {
  messageAppend(threadId: $id, input: $input) { ... on Message { id } }
}
"""


def test_thread_create_takes_backfill_times(api_client, make_user):
    # given
    client = api_client(make_user("alice"))

    # when
    result = client.execute(
        CREATE,
        {
            "input": {
                "id": "my session 1",
                "createdAt": "2024-01-01T00:00:00Z",
                "updatedAt": "2024-01-02T00:00:00Z",
            }
        },
    )

    # then
    assert result == {
        "data": {
            "threadCreate": {
                "id": "my session 1",
                "createdAt": "2024-01-01T00:00:00+00:00",
                "updatedAt": "2024-01-02T00:00:00+00:00",
            }
        }
    }


def test_updated_at_before_created_at_is_refused_and_nothing_written(api_client, make_user):
    # given
    client = api_client(make_user("alice"))

    # when
    result = client.execute(
        CREATE,
        {
            "input": {
                "id": "t1",
                "createdAt": "2024-01-02T00:00:00Z",
                "updatedAt": "2024-01-01T00:00:00Z",
            }
        },
    )

    # then
    assert result == {
        "data": {
            "threadCreate": {
                "messages": [
                    {
                        "field": "updatedAt",
                        "code": "VALIDATION_ERROR",
                        "message": "Must not be before createdAt.",
                    }
                ]
            }
        }
    }
    assert Thread.objects.count() == 0


def test_a_backfilled_message_keeps_an_idle_thread_purgeable(api_client, make_user):
    # given
    client = api_client(make_user("alice"))
    client.execute(
        CREATE, {"input": {"id": "user/123/session", "createdAt": "2024-01-01T00:00:00Z"}}
    )

    # when
    client.execute(
        APPEND,
        {
            "id": "user/123/session",
            "input": {"role": "USER", "content": "old", "createdAt": "2024-01-05T00:00:00Z"},
        },
    )
    call_command("purge_threads", "--older-than", "30d", "--yes", stdout=io.StringIO())

    # then
    assert Thread.objects.count() == 0


def test_a_backfilled_message_moves_updated_at_to_its_time(api_client, make_user):
    # given
    client = api_client(make_user("alice"))
    client.execute(CREATE, {"input": {"id": "thread_ü-ñ", "createdAt": "2024-01-01T00:00:00Z"}})

    # when
    client.execute(
        APPEND,
        {
            "id": "thread_ü-ñ",
            "input": {"role": "USER", "content": "old", "createdAt": "2024-01-05T00:00:00Z"},
        },
    )

    # then
    assert Thread.objects.get().updated_at == datetime(2024, 1, 5, tzinfo=UTC)
