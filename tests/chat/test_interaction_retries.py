"""interactionRecord is idempotent on the client's user message id: a retry of the same
recording gets the stored one back, writing and counting nothing; anything else is refused."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from chat import services
from chat.models import LLMRequest, LLMResponse, Message, Thread, UsageDaily
from tests.chat.graphql import MESSAGE_APPEND, THREAD_CREATE
from tests.factories import UserFactory

RECORD = """
mutation ($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    ... on InteractionRecordResult {
      thread { id }
      userMessage { id threadId type role content metadata createdAt }
      assistantMessage { id threadId type role content metadata createdAt }
      requests { id provider model routeMode promptSha256 promptText tokensIn tokensOut cost
                 error createdAt }
    }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""
TAKEN = "id: This id cannot be used; choose another."
DIFFERENT = (
    "id: Already used for a different recording (another payload or another user); a retry "
    "must send the same recording, a new prompt needs a new id."
)


def recording(**changes) -> dict:
    """A compare-mode recording with client ids, as the LLM CLI sends it."""
    return {
        "threadId": "cli-session",
        "prompt": "What is Python?",
        "routeMode": "compare",
        "userMessage": {"id": "prompt-7", "content": "What is Python?", "metadata": {"n": 7}},
        "assistantMessage": {"content": "Both agree: a programming language."},
        "calls": [
            {"provider": "openai", "model": "gpt-4o", "tokensIn": 10, "tokensOut": 20,
             "cost": "0.001", "latencyMs": 850},
            {"provider": "anthropic", "model": "claude-sonnet", "tokensIn": 12, "tokensOut": 30,
             "cost": "0.002"},
        ],
        **changes,
    }  # fmt: skip


def refusal(field: str, message: str, code: str = "VALIDATION_ERROR") -> dict:
    return {
        "data": {
            "interactionRecord": {
                "messages": [
                    {"kind": "VALIDATION", "field": field, "message": message, "code": code}
                ]
            }
        }
    }


def rows() -> tuple:
    usage = UsageDaily.objects.first()
    return (
        list(Message.objects.order_by("seq").values_list("id", "thread_id", "role")),
        LLMRequest.objects.count(),
        LLMResponse.objects.count(),
        usage and (usage.requests, usage.tokens, usage.cost),
    )


@pytest.fixture
def session(alice_client):
    alice_client.execute(THREAD_CREATE, {"input": {"id": "cli-session"}})
    return "cli-session"


def test_a_retry_gets_the_first_answer_and_writes_nothing(session, alice_client):
    # given: recorded, but the answer never reached the client
    first = alice_client.execute(RECORD, {"input": recording()})
    written = rows()
    activity = Thread.objects.get(pk=session).updated_at

    # when: the same recording again (a cost spelled differently is the same amount)
    retried = recording()
    retried["calls"][0]["cost"] = "0.0010"
    retry = alice_client.execute(RECORD, {"input": retried})

    # then
    assert retry == first
    data = first["data"]["interactionRecord"]
    assert data["userMessage"]["id"] == "prompt-7"
    assert [(r["model"], r["cost"]) for r in data["requests"]] == [
        ("gpt-4o", "0.001000"),
        ("claude-sonnet", "0.002000"),
    ]
    assert (
        written
        == rows()
        == (
            [("prompt-7", session, "user"), (data["assistantMessage"]["id"], session, "assistant")],
            2,
            2,
            (2, 72, Decimal("0.003")),
        )
    )
    assert Thread.objects.get(pk=session).updated_at == activity


def test_a_retry_is_answered_even_when_the_cap_is_now_reached(session, alice_client, settings):
    # given: the recording used the whole cap
    settings.DAILY_TOKEN_CAP = 72
    first = alice_client.execute(RECORD, {"input": recording()})
    written = rows()

    # when
    retry = alice_client.execute(RECORD, {"input": recording()})

    # then: the recording was counted once, so its retry is not over the cap
    assert "requests" in first["data"]["interactionRecord"]
    assert retry == first
    assert rows() == written


@pytest.mark.parametrize(
    "changes",
    [
        {"prompt": "What is Rust?"},
        {"routeMode": "single"},
        {"userMessage": {"id": "prompt-7", "content": "What is Rust?", "metadata": {"n": 7}}},
        {"userMessage": {"id": "prompt-7", "content": "What is Python?", "metadata": {"n": 8}}},
        {"assistantMessage": {"content": "Another answer."}},
        {"assistantMessage": {"id": "answer-7", "content": "Both agree: a programming language."}},
        {"calls": [{"provider": "openai", "model": "gpt-4o", "tokensIn": 10, "tokensOut": 20}]},
    ],
    ids=["prompt", "route", "content", "metadata", "answer", "answer-id", "calls"],
)
def test_the_same_id_with_another_payload_is_refused(session, alice_client, changes):
    # given
    alice_client.execute(RECORD, {"input": recording()})
    written = rows()

    # when
    result = alice_client.execute(RECORD, {"input": recording(**changes)})

    # then
    assert result == refusal("userMessage", DIFFERENT)
    assert rows() == written


def test_the_same_id_in_another_thread_is_refused(session, alice_client):
    # given
    alice_client.execute(THREAD_CREATE, {"input": {"id": "other-session"}})
    alice_client.execute(RECORD, {"input": recording()})
    written = rows()

    # when
    result = alice_client.execute(RECORD, {"input": recording(threadId="other-session")})

    # then
    assert result == refusal("userMessage", TAKEN, "CONFLICT")
    assert rows() == written


def test_the_same_id_by_another_user_is_refused(session, alice_client, bob_client, staff_client):
    # given: alice's recording; bob's own thread; staff who may write into alice's thread
    alice_client.execute(RECORD, {"input": recording()})
    bob_client.execute(THREAD_CREATE, {"input": {"id": "bob-session"}})
    written = rows()

    # when
    by_bob = bob_client.execute(RECORD, {"input": recording(threadId="bob-session")})
    by_staff = staff_client.execute(RECORD, {"input": recording()})

    # then
    assert by_bob == refusal("userMessage", TAKEN, "CONFLICT")
    assert by_staff == refusal("userMessage", DIFFERENT)
    assert rows() == written


def test_an_id_of_a_plain_message_is_refused(session, alice_client):
    # given
    alice_client.execute(
        MESSAGE_APPEND,
        {"threadId": session, "input": {"id": "prompt-7", "role": "USER", "content": "hi"}},
    )
    written = rows()

    # when
    result = alice_client.execute(RECORD, {"input": recording()})

    # then
    assert result == refusal("userMessage", TAKEN, "CONFLICT")
    assert rows() == written


@pytest.mark.parametrize("calls", [1, 3, 10])
def test_a_retry_takes_the_same_queries_for_any_number_of_calls(
    session, alice_client, calls, django_assert_num_queries
):
    # given
    call = {"provider": "p", "model": "m", "tokensIn": 1, "tokensOut": 1, "cost": "0.01"}
    sent = recording(calls=[call] * calls)
    first = alice_client.execute(RECORD, {"input": sent})

    # when: API key (1), the mutation's and the service's savepoints with their releases (4),
    # the thread (1), the refused insert (1),
    # the stored user message with its answer (1), the requests with their responses (1)
    with django_assert_num_queries(9):
        retry = alice_client.execute(RECORD, {"input": sent})

    # then
    assert retry == first
    assert len(retry["data"]["interactionRecord"]["requests"]) == calls


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_retries_store_and_count_one_recording(settings):
    # given: a cap that fits exactly one recording, so counting twice would refuse one
    settings.DAILY_TOKEN_CAP = 60
    settings.DAILY_COST_CAP = None
    owner = UserFactory(username="alice")
    services.thread_create(owner=owner, id="race")
    runs = 8
    barrier = threading.Barrier(runs)
    answers: list[tuple] = []
    failures: list[BaseException] = []
    calls = [
        services.LLMCall(provider="p", model=m, tokens_in=20, tokens_out=10, cost=Decimal("0.01"))
        for m in ("a", "b")
    ]

    def retry():
        try:
            barrier.wait()
            recorded = services.interaction_record(
                user=owner,
                api_key=None,
                thread_id="race",
                prompt="p",
                user_message=services.MessageData(id="prompt-1", content="q"),
                assistant_message=services.MessageData(content="a"),
                calls=calls,
            )
            answers.append(
                (
                    recorded.user_message.pk,
                    recorded.assistant_message.pk,
                    [request.pk for request in recorded.requests],
                )
            )
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=retry) for _ in range(runs)]

    # when
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # then: every attempt got the one stored recording
    assert failures == []
    stored = Message.objects.get(role="assistant").pk
    request_ids = list(LLMRequest.objects.order_by("id").values_list("id", flat=True))
    assert answers == [("prompt-1", stored, request_ids)] * runs
    assert (Message.objects.count(), len(request_ids), LLMResponse.objects.count()) == (2, 2, 2)
    usage = UsageDaily.objects.get()
    assert (usage.requests, usage.tokens, usage.cost) == (2, 60, Decimal("0.02"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_with_two_payloads_under_one_id_store_one_of_them(settings):
    # given: 3 attempts of each of two different recordings, all under the id "prompt-1"
    settings.DAILY_TOKEN_CAP = settings.DAILY_COST_CAP = None
    owner = UserFactory(username="alice")
    services.thread_create(owner=owner, id="race")
    runs = 6
    barrier = threading.Barrier(runs)
    outcomes: list[tuple[str, str]] = []
    failures: list[BaseException] = []

    def attempt(content: str):
        try:
            barrier.wait()
            recorded = services.interaction_record(
                user=owner,
                api_key=None,
                thread_id="race",
                prompt=content,
                user_message=services.MessageData(id="prompt-1", content=content),
                assistant_message=services.MessageData(content="a"),
                calls=[services.LLMCall(provider="p", model="m", tokens_in=5, tokens_out=5)],
            )
            outcomes.append(("recorded", recorded.user_message.content))
        except ValidationError as exc:
            outcomes.append(("refused", exc.message_dict["user_message"][0]))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=attempt, args=("q1" if n % 2 else "q2",)) for n in range(6)]

    # when
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # then: the payload that got there first is stored once; the other one is refused
    assert failures == []
    winner = Message.objects.get(pk="prompt-1").content
    assert sorted(outcomes) == [("recorded", winner)] * 3 + [("refused", DIFFERENT)] * 3
    assert (Message.objects.count(), LLMRequest.objects.count()) == (2, 1)
    assert UsageDaily.objects.get().requests == 1
