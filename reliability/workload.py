"""The operations of the mixed load: reads and writes of every app, by their GraphQL names."""

from __future__ import annotations

from reliability.load import Operation

LEARN_CREATE = """
mutation ($input: LearnItemCreateInput!) {
  learnItemCreate(input: $input) {
    __typename
    ... on LearnItem { id notes }
    ... on OperationInfo { messages { kind message } }
  }
}"""

LEARN_LIST = """
query {
  learnItems(pagination: {limit: 5}) {
    totalCount results { id kind tags createdBy { username } }
  }
}"""

VIEWER = "query { viewer { username permissions } }"
LEARN_STATS = "query { learnStats { total countByKind { kind count } } }"


def _learn_create(n: int) -> tuple[str, dict, str]:
    return (
        LEARN_CREATE,
        {"input": {"kind": "GOOD" if n % 2 else "BAD", "notes": "{marker}", "tags": ["load"]}},
        "learn",
    )


OPERATIONS: list[Operation] = [
    Operation(
        "learnItemCreate",
        _learn_create,
        written_id=lambda data: data["learnItemCreate"]["id"],
        check_sql=(
            "SELECT count(*) FROM learn_learnitem t "
            "JOIN unnest(%s::text[], %s::text[]) AS w(id, marker) "
            "ON t.id::text = w.id AND t.notes = w.marker"
        ),
    ),
    Operation("learnItems", lambda n: (LEARN_LIST, {}, None)),
    Operation("viewer", lambda n: (VIEWER, {}, None)),
    Operation("learnStats", lambda n: (LEARN_STATS, {}, None)),
]
