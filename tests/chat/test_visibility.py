"""Who sees and changes which thread: owners their own; staff with the permission all;
everyone else reads someone else's thread as not found."""

import pytest

from chat.models import Message, Thread
from config.context import NOT_SIGNED_IN
from tests.chat.factories import MessageFactory, ThreadFactory
from tests.chat.graphql import (
    MESSAGE_APPEND,
    THREAD,
    THREAD_CLEAR,
    THREAD_DELETE,
    THREAD_UPDATE,
    thread_ids,
)


@pytest.fixture
def alices_thread(alice):
    thread = ThreadFactory(id="alices", owner=alice, title="private")
    MessageFactory(thread=thread, id="alices_msg", content="secret")
    return thread


def read(client, thread_id="alices"):
    return client.execute(THREAD, {"id": thread_id})["data"]["thread"]


def test_owner_reads_own_thread(alices_thread, alice_client):
    assert read(alice_client)["messages"]["nodes"] == [
        {"id": "alices_msg", "role": "USER", "content": "secret"}
    ]


def test_another_user_reads_it_as_not_found(alices_thread, bob_client):
    assert read(bob_client) is None
    assert thread_ids(bob_client) == (0, [])
    assert thread_ids(bob_client, {"owner": "alice"}) == (0, [])


def test_staff_without_the_permission_read_it_as_not_found(alices_thread, api_client, make_user):
    # given
    client = api_client(make_user("helpdesk", is_staff=True))

    # then
    assert read(client) is None


def test_non_staff_with_the_permission_read_it_as_not_found(alices_thread, api_client, make_user):
    # given
    client = api_client(make_user("not-staff", perms=["chat.view_thread"]))

    # then
    assert read(client) is None


def test_staff_with_the_permission_see_everyone(alices_thread, bob, staff_client):
    # given
    ThreadFactory(id="bobs", owner=bob)

    # then
    assert read(staff_client)["title"] == "private"
    assert thread_ids(staff_client, ordering=[{"id": "ASC"}]) == (2, ["alices", "bobs"])
    assert thread_ids(staff_client, {"owner": "bob"}) == (1, ["bobs"])


@pytest.mark.parametrize(
    ("mutation", "variables", "name"),
    [
        (THREAD_UPDATE, {"id": "alices", "input": {"title": "pwned"}}, "threadUpdate"),
        (THREAD_DELETE, {"id": "alices"}, "threadDelete"),
        (THREAD_CLEAR, {"id": "alices"}, "threadClear"),
        (
            MESSAGE_APPEND,
            {"threadId": "alices", "input": {"role": "USER", "content": "x"}},
            "messageAppend",
        ),
    ],
)
def test_another_user_cannot_change_it(alices_thread, bob_client, mutation, variables, name):
    # when
    result = bob_client.execute(mutation, variables)

    # then
    assert result == {
        "data": {
            name: {
                "messages": [
                    {
                        "kind": "ERROR",
                        "field": None,
                        "message": "No thread with id 'alices'.",
                        "code": "NOT_FOUND",
                    }
                ]
            }
        }
    }
    assert list(Thread.objects.values_list("title", flat=True)) == ["private"]
    assert list(Message.objects.values_list("id", flat=True)) == ["alices_msg"]


def test_staff_who_may_only_view_cannot_change_it(alices_thread, api_client, make_user):
    # given
    client = api_client(make_user("auditor", is_staff=True, perms=["chat.view_thread"]))

    # when
    result = client.execute(THREAD_DELETE, {"id": "alices"})

    # then
    assert result["data"]["threadDelete"]["messages"] == [
        {
            "kind": "PERMISSION",
            "field": None,
            "message": "You don't have permission to do this (chat.delete_thread).",
            "code": "FORBIDDEN",
        }
    ]
    assert Thread.objects.count() == 1


def test_staff_with_the_permissions_change_it(alices_thread, staff_client):
    # when
    updated = staff_client.execute(THREAD_UPDATE, {"id": "alices", "input": {"title": "moderated"}})
    deleted = staff_client.execute(THREAD_DELETE, {"id": "alices"})

    # then
    assert updated["data"]["threadUpdate"]["title"] == "moderated"
    assert deleted == {"data": {"threadDelete": {"id": "alices"}}}
    assert Thread.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "data"),
    [
        ("{ threads { totalCount } }", None),
        ('{ thread(id: "alices") { id } }', {"thread": None}),
        ("{ usageToday { tokenCap } }", None),
        ("{ apiKeys { id } }", None),
    ],
)
def test_anonymous_callers_must_sign_in(alices_thread, anon_client, query, data):
    # when
    result = anon_client.execute(query)

    # then
    assert result["data"] == data
    assert [error["message"] for error in result["errors"]] == [NOT_SIGNED_IN]
