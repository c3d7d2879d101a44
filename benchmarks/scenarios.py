"""The benchmark scenarios: one GraphQL request and its raw baseline each.

Both sides get the same variables (GraphQL as `variables`, the raw view as its JSON body) and
must answer the same JSON. `budget` is the most SQL statements one GraphQL request may run,
counting the 3 of authentication (API key lookup, user and group permissions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

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
    """What `prepare` and `verify` may do: send requests as the bench user."""

    def graphql(self, query: str, variables: dict | None = None) -> dict: ...

    def raw(self, name: str, variables: dict) -> dict: ...


def constant(variables: dict) -> Callable[[int, str, dict], dict]:
    return lambda _number, _variant, _state: variables


LEARN_ITEMS_QUERY = """
query LearnItemsByTags($tags: [String!]!, $limit: Int!, $offset: Int!) {
  learnItems(filters: {tagsAll: $tags}, pagination: {limit: $limit, offset: $offset}) {
    totalCount
    results {
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
        variables=constant({"tags": ["email", "conversion"], "limit": 50, "offset": 0}),
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

SCENARIOS: list[Scenario] = [*LEARN]
