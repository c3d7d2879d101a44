"""The ChatKit store's workflow (threads / thread_items with string ids) through GraphQL."""

import pytest

from chat.models import Message, Thread
from tests.chat.graphql import MESSAGE_APPEND, THREAD, THREAD_CREATE, THREAD_DELETE, THREAD_UPDATE


def test_thread_crud_with_string_ids(alice_client):
    # given
    thread_id = "thread_abc123def456"

    # when: create, add items, read, update, delete
    created = alice_client.execute(
        THREAD_CREATE, {"input": {"id": thread_id, "metadata": {"mode": "full_book"}}}
    )
    for item_id, role, content in [
        ("item_1", "USER", "Summarise chapter 1"),
        ("item_2", "ASSISTANT", "Chapter 1 introduces…"),
    ]:
        alice_client.execute(
            MESSAGE_APPEND,
            {
                "threadId": thread_id,
                "input": {"id": item_id, "role": role, "content": content, "type": "message"},
            },
        )
    read = alice_client.execute(THREAD, {"id": thread_id})
    updated = alice_client.execute(
        THREAD_UPDATE,
        {"id": thread_id, "input": {"metadata": {"mode": "selected_text"}, "title": "Book"}},
    )
    deleted = alice_client.execute(THREAD_DELETE, {"id": thread_id})
    read_after = alice_client.execute(THREAD, {"id": thread_id})

    # then
    assert created["data"]["threadCreate"]["metadata"] == {"mode": "full_book"}
    assert read == {
        "data": {
            "thread": {
                "id": thread_id,
                "title": "",
                "agentType": "",
                "metadata": {"mode": "full_book"},
                "messages": {
                    "nodes": [
                        {"id": "item_1", "role": "USER", "content": "Summarise chapter 1"},
                        {"id": "item_2", "role": "ASSISTANT", "content": "Chapter 1 introduces…"},
                    ]
                },
            }
        }
    }
    assert updated["data"]["threadUpdate"] == {
        "id": thread_id,
        "title": "Book",
        "agentType": "",
        "metadata": {"mode": "selected_text"},
        "owner": {"username": "alice"},
    }
    assert deleted == {"data": {"threadDelete": {"id": thread_id}}}
    assert read_after == {"data": {"thread": None}}
    assert (Thread.objects.count(), Message.objects.count()) == (0, 0)


def test_generated_ids_are_readable(alice_client):
    # when
    result = alice_client.execute(THREAD_CREATE, {"input": {"title": "New"}})

    # then
    thread_id = result["data"]["threadCreate"]["id"]
    assert thread_id.startswith("thread_") and len(thread_id) == len("thread_") + 16


@pytest.mark.parametrize(
    "thread_id",
    [
        "thread_abc123def456",
        "not-a-uuid",
        "00000000-0000-0000-0000-00000000000z",
        "x" * 101,
        "nul\x00byte",
        "lone \ud800 surrogate",
        "' OR 1=1 --",
        "",
    ],
)
def test_any_id_string_reads_as_not_found_never_an_error(thread_id, alice_client):
    # when
    read = alice_client.execute(THREAD, {"id": thread_id})
    deleted = alice_client.execute(THREAD_DELETE, {"id": thread_id})
    appended = alice_client.execute(
        MESSAGE_APPEND, {"threadId": thread_id, "input": {"role": "USER", "content": "x"}}
    )

    # then
    assert read == {"data": {"thread": None}}
    assert [m["code"] for m in deleted["data"]["threadDelete"]["messages"]] == ["NOT_FOUND"]
    assert [m["code"] for m in appended["data"]["messageAppend"]["messages"]] == ["NOT_FOUND"]


def test_a_bad_client_id_is_refused_naming_the_field(alice_client):
    # when
    result = alice_client.execute(THREAD_CREATE, {"input": {"id": " has surrounding space"}})

    # then
    assert result == {
        "data": {
            "threadCreate": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": "id",
                        "message": "Use 1 to 100 printable characters (no control "
                        "characters, no surrounding spaces).",
                        "code": "VALIDATION_ERROR",
                    }
                ]
            }
        }
    }
    assert Thread.objects.count() == 0


def test_metadata_must_be_an_object(alice_client):
    # when
    result = alice_client.execute(THREAD_CREATE, {"input": {"id": "t1", "metadata": [1, 2]}})

    # then
    assert result["data"]["threadCreate"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "metadata",
            "message": "Must be a JSON object.",
            "code": "VALIDATION_ERROR",
        }
    ]
    assert Thread.objects.count() == 0


def test_text_postgres_cannot_store_is_refused_naming_the_field(alice_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "t1"}})

    # when
    thread = alice_client.execute(
        THREAD_CREATE, {"input": {"title": "a\x00b", "metadata": {"k\x00": "v"}}}
    )
    message = alice_client.execute(
        MESSAGE_APPEND, {"threadId": "t1", "input": {"role": "USER", "content": "bad \ud800"}}
    )

    # then
    assert thread["data"]["threadCreate"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "title",
            "message": "Must not contain NUL characters.",
            "code": "VALIDATION_ERROR",
        },
        {
            "kind": "VALIDATION",
            "field": "metadata",
            "message": "Must not contain NUL characters.",
            "code": "VALIDATION_ERROR",
        },
    ]
    assert message["data"]["messageAppend"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "content",
            "message": "Must not contain lone surrogate characters.",
            "code": "VALIDATION_ERROR",
        }
    ]
    assert (Thread.objects.count(), Message.objects.count()) == (1, 0)


@pytest.mark.parametrize(
    "filters",
    [
        {"search": "a\x00b"},
        {"owner": "\ud800"},
        {"agentType": "x\x00"},
        {"metadataContains": {"\x00": 1}},
    ],
)
def test_filters_with_text_postgres_cannot_hold_match_nothing(alice_client, filters):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "t1"}})

    # when
    result = alice_client.execute(
        "query ($f: ThreadFilter) { threads(filters: $f) { totalCount } }", {"f": filters}
    )

    # then
    assert result == {"data": {"threads": {"totalCount": 0}}}
