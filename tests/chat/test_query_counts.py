import pytest

from tests.chat.factories import MessageFactory, ThreadFactory

LIST = """
{ threads(pagination: {limit: 100}) {
    totalCount
    results { id title messages(last: 3) { id role content createdAt } }
} }
"""


@pytest.mark.parametrize("threads", [1, 5, 30])
def test_threads_with_last_messages_take_constant_queries(
    threads, alice, alice_client, django_assert_num_queries
):
    # given: every thread with 5 messages
    for n in range(threads):
        thread = ThreadFactory(owner=alice)
        for m in range(5):
            MessageFactory(thread=thread, id=f"m{n}_{m}", content=f"t{n} m{m}")

    # when: API key lookup and its last-used stamp (2), the count (1), the page of threads
    # (1), the last messages of every thread of the page (1)
    with django_assert_num_queries(5):
        result = alice_client.execute(LIST)

    # then
    data = result["data"]["threads"]
    assert data["totalCount"] == threads
    assert [[m["content"] for m in t["messages"]] for t in data["results"]][-1] == [
        "t0 m2",
        "t0 m3",
        "t0 m4",
    ]
