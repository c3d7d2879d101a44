"""The LLM CLI's user_preferences: your settings as JSON, by key, through GraphQL."""

import threading

import pytest
from django.db import connection

from chat import services
from chat.models import UserPreference
from config.context import NOT_SIGNED_IN
from tests.factories import UserFactory

PREFERENCES = """
query ($keys: [String!]) { preferences(keys: $keys) { key value } }
"""
PREFERENCE_SET = """
mutation ($key: String!, $value: JSON!) {
  preferenceSet(key: $key, value: $value) {
    ... on UserPreference { key value }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""
PREFERENCE_DELETE = """
mutation ($key: String!) {
  preferenceDelete(key: $key) {
    ... on UserPreference { key value }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""
BAD_KEY = "Use letters, digits and . _ : - only, starting with a letter or digit."


def set_preference(client, key, value):
    return client.execute(PREFERENCE_SET, {"key": key, "value": value})["data"]["preferenceSet"]


def stored():
    return list(UserPreference.objects.values_list("user__username", "key", "value"))


def test_set_creates_then_replaces_and_the_list_is_by_key(alice_client):
    # when
    created = set_preference(alice_client, "research_mode", "full")
    set_preference(alice_client, "model", {"name": "gpt-4o", "temperature": 0.2})
    replaced = set_preference(alice_client, "research_mode", False)

    # then
    assert created == {"key": "research_mode", "value": "full"}
    assert replaced == {"key": "research_mode", "value": False}
    assert alice_client.execute(PREFERENCES) == {
        "data": {
            "preferences": [
                {"key": "model", "value": {"name": "gpt-4o", "temperature": 0.2}},
                {"key": "research_mode", "value": False},
            ]
        }
    }
    assert alice_client.execute(PREFERENCES, {"keys": ["model", "missing", "bad\x00"]}) == {
        "data": {"preferences": [{"key": "model", "value": {"name": "gpt-4o", "temperature": 0.2}}]}
    }
    assert UserPreference.objects.count() == 2


def test_everyone_has_their_own_preferences(alice_client, bob_client):
    # given
    set_preference(alice_client, "research_mode", "full")

    # when
    bobs_list = bob_client.execute(PREFERENCES)
    set_preference(bob_client, "research_mode", "quick")
    deleted_by_bob = bob_client.execute(PREFERENCE_DELETE, {"key": "research_mode"})
    again_by_bob = bob_client.execute(PREFERENCE_DELETE, {"key": "research_mode"})

    # then
    assert bobs_list == {"data": {"preferences": []}}
    assert deleted_by_bob == {
        "data": {"preferenceDelete": {"key": "research_mode", "value": "quick"}}
    }
    assert again_by_bob == {
        "data": {
            "preferenceDelete": {
                "messages": [
                    {
                        "kind": "ERROR",
                        "field": None,
                        "message": "No preference 'research_mode'.",
                        "code": "NOT_FOUND",
                    }
                ]
            }
        }
    }
    assert stored() == [("alice", "research_mode", "full")]


@pytest.mark.parametrize(
    ("key", "value", "field", "message", "code"),
    [
        ("", 1, "key", "This field cannot be blank.", "VALIDATION_ERROR"),
        ("research mode", 1, "key", BAD_KEY, "VALIDATION_ERROR"),
        ("_private", 1, "key", BAD_KEY, "VALIDATION_ERROR"),
        ("k" * 101, 1, "key", "Ensure this value has at most 100 characters (it has 101).",
         "VALIDATION_ERROR"),
        ("theme", {"name": "dark\x00"}, "value", "Must not contain NUL characters.",
         "VALIDATION_ERROR"),
        ("theme", "x" * 10_000, "value", "At most 10,000 characters of JSON.", "VALIDATION_ERROR"),
    ],
    ids=["empty", "space", "underscore-first", "too-long", "nul", "too-big"],
)  # fmt: skip
def test_invalid_keys_and_values_are_refused_and_nothing_is_written(
    alice_client, key, value, field, message, code
):
    # given
    set_preference(alice_client, "theme", "light")

    # when
    result = set_preference(alice_client, key, value)

    # then
    assert result == {
        "messages": [{"kind": "VALIDATION", "field": field, "message": message, "code": code}]
    }
    assert stored() == [("alice", "theme", "light")]


def test_deleting_a_key_that_cannot_exist_is_not_found(alice_client):
    # when
    result = alice_client.execute(PREFERENCE_DELETE, {"key": "bad\x00key"})

    # then
    assert result["data"]["preferenceDelete"]["messages"][0]["code"] == "NOT_FOUND"


def test_anonymous_callers_are_refused(anon_client):
    # when
    listing = anon_client.execute(PREFERENCES)
    setting = anon_client.execute(PREFERENCE_SET, {"key": "k", "value": 1})

    # then
    assert [error["message"] for error in listing["errors"]] == [NOT_SIGNED_IN]
    assert setting["data"]["preferenceSet"]["messages"][0]["message"] == NOT_SIGNED_IN
    assert stored() == []


@pytest.mark.parametrize("count", [1, 5, 20])
def test_preferences_take_the_same_queries_for_any_number(
    alice, alice_client, count, django_assert_num_queries
):
    # given
    for n in range(count):
        services.preference_set(user=alice, key=f"key-{n:02d}", value=n)

    # when: the API key and its last-use stamp (2), the preferences (1)
    with django_assert_num_queries(3):
        result = alice_client.execute(PREFERENCES)

    # then
    assert len(result["data"]["preferences"]) == count


def test_set_is_one_statement(alice, alice_client, django_assert_num_queries):
    # given
    services.preference_set(user=alice, key="theme", value="light")

    # when: the API key and its last-use stamp (2), the mutation's and the service's savepoints
    # with their releases (4), the upsert (1)
    with django_assert_num_queries(7):
        result = set_preference(alice_client, "theme", "dark")

    # then
    assert result == {"key": "theme", "value": "dark"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_sets_of_one_key_leave_one_row():
    # given
    owner = UserFactory(username="alice")
    runs = 8
    barrier = threading.Barrier(runs)
    failures: list[BaseException] = []

    def set_value(n: int):
        try:
            barrier.wait()
            services.preference_set(user=owner, key="research_mode", value=n)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=set_value, args=(n,)) for n in range(runs)]

    # when
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # then: one row, holding one of the values sent
    assert failures == []
    (value,) = UserPreference.objects.filter(user=owner, key="research_mode").values_list(
        "value", flat=True
    )
    assert value in range(runs)
