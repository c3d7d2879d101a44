"""The chat dashboard: the most expensive threads and the per-day figures split by model and
by API key, from the LLM audit."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from chat.models import ApiKey, LLMRequest, LLMResponse
from tests.chat.factories import ThreadFactory
from tests.dashboards.conftest import chart, table


def audit(user, when, model, tokens, cost, *, thread=None, api_key=None):
    request = LLMRequest.objects.create(
        user=user,
        api_key=api_key,
        thread=thread,
        provider="openai",
        model=model,
        prompt_sha256="0" * 64,
        created_at=when,
    )
    LLMResponse.objects.create(request=request, tokens_in=tokens, tokens_out=1, cost=Decimal(cost))


@pytest.fixture
def history(make_user):
    alice = make_user("alice")
    key = ApiKey.objects.create(user=alice, name="cli", prefix="clikey0001", key_hash="x")
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.combine(today, time(12)))
    cheap, dear, old = (ThreadFactory(title=t) for t in ("cheap", "dear", "old"))
    audit(alice, noon, "gpt-4o", 10, "0.010", thread=cheap, api_key=key)
    audit(alice, noon, "claude", 20, "0.500", thread=dear)
    audit(alice, noon - timedelta(days=1), "gpt-4o", 30, "0.200", thread=dear, api_key=key)
    audit(alice, noon - timedelta(days=1), "gpt-4o", 5, "0.001")  # no thread
    audit(alice, noon - timedelta(days=40), "gpt-4o", 1, "9", thread=old)  # out of 30 days
    return {"today": f"{today}", "yesterday": f"{today - timedelta(days=1)}", "dear": dear}


def test_the_most_expensive_threads_of_the_period(boss_client, history):
    # when
    response = boss_client.get("/admin/dashboards/chat/")

    # then: tokens are in + out; the thread 40 days ago is outside the 30 days
    assert response.status_code == 200
    rows = table(response, "Most expensive threads")
    assert [row[1:] for row in rows] == [
        ["dear", 2, 52, Decimal("0.700000")],
        ["cheap", 1, 11, Decimal("0.010000")],
    ]
    assert rows[0][0] == history["dear"].pk


def test_the_most_expensive_threads_over_90_days_include_older_ones(boss_client, history):
    # when
    response = boss_client.get("/admin/dashboards/chat/", {"days": "90"})

    # then
    rows = table(response, "Most expensive threads")
    assert [row[1] for row in rows] == ["old", "dear", "cheap"]


def test_per_day_figures_are_split_by_model_and_by_api_key(boss_client, history):
    # given
    today, yesterday = history["today"], history["yesterday"]

    # when
    response = boss_client.get("/admin/dashboards/chat/")

    # then: one segment per day and model (or key), summing to the day's total
    assert chart(response, "requests-by-model") == {
        f"{yesterday} gpt-4o": 2,
        f"{today} gpt-4o": 1,
        f"{today} claude": 1,
    }
    assert chart(response, "cost-by-model") == {
        f"{yesterday} gpt-4o": 0.201,
        f"{today} gpt-4o": 0.01,
        f"{today} claude": 0.5,
    }
    assert chart(response, "tokens-by-api-key") == {
        f"{yesterday} clikey0001": 31,
        f"{yesterday} (none)": 6,
        f"{today} clikey0001": 11,
        f"{today} (none)": 21,
    }
    assert chart(response, "cost") == {yesterday: 0.201, today: 0.51}


def test_stacked_segments_fill_the_day_bar_to_its_total(boss_client, history):
    # when
    response = boss_client.get("/admin/dashboards/chat/")

    # then: the highest stack (2 requests) spans the chart height, series in order of appearance
    (requests,) = [c for c in response.context["charts"] if c.key == "requests-by-model"]
    today = [b for b in requests.bars if b.label == history["today"]]
    assert requests.maximum == 2
    assert [(b.series, b.y, b.height) for b in today] == [
        ("gpt-4o", 80.0, 80.0),
        ("claude", 0.0, 80.0),
    ]
    assert b'data-series="claude"' in response.content
