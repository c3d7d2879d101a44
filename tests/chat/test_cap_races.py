import threading
from decimal import Decimal

import pytest
from django.db import connection

from chat import services
from chat.models import LLMRequest, Message, UsageDaily
from tests.chat.factories import ThreadFactory
from tests.factories import UserFactory


def record_concurrently(owner, runs: int, calls: list[services.LLMCall]):
    """`runs` recordings started together on real connections; (accepted, refused, failures)."""
    barrier = threading.Barrier(runs)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def record():
        try:
            barrier.wait()
            services.interaction_record(
                user=owner,
                api_key=None,
                thread_id="race",
                prompt="p",
                user_message=services.MessageData(content="q"),
                assistant_message=services.MessageData(content="a"),
                calls=calls,
            )
            outcomes.append("accepted")
        except services.DailyCapReached:
            outcomes.append("refused")
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes.count("accepted"), outcomes.count("refused"), failures


@pytest.mark.django_db(transaction=True)
def test_concurrent_recordings_without_caps_add_up_exactly(settings):
    # given
    settings.DAILY_TOKEN_CAP = settings.DAILY_COST_CAP = None
    owner = UserFactory(username="alice")
    ThreadFactory(id="race", owner=owner)

    # when: 12 recordings of 2 calls each, at once
    calls = [
        services.LLMCall(provider="p", model=m, tokens_in=7, tokens_out=3, cost=Decimal("0.01"))
        for m in ("a", "b")
    ]
    accepted, refused, failures = record_concurrently(owner, 12, calls)

    # then
    assert (accepted, refused, failures) == (12, 0, [])
    usage = UsageDaily.objects.get()
    assert (usage.requests, usage.tokens_in, usage.tokens_out, usage.cost) == (
        24,
        168,
        72,
        Decimal("0.24"),
    )
    assert (Message.objects.count(), LLMRequest.objects.count()) == (24, 24)


@pytest.mark.django_db(transaction=True)
def test_concurrent_recordings_never_pass_the_cap(settings):
    # given: room for exactly 5 recordings of 100 tokens
    settings.DAILY_TOKEN_CAP = 500
    settings.DAILY_COST_CAP = None
    owner = UserFactory(username="alice")
    ThreadFactory(id="race", owner=owner)

    # when: 12 at once
    calls = [services.LLMCall(provider="p", model="m", tokens_in=60, tokens_out=40)]
    accepted, refused, failures = record_concurrently(owner, 12, calls)

    # then: exactly the ones that fit were written, the others left nothing behind
    assert (accepted, refused, failures) == (5, 7, [])
    usage = UsageDaily.objects.get()
    assert (usage.requests, usage.tokens) == (5, 500)
    assert (Message.objects.count(), LLMRequest.objects.count()) == (10, 5)
