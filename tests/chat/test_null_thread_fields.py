"""`null` for a thread's title, agent type or metadata: on create the empty default, on
update the field cleared — never a database refusal."""

import pytest

from chat.models import Thread
from tests.chat.graphql import THREAD_CREATE, THREAD_UPDATE

NULLS = {"title": None, "agentType": None, "metadata": None}


@pytest.mark.django_db
def test_create_with_nulls_stores_the_empty_defaults(alice_client):
    # when
    res = alice_client.execute(THREAD_CREATE, {"input": {"id": "thread_nulls", **NULLS}})

    # then
    assert res == {
        "data": {
            "threadCreate": {
                "id": "thread_nulls",
                "title": "",
                "agentType": "",
                "metadata": {},
                "owner": {"username": "alice"},
            }
        }
    }
    assert list(Thread.objects.values_list("id", "title", "agent_type", "metadata")) == [
        ("thread_nulls", "", "", {})
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["title", "agentType", "metadata"])
def test_create_with_one_null_keeps_the_others(field, alice_client):
    # given
    given = {"title": "Plan", "agentType": "planner", "metadata": {"mode": "x"}}

    # when
    res = alice_client.execute(THREAD_CREATE, {"input": {"id": "thread_one", **given, field: None}})

    # then
    empty = {"title": "", "agentType": "", "metadata": {}}
    assert res["data"]["threadCreate"] == {
        "id": "thread_one",
        **given,
        field: empty[field],
        "owner": {"username": "alice"},
    }


@pytest.mark.django_db
def test_update_with_nulls_clears_the_fields(alice_client):
    # given
    alice_client.execute(
        THREAD_CREATE,
        {"input": {"id": "thread_u", "title": "T", "agentType": "a", "metadata": {"k": 1}}},
    )

    # when
    res = alice_client.execute(THREAD_UPDATE, {"id": "thread_u", "input": NULLS})

    # then
    assert res == {
        "data": {
            "threadUpdate": {
                "id": "thread_u",
                "title": "",
                "agentType": "",
                "metadata": {},
                "owner": {"username": "alice"},
            }
        }
    }
    assert list(Thread.objects.values_list("title", "agent_type", "metadata")) == [("", "", {})]


@pytest.mark.django_db
def test_update_with_one_null_leaves_the_fields_left_out(alice_client):
    # given
    alice_client.execute(
        THREAD_CREATE,
        {"input": {"id": "thread_v", "title": "T", "agentType": "a", "metadata": {"k": 1}}},
    )

    # when
    res = alice_client.execute(THREAD_UPDATE, {"id": "thread_v", "input": {"title": None}})

    # then
    assert res["data"]["threadUpdate"] == {
        "id": "thread_v",
        "title": "",
        "agentType": "a",
        "metadata": {"k": 1},
        "owner": {"username": "alice"},
    }
