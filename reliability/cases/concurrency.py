"""Case 6: concurrent writes that must stay exact.

a) 64 concurrent interactionRecord calls against a daily token cap, through the server:
   exactly cap / tokens-per-call accepted, overshoot 0, every refusal DAILY_CAP_REACHED.
b) 50 threads x 200 usage increments (chat's one-statement upsert) on the real database:
   lost updates 0; the same load as a naive read-modify-write control must lose some,
   which shows the check can see losses.
c) Concurrent replays of one logIngest batch through the server: exactly one copy.
d) Concurrent assessmentRecord calls for one student through the server: attempt numbers
   unique and gap-free.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from reliability.client import Client, Response
from reliability.suite import Result, Suite

CAP_TOKENS = 2000
TOKENS_PER_CALL = 100
CAP_CALLS = 64
INCREMENT_THREADS = 50
INCREMENTS_PER_THREAD = 200
REPLAYS = 16
BATCH_SIZE = 500
ATTEMPTS = 32


def run(
    suite: Suite, *, prefix: str = "6", database_url: str | None = None, **server_env: str
) -> list[Result]:
    """Through the server (a, c, d); b runs in the suite's own process, directly on the
    database, and only without a pooler."""
    with suite.server(
        database_url=database_url,
        workers=4,
        threads=16,
        DAILY_TOKEN_CAP=str(CAP_TOKENS),
        **server_env,
    ) as (_s, client):
        results = [cap_race(suite, client)]
        if database_url is None:
            results.append(usage_increments(suite))
        results.append(ingest_replays(suite, client))
        results.append(attempt_numbers(suite, client))
    if prefix != "6":
        for result in results:
            result.name = result.name.replace("6", prefix, 1)
    return results


def together(count: int, call: Callable[[int], Response]) -> list[Response]:
    """Run `call(i)` from `count` threads released at the same moment."""
    barrier = threading.Barrier(count)
    answers: list[Response | None] = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        answers[i] = call(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return [a for a in answers if a is not None]


def payload(response: Response, field: str) -> dict:
    body = response.json if isinstance(response.json, dict) else {}
    return ((body.get("data") or {}).get(field)) or {}


# --- a) cap race ---------------------------------------------------------------------------

INTERACTION = """
mutation ($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    __typename
    ... on InteractionRecordResult { requests { id } }
    ... on OperationInfo { messages { code message } }
  }
}"""


def cap_race(suite: Suite, client: Client) -> Result:
    capper = suite.new_actor("capper")
    key, user_id = capper.key, capper.user_id
    thread_id = f"thread_cap_{secrets.token_hex(4)}"
    created = client.graphql(
        "mutation ($id: ID!) { threadCreate(input: {id: $id}) { __typename } }",
        {"id": thread_id},
        key=key,
    )
    if payload(created, "threadCreate").get("__typename") != "Thread":
        return Result("6a cap race (interactionRecord)", False, f"setup: {created.text[:200]}")

    def call(i: int) -> Response:
        return client.graphql(
            INTERACTION,
            {
                "input": {
                    "threadId": thread_id,
                    "prompt": f"prompt {i}",
                    "userMessage": {"content": f"question {i}"},
                    "assistantMessage": {"content": f"answer {i}"},
                    "calls": [{"provider": "p", "model": "m", "tokensIn": TOKENS_PER_CALL}],
                }
            },
            key=key,
        )

    answers = together(CAP_CALLS, call)
    kinds = [payload(a, "interactionRecord").get("__typename") for a in answers]
    accepted = kinds.count("InteractionRecordResult")
    capped = sum(
        1
        for a in answers
        if any(
            m.get("code") == "DAILY_CAP_REACHED"
            for m in payload(a, "interactionRecord").get("messages", [])
        )
    )
    tokens, requests = suite.pg.query(
        "SELECT coalesce(sum(tokens_in + tokens_out), 0), coalesce(sum(requests), 0) "
        "FROM chat_usagedaily WHERE user_id = %s",
        (int(user_id),),
    )[0]
    audit, messages = suite.pg.query(
        "SELECT (SELECT count(*) FROM chat_llmrequest WHERE thread_id = %s), "
        "(SELECT count(*) FROM chat_message WHERE thread_id = %s)",
        (thread_id, thread_id),
    )[0]
    expected = CAP_TOKENS // TOKENS_PER_CALL
    overshoot = max(0, tokens - CAP_TOKENS)
    ok = (
        accepted == expected
        and capped == CAP_CALLS - expected
        and tokens == expected * TOKENS_PER_CALL
        and requests == expected
        and audit == expected
        and messages == 2 * expected
        and overshoot == 0
    )
    figure = (
        f"{CAP_CALLS} concurrent calls of {TOKENS_PER_CALL} tokens, cap {CAP_TOKENS}: "
        f"accepted {accepted} (expected {expected}), refused with DAILY_CAP_REACHED {capped}, "
        f"usage {tokens} tokens / {requests} requests, LLM requests {audit}, messages "
        f"{messages}, overshoot {overshoot}"
    )
    other = [a.text[:200] for a, k in zip(answers, kinds, strict=True) if k is None][:3]
    return Result("6a cap race (interactionRecord)", ok, figure, other)


# --- b) usage increments -------------------------------------------------------------------


def usage_increments(suite: Suite) -> Result:
    """The service's atomic upsert vs. a naive read-modify-write, same threads and counts."""
    with suite.orm():
        from django.contrib.auth import get_user_model
        from django.db import connection

        from chat import services as chat_services
        from chat.models import UsageDaily

        users = get_user_model().objects
        atomic_user = users.create_user(username=f"usage-atomic-{secrets.token_hex(3)}")
        naive_user = users.create_user(username=f"usage-naive-{secrets.token_hex(3)}")
        day = date(2026, 1, 1)
        naive_row = UsageDaily.objects.create(user=naive_user, day=day)

        def atomic_increment() -> None:
            chat_services.usage_add(
                user=atomic_user,
                day=day,
                requests=1,
                tokens_in=1,
                tokens_out=0,
                cost=Decimal("0.001"),
            )

        def naive_increment() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT requests FROM chat_usagedaily WHERE id = %s", [naive_row.pk])
                (value,) = cursor.fetchone()
                cursor.execute(
                    "UPDATE chat_usagedaily SET requests = %s WHERE id = %s",
                    [value + 1, naive_row.pk],
                )

        errors: list[str] = []
        _hammer(atomic_increment, errors)
        _hammer(naive_increment, errors)
        atomic = UsageDaily.objects.get(user=atomic_user, day=day)
        naive_row.refresh_from_db()
    total = INCREMENT_THREADS * INCREMENTS_PER_THREAD
    lost = total - atomic.requests
    naive_lost = total - naive_row.requests
    ok = (
        not errors
        and lost == 0
        and atomic.tokens_in == total
        and atomic.cost == Decimal("0.001") * total
        and naive_lost > 0
    )
    figure = (
        f"{INCREMENT_THREADS} threads x {INCREMENTS_PER_THREAD} increments = {total}: "
        f"usage upsert lost {lost} (requests {atomic.requests}, tokens {atomic.tokens_in}, "
        f"cost {atomic.cost}); naive read-modify-write control lost {naive_lost}"
    )
    return Result("6b usage increments (lost updates)", ok, figure, errors[:3])


def _hammer(increment: Callable[[], None], errors: list[str]) -> None:
    from django.db import connection

    barrier = threading.Barrier(INCREMENT_THREADS)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(INCREMENTS_PER_THREAD):
                increment()
        except Exception as exc:  # reported, the case fails
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(INCREMENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


# --- c) ingest replays ---------------------------------------------------------------------

INGEST = """
mutation ($logs: [MonitoringLogInput!]!) {
  logIngest(logs: $logs) {
    __typename
    ... on LogIngestResult { received inserted duplicates errors { index message } }
    ... on OperationInfo { messages { code message } }
  }
}"""


def ingest_replays(suite: Suite, client: Client) -> Result:
    run_id = secrets.token_hex(4)
    logs = [
        {
            "clientId": f"replay-{run_id}-{i}",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "level": "INFO",
            "source": f"replay-{run_id}",
            "message": f"log {i}",
        }
        for i in range(BATCH_SIZE)
    ]
    key = suite.actors["owner"].key
    answers = together(REPLAYS, lambda i: client.graphql(INGEST, {"logs": logs}, key=key))
    outcomes = [payload(a, "logIngest") for a in answers]
    inserted = sum(o.get("inserted", 0) for o in outcomes)
    duplicates = sum(o.get("duplicates", 0) for o in outcomes)
    stored, distinct = suite.pg.query(
        "SELECT count(*), count(DISTINCT client_id) FROM monitoring_monitoringlog "
        "WHERE source = %s",
        (f"replay-{run_id}",),
    )[0]
    ok = (
        len(answers) == REPLAYS
        and all(o.get("received") == BATCH_SIZE and not o.get("errors") for o in outcomes)
        and inserted == BATCH_SIZE
        and duplicates == BATCH_SIZE * (REPLAYS - 1)
        and stored == distinct == BATCH_SIZE
    )
    figure = (
        f"{REPLAYS} concurrent replays of a {BATCH_SIZE}-log batch: rows stored {stored} "
        f"(distinct {distinct}), answers say inserted {inserted} / duplicates {duplicates}"
    )
    bad = [a.text[:200] for a, o in zip(answers, outcomes, strict=True) if not o][:3]
    return Result("6c logIngest replays (exactly one copy)", ok, figure, bad)


# --- d) attempt numbers --------------------------------------------------------------------

ASSESSMENT = """
mutation ($input: AssessmentRecordInput!) {
  assessmentRecord(input: $input) {
    __typename
    ... on Attempt { attemptNumber }
    ... on OperationInfo { messages { code message } }
  }
}"""


def attempt_numbers(suite: Suite, client: Client) -> Result:
    key = suite.actors["owner"].key
    student = suite.probed.values["student"]
    module = suite.probed.values["module"]
    title = f"Concurrent quiz {secrets.token_hex(3)}"
    answers = together(
        ATTEMPTS,
        lambda i: client.graphql(
            ASSESSMENT,
            {
                "input": {
                    "student": student,
                    "module": module,
                    "kind": "QUIZ",
                    "title": title,
                    "score": i % 10,
                    "maxScore": 10,
                }
            },
            key=key,
        ),
    )
    numbers = sorted(
        payload(a, "assessmentRecord").get("attemptNumber")
        for a in answers
        if payload(a, "assessmentRecord").get("__typename") == "Attempt"
    )
    stored = [
        row[0]
        for row in suite.pg.query(
            "SELECT h.attempt_number FROM students_attempthistory h "
            "JOIN students_assessment a ON a.id = h.assessment_id "
            "WHERE a.title = %s ORDER BY h.attempt_number",
            (title,),
        )
    ]
    expected = list(range(1, ATTEMPTS + 1))
    ok = numbers == expected and stored == expected
    figure = (
        f"{ATTEMPTS} concurrent attempts for one student: answered numbers "
        f"{'1..' + str(ATTEMPTS) + ' unique, no gaps' if numbers == expected else numbers}; "
        f"stored {'the same' if stored == expected else stored}"
    )
    bad = [a.text[:200] for a in answers if a.status != 200 or a.errors()][:3]
    return Result("6d assessmentRecord attempt numbers", ok, figure, bad)
