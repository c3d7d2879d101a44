from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chat.models import ApiKey, LLMRequest, LLMResponse
from tests.conftest import GraphQLClient

USAGE = """
query ($from: Date!, $to: Date!, $groupBy: UsagePeriod, $by: UsageBy) {
  usage(from: $from, to: $to, groupBy: $groupBy, by: $by) {
    requests tokens cost
    buckets { period model apiKeyPrefix requests tokensIn tokensOut tokens cost }
  }
}
"""


def audit(user, when, model, tokens_in, tokens_out, cost, api_key=None):
    request = LLMRequest.objects.create(
        user=user,
        api_key=api_key,
        provider="openai",
        model=model,
        prompt_sha256="0" * 64,
        created_at=when,
    )
    LLMResponse.objects.create(
        request=request, tokens_in=tokens_in, tokens_out=tokens_out, cost=Decimal(cost)
    )


@pytest.fixture
def history(alice, bob):
    key = ApiKey.objects.create(user=alice, name="cli", prefix="clikey0001", key_hash="x")
    audit(alice, datetime(2026, 11, 2, 10, tzinfo=UTC), "gpt-4o", 10, 5, "0.010", key)  # Mon
    audit(alice, datetime(2026, 11, 2, 23, 59, tzinfo=UTC), "claude", 20, 10, "0.020")
    audit(alice, datetime(2026, 11, 4, 8, tzinfo=UTC), "gpt-4o", 1, 1, "0.001", key)  # Wed
    audit(alice, datetime(2026, 11, 10, 8, tzinfo=UTC), "gpt-4o", 100, 100, "0.100")  # next week
    audit(alice, datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "gpt-4o", 1000, 0, "1")  # out of range
    audit(bob, datetime(2026, 11, 2, 10, tzinfo=UTC), "gpt-4o", 999, 999, "9")  # someone else


def usage(client, group_by="DAY", by="NONE", start="2026-11-01", end="2026-11-30"):
    return client.execute(USAGE, {"from": start, "to": end, "groupBy": group_by, "by": by})


def bucket(period, requests, tokens_in, tokens_out, cost, model=None, key=None):
    return {
        "period": period,
        "model": model,
        "apiKeyPrefix": key,
        "requests": requests,
        "tokensIn": tokens_in,
        "tokensOut": tokens_out,
        "tokens": tokens_in + tokens_out,
        "cost": cost,
    }


def test_usage_per_day_with_totals(history, alice_client):
    assert usage(alice_client) == {
        "data": {
            "usage": {
                "requests": 4,
                "tokens": 247,
                "cost": "0.131000",
                "buckets": [
                    bucket("2026-11-02", 2, 30, 15, "0.030000"),
                    bucket("2026-11-04", 1, 1, 1, "0.001000"),
                    bucket("2026-11-10", 1, 100, 100, "0.100000"),
                ],
            }
        }
    }


def test_usage_per_week_and_model(history, alice_client):
    result = usage(alice_client, "WEEK", "MODEL")["data"]["usage"]["buckets"]
    assert result == [
        bucket("2026-11-02", 1, 20, 10, "0.020000", model="claude"),
        bucket("2026-11-02", 2, 11, 6, "0.011000", model="gpt-4o"),
        bucket("2026-11-09", 1, 100, 100, "0.100000", model="gpt-4o"),
    ]


def test_usage_per_month_and_api_key(history, alice_client):
    result = usage(alice_client, "MONTH", "API_KEY")["data"]["usage"]["buckets"]
    assert result == [
        bucket("2026-11-01", 2, 11, 6, "0.011000", key="clikey0001"),
        bucket("2026-11-01", 2, 120, 110, "0.120000"),
    ]


def test_usage_range_is_checked(alice_client):
    backwards = usage(alice_client, start="2026-11-02", end="2026-11-01")
    too_long = usage(alice_client, start="2020-01-01", end="2026-01-01")
    assert [e["message"] for e in backwards["errors"]] == ["usage: 'to' must not be before 'from'."]
    assert [e["message"] for e in too_long["errors"]] == ["usage: at most 731 days per request."]


CREATE_KEY = """
mutation { apiKeyCreate(name: "laptop") {
  ... on ApiKeyCreateResult { key apiKey { id name prefix revokedAt } }
  ... on OperationInfo { messages { message code } }
} }
"""
REVOKE_KEY = """
mutation ($id: ID!) { apiKeyRevoke(id: $id) {
  ... on ApiKey { name revokedAt }
  ... on OperationInfo { messages { message code } }
} }
"""


def test_api_key_plaintext_is_returned_once_and_works(alice, alice_client):
    # when
    created = alice_client.execute(CREATE_KEY)["data"]["apiKeyCreate"]
    listed = alice_client.execute("{ apiKeys { name prefix } }")["data"]["apiKeys"]

    # then
    key = ApiKey.objects.get(pk=created["apiKey"]["id"])
    assert created["key"].startswith(f"dk_{key.prefix}_")
    assert created["key"] not in {key.key_hash, key.prefix}
    assert {"name": "laptop", "prefix": key.prefix} in listed
    viewer = GraphQLClient(api_key=created["key"]).execute("{ viewer { username } }")
    assert viewer == {"data": {"viewer": {"username": "alice"}}}


def test_api_key_revoke_own_only(alice, bob, alice_client, bob_client):
    # given
    created = alice_client.execute(CREATE_KEY)["data"]["apiKeyCreate"]
    key_id = created["apiKey"]["id"]

    # when
    by_bob = bob_client.execute(REVOKE_KEY, {"id": key_id})
    by_alice = alice_client.execute(REVOKE_KEY, {"id": key_id})
    malformed = alice_client.execute(REVOKE_KEY, {"id": "thread_abc"})

    # then
    assert by_bob == {
        "data": {
            "apiKeyRevoke": {
                "messages": [{"message": f"No API key with id '{key_id}'.", "code": "NOT_FOUND"}]
            }
        }
    }
    assert by_alice["data"]["apiKeyRevoke"]["name"] == "laptop"
    assert by_alice["data"]["apiKeyRevoke"]["revokedAt"] is not None
    assert malformed["data"]["apiKeyRevoke"]["messages"][0]["code"] == "NOT_FOUND"


def test_staff_with_the_permission_read_another_users_usage(history, api_client, make_user):
    # given
    client = api_client(
        make_user(
            "accountant",
            is_staff=True,
            perms=["chat.view_llmrequest", "chat.view_usagedaily"],
        )
    )

    # when
    result = client.execute(
        'query { usage(from: "2026-11-01", to: "2026-11-30", user: "bob") { requests tokens } '
        'usageToday(user: "bob") { usage { requests } } }'
    )

    # then
    assert result == {
        "data": {
            "usage": {"requests": 1, "tokens": 1998},
            "usageToday": {"usage": {"requests": 0}},
        }
    }


@pytest.mark.parametrize("username", ["bob", "nobody"])
def test_other_users_usage_reads_as_unknown(history, alice_client, username):
    # when
    result = alice_client.execute(
        'query ($u: String) { usage(from: "2026-11-01", to: "2026-11-30", user: $u) { requests } }',
        {"u": username},
    )

    # then
    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (f"No user named '{username}'.", "NOT_FOUND")
    ]


CREATE_NAMED_KEY = """
mutation ($name: String!) { apiKeyCreate(name: $name) {
  ... on ApiKeyCreateResult { key }
  ... on OperationInfo { messages { field message code } }
} }
"""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lap\x00top", "Must not contain NUL characters."),
        ("lap\ud800top", "Must not contain lone surrogate characters."),
    ],
)
def test_api_key_name_the_database_cannot_hold_is_refused(name, message, alice, alice_client):
    # given
    before = list(ApiKey.objects.values_list("pk", flat=True))

    # when
    res = alice_client.execute(CREATE_NAMED_KEY, {"name": name})

    # then
    assert res == {
        "data": {
            "apiKeyCreate": {
                "messages": [{"field": "name", "message": message, "code": "VALIDATION_ERROR"}]
            }
        }
    }
    assert list(ApiKey.objects.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("username", ["b\x00ob", "b\ud800ob"], ids=["nul", "surrogate"])
def test_a_username_the_database_cannot_hold_is_unknown_to_staff(
    username, history, api_client, make_user
):
    # given
    client = api_client(
        make_user(
            "accountant",
            is_staff=True,
            perms=["chat.view_llmrequest", "chat.view_usagedaily"],
        )
    )

    # when
    result = client.execute(
        "query ($u: String) { usageToday(user: $u) { usage { requests } } }", {"u": username}
    )

    # then
    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (f"No user named {username!r}.", "NOT_FOUND")
    ]
