"""The benchmark scenarios: one GraphQL request and its raw baseline each.

Both sides get the same variables (GraphQL as `variables`, the raw view as its JSON body) and
must answer the same JSON. `budget` is the most SQL statements one GraphQL request may run,
counting the 1 of authentication (the API key with its user and permissions).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from benchmarks import constants as chat_seed

GRAPHQL = "graphql"
RAW = "raw"
VARIANTS = (GRAPHQL, RAW)


@dataclass(frozen=True)
class Scenario:
    name: str
    app: str
    description: str
    query: str
    # Name of the raw endpoint (/bench/raw/<raw>); None: GraphQL only (no raw counterpart).
    raw: str | None
    budget: int
    # (request number, variant, state from `prepare`) -> variables; reads send the same
    # variables every time, writes new ids per request.
    variables: Callable[[int, str, dict], dict]
    # Rows each request carries (ingest); the table then shows rows/s next to req/s.
    rows_per_request: int = 0
    # Concurrency levels and requests per variant and level; None: the run's.
    levels: tuple[int, ...] | None = None
    requests: int | None = None
    # Applied to both parsed answers before they are compared (writes answer new ids).
    normalize: Callable[[dict], object] = field(default=lambda answer: answer)
    writes: bool = False
    # Before the answers are compared: state for `variables` (e.g. a cursor deep in a list).
    prepare: Callable[[Session], dict] | None = None
    # After the timing: None, or what is wrong (e.g. usage totals that do not add up).
    verify: Callable[[Session, dict], str | None] | None = None


class Session(Protocol):
    """What `prepare` and `verify` may do: send requests as the bench user (or another key)."""

    def graphql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        api_key: str | None = None,
        expect_ok: bool = True,
    ) -> dict: ...

    def raw(self, name: str, variables: dict) -> dict: ...


def constant(variables: dict) -> Callable[[int, str, dict], dict]:
    return lambda _number, _variant, _state: variables


LEARN_ITEMS_QUERY = """
query LearnItemsByTags($tags: [String!]!, $first: Int!) {
  learnItems(filters: {tagsAll: $tags}, first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      kind
      filename
      sizeBytes
      notes
      tags
      createdAt
      createdBy { id username }
    }
  }
}
"""

LEARN_STATS_QUERY = """
query LearnStats($limit: Int!) {
  learnStats {
    total
    countByKind { kind count }
    tagFrequency(limit: $limit) { tag count }
  }
}
"""

LEARN = [
    Scenario(
        name="learn_items_by_tags",
        app="learn",
        description="learnItems with tagsAll of 2 tags, totalCount, page of 50 with createdBy",
        query=LEARN_ITEMS_QUERY,
        raw="learn-items",
        budget=5,
        variables=constant({"tags": ["email", "conversion"], "first": 50}),
    ),
    Scenario(
        name="learn_stats",
        app="learn",
        description="learnStats: total, countByKind, tagFrequency(limit: 10)",
        query=LEARN_STATS_QUERY,
        raw="learn-stats",
        budget=5,
        variables=constant({"limit": 10}),
    ),
]


LOGS_QUERY = """
query Logs($filters: MonitoringLogFilter, $first: Int!, $after: String) {
  logs(filters: $filters, first: $first, after: $after) {
    edges {
      cursor
      node { id clientId timestamp receivedAt level source message context }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

LOG_INGEST_QUERY = """
mutation LogIngest($logs: [MonitoringLogInput!]!) {
  logIngest(logs: $logs) {
    __typename
    ... on LogIngestResult {
      received
      inserted
      duplicates
      errors { index field message }
    }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""

DEEP_PAGE = 10_000
INGEST_BATCH = 5_000
INGEST_T0 = datetime(2019, 1, 1, tzinfo=UTC)
INGEST_LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "WARNING", "ERROR"]


def deep_logs_cursor(session: Session) -> dict:
    return session.raw("logs-cursor", {"page": DEEP_PAGE, "first": 100})


def deep_logs_variables(_number: int, _variant: str, state: dict) -> dict:
    return {"filters": None, "first": 100, "after": state["cursor"]}


def new_run(_session: Session) -> dict:
    """A token that makes this run's client ids new (the data may be reused: BENCH_SEED=0)."""
    return {"run": uuid.uuid4().hex[:12]}


def ingest_batch(number: int, variant: str, state: dict) -> dict:
    prefix = f"bench-{state['run']}-{variant}-{number}"
    return {
        "logs": [
            {
                "clientId": f"{prefix}-{k}",
                "timestamp": (INGEST_T0 + timedelta(seconds=number * INGEST_BATCH + k)).isoformat(),
                "level": INGEST_LEVELS[k % len(INGEST_LEVELS)],
                "source": "ingest-bench",
                "message": f"batch {number} log {k}: GET /api/items/{k} answered in {k % 900} ms",
                "context": {"request_id": f"{prefix}-{k}", "user": k % 1000},
            }
            for k in range(INGEST_BATCH)
        ]
    }


MONITORING = [
    Scenario(
        name="logs_page_1",
        app="monitoring",
        description="logs by source and level over a 7-day range: first page of 100 (keyset)",
        query=LOGS_QUERY,
        raw="logs-page",
        budget=4,
        variables=constant(
            {
                "filters": {
                    "source": "api",
                    "level": "ERROR",
                    "timestampFrom": "2026-10-10T00:00:00+00:00",
                    "timestampBefore": "2026-10-17T00:00:00+00:00",
                },
                "first": 100,
                "after": None,
            }
        ),
    ),
    Scenario(
        name="logs_deep_page",
        app="monitoring",
        description=f"logs page {DEEP_PAGE:,} of 100 (or the last page when fewer), keyset "
        "cursor, no filter",
        query=LOGS_QUERY,
        raw="logs-page",
        budget=4,
        variables=deep_logs_variables,
        prepare=deep_logs_cursor,
    ),
    Scenario(
        name="log_ingest_5000",
        app="monitoring",
        description=f"logIngest of {INGEST_BATCH:,}-log batches vs COPY of the same rows",
        query=LOG_INGEST_QUERY,
        raw="log-ingest-copy",
        budget=4,
        variables=ingest_batch,
        rows_per_request=INGEST_BATCH,
        levels=(1, 4),
        requests=12,
        writes=True,
        prepare=new_run,
    ),
]


STUDENTS_QUERY = """
query Students($first: Int!, $events: Int!) {
  students(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      code
      name
      status
      enrolledAt
      latestPrediction { id riskScore riskBand modelVersion asOf predictedAt }
      events(first: $events) {
        nodes {
          id
          eventType
          occurredAt
          durationS
          metadata
          module { id code }
        }
      }
    }
  }
}
"""

DROPOUT_RISK_QUERY = """
mutation DropoutRisk($asOf: DateTime) {
  dropoutRiskCompute(asOf: $asOf) {
    __typename
    ... on DropoutRiskComputeResult { asOf modelVersion count }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""

STUDENTS = [
    Scenario(
        name="students_page",
        app="students",
        description="students page of 50 with totalCount, latest prediction and newest 10 events",
        query=STUDENTS_QUERY,
        raw="students-page",
        budget=7,
        variables=constant({"first": 50, "events": 10}),
    ),
    Scenario(
        name="dropout_risk_compute",
        app="students",
        description="dropoutRiskCompute for every active student (seconds per run)",
        query=DROPOUT_RISK_QUERY,
        raw=None,
        budget=40,
        variables=constant({"asOf": "2026-11-01T00:00:00+00:00"}),
        levels=(1,),
        requests=3,
        writes=True,
    ),
]


THREAD_FIELDS = """
      id
      title
      agentType
      metadata
      createdAt
      updatedAt
      owner { id username }
"""
MESSAGE_FIELDS = "id threadId type role content metadata createdAt"

THREADS_QUERY = f"""
query Threads($first: Int!, $last: Int!) {{
  threads(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      {THREAD_FIELDS}
      messages(last: $last) {{ nodes {{ {MESSAGE_FIELDS} }} }}
    }}
  }}
}}
"""

THREAD_PAGE_QUERY = f"""
query ThreadPage($id: ID!, $first: Int!, $after: String) {{
  thread(id: $id) {{
    {THREAD_FIELDS}
    messages(first: $first, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {MESSAGE_FIELDS} }}
    }}
  }}
}}
"""

# The big thread's messages, read the way a client walks them: pages of THREAD_PAGE with `after`.
THREAD_PAGE = 100
THREAD_PAGES = 5


def thread_page_cursors(session: Session) -> dict:
    """The `after` of each page of the big thread (None for the first), computed in SQL."""
    return session.raw(
        "thread-cursors", {"id": chat_seed.BIG_THREAD, "first": THREAD_PAGE, "pages": THREAD_PAGES}
    )


def thread_page_variables(number: int, _variant: str, state: dict) -> dict:
    """Request `number` reads page `number` mod 5: five requests in a row read the thread."""
    after = state["cursors"][number % len(state["cursors"])]
    return {"id": chat_seed.BIG_THREAD, "first": THREAD_PAGE, "after": after}


INTERACTION_QUERY = """
mutation Record($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    __typename
    ... on InteractionRecordResult {
      thread { id updatedAt }
      userMessage { id threadId type role content metadata createdAt }
      assistantMessage { id threadId type role content metadata createdAt }
      requests { id provider model routeMode promptSha256 tokensIn tokensOut cost error }
    }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""

USAGE_TODAY_QUERY = "{ usageToday { usage { requests tokens } tokenCap } }"
CAP_RACE_RECORDINGS = 64


def interaction_input(number: int, variant: str, state: dict, thread: str = "") -> dict:
    """One prompt answered by two models (compare mode): 1,000 tokens in all."""
    prefix = f"bench-{state.get('run', 'x')}-{variant}-{number}"
    return {
        "input": {
            "threadId": thread or chat_seed.INTERACTIONS_THREAD,
            "prompt": f"Compare two answers to question {number}",
            "routeMode": "compare",
            "userMessage": {"id": f"{prefix}-q", "content": f"Question {number}?"},
            "assistantMessage": {"id": f"{prefix}-a", "content": f"Answer to {number}."},
            "calls": [
                {"provider": "openai", "model": "gpt-4o-mini", "tokensIn": 120,
                 "tokensOut": 380, "cost": "0.000310", "latencyMs": 820},
                {"provider": "anthropic", "model": "claude-haiku", "tokensIn": 120,
                 "tokensOut": 380, "cost": "0.000450", "latencyMs": 640},
            ],
        }
    }  # fmt: skip


def interaction_shape(answer: dict) -> object:
    """What both ways must agree on: everything but new ids, times and the caller's ids."""
    record = answer["data"]["interactionRecord"]
    if record.get("__typename") != "InteractionRecordResult":
        return record

    def message(m: dict) -> dict:
        return {k: m[k] for k in ("threadId", "type", "role", "content", "metadata")}

    return {
        "thread": record["thread"]["id"],
        "userMessage": message(record["userMessage"]),
        "assistantMessage": message(record["assistantMessage"]),
        "requests": [{k: v for k, v in r.items() if k != "id"} for r in record["requests"]],
    }


def interaction_prepare(session: Session) -> dict:
    return new_run(session)


def interaction_verify(session: Session, state: dict) -> str | None:
    """Usage totals equal what was recorded (no lost update under concurrency), and the capped
    user's last CAPPED_ROOM recordings fit exactly: 64 concurrent tries, 40 pass, total = cap."""
    check = session.raw("usage-check", {})
    if check["usage"] != check["recorded"]:
        return f"usage {check['usage']} != recorded {check['recorded']}"
    key = state["capped_api_key"]

    def record(number: int) -> str:
        variables = interaction_input(number, "capped", state, thread=chat_seed.CAPPED_THREAD)
        answer = session.graphql(INTERACTION_QUERY, variables, api_key=key, expect_ok=False)
        return answer["data"]["interactionRecord"]["__typename"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(record, range(CAP_RACE_RECORDINGS)))
    usage = session.graphql(USAGE_TODAY_QUERY, api_key=key)["data"]["usageToday"]
    passed = outcomes.count("InteractionRecordResult")
    state["cap_race"] = {"passed": passed, "refused": outcomes.count("OperationInfo"), **usage}
    if passed != chat_seed.CAPPED_ROOM or usage["usage"]["tokens"] != chat_seed.TOKEN_CAP:
        return f"cap race: {state['cap_race']}, expected {chat_seed.CAPPED_ROOM} to pass"
    return None


CHAT = [
    Scenario(
        name="threads_last_messages",
        app="chat",
        description="threads page of 100 with totalCount, owner and each one's last 20 messages",
        query=THREADS_QUERY,
        raw="threads-last-messages",
        budget=4,
        variables=constant({"first": 100, "last": 20}),
    ),
    Scenario(
        name="thread_500_in_pages",
        app="chat",
        description=f"one thread of 500 messages walked in pages of {THREAD_PAGE} with `after` "
        f"(request n reads page n mod {THREAD_PAGES}: every {THREAD_PAGES} requests read it all)",
        query=THREAD_PAGE_QUERY,
        raw="thread-messages",
        budget=4,
        variables=thread_page_variables,
        prepare=thread_page_cursors,
    ),
    Scenario(
        name="interaction_record",
        app="chat",
        description="interactionRecord (compare mode: 2 model calls) at concurrency 8; usage "
        "exact afterwards; a cap race of 64 recordings with room for 40",
        query=INTERACTION_QUERY,
        raw="interaction-record",
        budget=12,
        variables=interaction_input,
        levels=(8,),
        writes=True,
        normalize=interaction_shape,
        prepare=interaction_prepare,
        verify=interaction_verify,
    ),
]

SCENARIOS: list[Scenario] = [*CHAT, *LEARN, *MONITORING, *STUDENTS]
