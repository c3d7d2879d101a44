"""The LLM CLI's workflow (sessions, messages, llm_requests/responses, usage_daily, caps)."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from chat.models import LLMRequest, LLMResponse, Message, Thread, UsageDaily
from tests.chat.graphql import INTERACTION_RECORD, THREAD, THREAD_CREATE

PROMPT = "What is Python?"
PROMPT_SHA = hashlib.sha256(PROMPT.encode()).hexdigest()
USAGE_TODAY = (
    "{ usageToday { usage { requests tokensIn tokensOut tokens cost } tokenCap costCap } }"
)


def call(model="gpt-4o-mini", tokens_in=10, tokens_out=20, cost="0.001", **extra):
    return {
        "provider": "openai",
        "model": model,
        "tokensIn": tokens_in,
        "tokensOut": tokens_out,
        "cost": cost,
        **extra,
    }


def record(client, calls, *, thread_id="cli-session", route_mode="single", prompt=PROMPT, **extra):
    return client.execute(
        INTERACTION_RECORD,
        {
            "input": {
                "threadId": thread_id,
                "prompt": prompt,
                "routeMode": route_mode,
                "userMessage": {"content": prompt},
                "assistantMessage": {"content": "A programming language."},
                "calls": calls,
                **extra,
            }
        },
    )


@pytest.fixture
def session(alice_client):
    alice_client.execute(THREAD_CREATE, {"input": {"id": "cli-session", "title": "CLI"}})
    return "cli-session"


def rows():
    return (
        Message.objects.count(),
        LLMRequest.objects.count(),
        LLMResponse.objects.count(),
        UsageDaily.objects.count(),
    )


def test_one_prompt_records_messages_audit_and_usage(session, alice_client):
    # given
    before = Thread.objects.get(pk=session).updated_at

    # when
    result = record(alice_client, [call(latencyMs=850)])
    history = alice_client.execute(THREAD, {"id": session})

    # then
    data = result["data"]["interactionRecord"]
    assert data["thread"] == {"id": session}
    assert (data["userMessage"]["role"], data["assistantMessage"]["role"]) == ("USER", "ASSISTANT")
    assert data["requests"] == [
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "routeMode": "single",
            "promptSha256": PROMPT_SHA,
            "promptText": None,
            "tokensIn": 10,
            "tokensOut": 20,
            "cost": "0.001000",
            "error": "",
        }
    ]
    assert [(m["role"], m["content"]) for m in history["data"]["thread"]["messages"]["nodes"]] == [
        ("USER", PROMPT),
        ("ASSISTANT", "A programming language."),
    ]
    assert Thread.objects.get(pk=session).updated_at > before
    assert LLMResponse.objects.get().latency_ms == 850
    assert alice_client.execute(USAGE_TODAY) == {
        "data": {
            "usageToday": {
                "usage": {
                    "requests": 1,
                    "tokensIn": 10,
                    "tokensOut": 20,
                    "tokens": 30,
                    "cost": "0.001000",
                },
                "tokenCap": None,
                "costCap": None,
            }
        }
    }


def test_compare_mode_stores_n_requests_and_one_assistant_message(session, alice_client):
    # when
    result = record(
        alice_client,
        [call("gpt-4o"), call("claude-sonnet", 12, 30, "0.002"), call("gemini", error="timeout")],
        route_mode="compare",
    )

    # then
    data = result["data"]["interactionRecord"]
    assert [(r["model"], r["routeMode"], r["error"]) for r in data["requests"]] == [
        ("gpt-4o", "compare", ""),
        ("claude-sonnet", "compare", ""),
        ("gemini", "compare", "timeout"),
    ]
    assert rows() == (2, 3, 3, 1)
    usage = UsageDaily.objects.get()
    assert (usage.requests, usage.tokens_in, usage.tokens_out, usage.cost) == (
        3,
        32,
        70,
        Decimal("0.004"),
    )


def test_usage_totals_add_up_over_prompts(session, alice_client):
    # when
    for _ in range(3):
        record(alice_client, [call(tokens_in=100, tokens_out=50, cost="0.010")])

    # then
    usage = alice_client.execute(USAGE_TODAY)["data"]["usageToday"]["usage"]
    assert usage == {
        "requests": 3,
        "tokensIn": 300,
        "tokensOut": 150,
        "tokens": 450,
        "cost": "0.030000",
    }


def test_prompt_text_is_not_stored_by_default(session, alice_client):
    # when
    record(alice_client, [call()])

    # then
    assert list(LLMRequest.objects.values_list("prompt_sha256", "prompt_text")) == [
        (PROMPT_SHA, None)
    ]


def test_prompt_text_is_stored_when_the_deployment_opts_in(session, alice_client, settings):
    # given
    settings.LLM_STORE_PROMPT_TEXT = True

    # when
    result = record(alice_client, [call()])

    # then
    assert result["data"]["interactionRecord"]["requests"][0]["promptText"] == PROMPT
    assert LLMRequest.objects.get().prompt_text == PROMPT


def test_token_cap_refuses_and_writes_nothing(session, alice_client, settings):
    # given: 30 of 50 tokens used
    settings.DAILY_TOKEN_CAP = 50
    record(alice_client, [call(tokens_in=10, tokens_out=20)])
    written = rows()

    # when: 30 more would make 60
    refused = record(alice_client, [call(tokens_in=10, tokens_out=20)])
    exactly_up_to_the_cap = record(alice_client, [call(tokens_in=10, tokens_out=10)])

    # then
    assert refused == {
        "data": {
            "interactionRecord": {
                "messages": [
                    {
                        "kind": "VALIDATION",
                        "field": None,
                        "message": "Daily cap reached: recording this would exceed the daily "
                        "cap of 50 tokens.",
                        "code": "DAILY_CAP_REACHED",
                    }
                ]
            }
        }
    }
    assert written == (2, 1, 1, 1)
    assert "requests" in exactly_up_to_the_cap["data"]["interactionRecord"]
    assert UsageDaily.objects.get().tokens == 50


def test_cost_cap_refuses_a_first_recording_that_alone_exceeds_it(session, alice_client, settings):
    # given
    settings.DAILY_COST_CAP = Decimal("0.05")

    # when
    result = record(alice_client, [call(cost="0.03"), call(cost="0.03")], route_mode="compare")

    # then
    assert [m["code"] for m in result["data"]["interactionRecord"]["messages"]] == [
        "DAILY_CAP_REACHED"
    ]
    assert rows() == (0, 0, 0, 0)


def test_caps_are_per_day(session, alice, alice_client, settings):
    # given: yesterday used the whole cap
    settings.DAILY_TOKEN_CAP = 100
    UsageDaily.objects.create(
        user=alice, day=timezone.localdate() - timedelta(days=1), requests=5, tokens_in=100
    )

    # when
    result = record(alice_client, [call(tokens_in=40, tokens_out=40)])

    # then
    assert "requests" in result["data"]["interactionRecord"]


def test_an_invalid_second_response_in_compare_mode_writes_nothing(session, alice_client):
    # given: the second response of a compare is invalid (negative tokens)
    calls = [call("gpt-4o"), call("claude-sonnet", tokens_out=-5)]

    # when
    result = record(alice_client, calls, route_mode="compare")

    # then
    assert result["data"]["interactionRecord"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "calls",
            "message": "calls[1].tokensOut: Ensure this value is greater than or equal to 0.",
            "code": "VALIDATION_ERROR",
        }
    ]
    assert rows() == (0, 0, 0, 0)
    assert Thread.objects.get(pk=session).title == "CLI"


def test_a_failure_at_the_last_write_rolls_everything_back(session, alice_client):
    # given: an assistant message id that is already taken
    record(alice_client, [call()], assistantMessage={"id": "answer-1", "content": "a"})
    written = rows()

    # when: the usage, the user message, both requests and responses are written, then the
    # assistant message fails
    result = record(
        alice_client,
        [call("gpt-4o"), call("claude-sonnet")],
        route_mode="compare",
        assistantMessage={"id": "answer-1", "content": "b"},
    )

    # then: none of it is left
    assert result["data"]["interactionRecord"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "assistantMessage",
            "message": "id: This id cannot be used; choose another.",
            "code": "CONFLICT",
        }
    ]
    assert rows() == written
    assert UsageDaily.objects.get().requests == 1


def test_recording_needs_a_visible_thread(alice_client, bob_client, session):
    # when
    result = record(bob_client, [call()])

    # then
    assert [m["code"] for m in result["data"]["interactionRecord"]["messages"]] == ["NOT_FOUND"]
    assert rows() == (0, 0, 0, 0)


def test_between_one_and_ten_calls(session, alice_client):
    # when
    none = record(alice_client, [])
    too_many = record(alice_client, [call()] * 11)

    # then
    assert none["data"]["interactionRecord"]["messages"][0]["message"] == (
        "between 1 and 10 model calls, got 0"
    )
    assert too_many["data"] is None
    assert [(e["message"], e["extensions"]) for e in too_many["errors"]] == [
        (
            "List too long: 'input.calls' has 11 items, the maximum is 10.",
            {"code": "LIST_TOO_LONG", "field": "input.calls"},
        )
    ]
    assert rows() == (0, 0, 0, 0)


def test_unstorable_prompt_or_call_text_is_refused(session, alice_client):
    # when
    bad_prompt = record(alice_client, [call()], prompt="lone \ud800")
    bad_model = record(alice_client, [call(model="gpt\x00")])

    # then
    assert bad_prompt["data"]["interactionRecord"]["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "prompt",
            "message": "Must not contain lone surrogate characters.",
            "code": "VALIDATION_ERROR",
        }
    ]
    assert bad_model["data"]["interactionRecord"]["messages"][0]["message"] == (
        "calls[0].model: Must not contain NUL characters."
    )
    assert rows() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("NaN", "calls[0].cost: Must be a finite number."),
        ("1e20", "calls[0].cost: Ensure that there are no more than 12 digits in total."),
        ("0.0000001", "calls[0].cost: Ensure that there are no more than 6 decimal places."),
        ("-1", "calls[0].cost: Ensure this value is greater than or equal to 0."),
    ],
)
def test_costs_the_database_cannot_hold_are_refused(session, alice_client, cost, message):
    # when
    result = record(alice_client, [call(cost=cost)])

    # then
    assert [m["message"] for m in result["data"]["interactionRecord"]["messages"]] == [message]
    assert rows() == (0, 0, 0, 0)


@pytest.mark.parametrize("calls", [1, 3, 10])
def test_recording_takes_the_same_queries_for_any_number_of_calls(
    session, alice_client, calls, django_assert_num_queries
):
    # when: API key (1; its last-use stamp is fresh), the mutation's and the service's
    # savepoints with their releases (4), the thread (1),
    # the usage upsert (1), the user message (1), all requests (1), all responses (1), the
    # assistant message (1), the thread's activity time (1)
    with django_assert_num_queries(12):
        result = record(alice_client, [call(f"m{n}") for n in range(calls)])

    # then
    assert len(result["data"]["interactionRecord"]["requests"]) == calls
