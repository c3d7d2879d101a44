"""PostGraphile's query for each read scenario, and how its answer reads as the service's.

PostGraphile (Amber preset, PostgreSQL's tables as they are) names things its own way:
`allChatThreads`, `rowId` for the primary key (`id` is its global Node id), relations such as
`authUserByOwnerId` or `chatMessagesByThreadId`, enums as plain text or integers. `answer`
turns a PostGraphile answer into the service's field names and value formats; `service` takes
from the service's answer what is compared. Cursors are the one thing left out on both sides:
each API makes its own (the rows they point at are compared through the next pages instead).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from benchmarks import constants
from benchmarks.sql import decode_cursor

# The service's enum spelling of the logs' integer levels.
LEVEL_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
LEVEL_NUMBERS = {name: number for number, name in LEVEL_NAMES.items()}


class PeerSession(Protocol):
    """What a `prepare` may do: send a PostGraphile request as the bench user."""

    def peer(self, operation: str, query: str, variables: dict) -> dict: ...


@dataclass(frozen=True)
class PeerQuery:
    scenario: str
    operation: str
    query: str
    # The model permission the service's field requires (None: any signed-in user).
    permission: str | None
    # (the GraphQL request's variables, peer state) -> PostGraphile's variables.
    variables: Callable[[dict, dict], dict]
    # PostGraphile's answer -> the service's shape, without cursors.
    answer: Callable[[dict], object]
    # The service's answer -> what is compared (cursors left out).
    service: Callable[[dict], object] = lambda answer: without_cursors(answer)
    # Before the answers are compared: peer state (e.g. PostGraphile's cursors).
    prepare: Callable[[PeerSession, dict], dict] | None = None


def without_cursors(value: object) -> object:
    """`value` with every `cursor` and `endCursor` key left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_cursors(v) for k, v in value.items() if k not in {"cursor", "endCursor"}}
    if isinstance(value, list):
        return [without_cursors(item) for item in value]
    return value


def iso(value: str | None) -> str | None:
    """A PostGraphile Datetime as the service prints it (isoformat in UTC, microseconds only
    when not zero)."""
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def upper(value: str | None) -> str | None:
    return None if value is None else value.upper()


def integer(value: str | None) -> int | None:
    """A PostGraphile BigInt (a string) as the service's Int."""
    return None if value is None else int(value)


def ref(node: dict | None, *fields: str) -> dict | None:
    """A related row ({rowId, …}) as the service's {id, …}."""
    if node is None:
        return None
    return {"id": str(node["rowId"]), **{field: node[field] for field in fields}}


def page_info(info: dict) -> dict:
    return {"hasNextPage": info["hasNextPage"]}


def peer_cursor(digest: str, *values: str) -> str:
    """A PostGraphile cursor: base64 of the JSON array [order digest, *sort-key texts]."""
    text = json.dumps([digest, *values], separators=(",", ":"))
    return base64.b64encode(text.encode()).decode()


def cursor_digest(cursor: str) -> str:
    """The order digest of a PostGraphile cursor (the same for every row of one ordering)."""
    return json.loads(base64.b64decode(cursor))[0]


def pg_timestamp(value: str) -> str:
    """An ISO time as PostGraphile writes it in a cursor (microseconds always)."""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


# --- chat ------------------------------------------------------------------------------------

THREAD_FIELDS = (
    "rowId title agentType metadata createdAt updatedAt authUserByOwnerId { rowId username }"
)
MESSAGE_FIELDS = "rowId threadId type role content metadata createdAt"
MESSAGE_ORDER = "[CREATED_AT_ASC, SEQ_ASC, PRIMARY_KEY_ASC]"

THREADS = f"""
query PeerThreads($owner: Int!, $first: Int!, $last: Int!) {{
  allChatThreads(condition: {{ownerId: $owner}}, first: $first,
                 orderBy: [UPDATED_AT_DESC, PRIMARY_KEY_DESC]) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      {THREAD_FIELDS}
      chatMessagesByThreadId(last: $last, orderBy: {MESSAGE_ORDER}) {{
        nodes {{ {MESSAGE_FIELDS} }}
      }}
    }}
  }}
}}
"""

THREAD_PAGE = f"""
query PeerThreadPage($owner: Int!, $id: String!, $first: Int!, $after: Cursor) {{
  allChatThreads(condition: {{rowId: $id, ownerId: $owner}}, first: 1) {{
    nodes {{
      {THREAD_FIELDS}
      chatMessagesByThreadId(first: $first, after: $after, orderBy: {MESSAGE_ORDER}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {MESSAGE_FIELDS} }}
      }}
    }}
  }}
}}
"""


def message(node: dict) -> dict:
    return {
        "id": node["rowId"],
        "threadId": node["threadId"],
        "type": node["type"],
        "role": upper(node["role"]),
        "content": node["content"],
        "metadata": node["metadata"],
        "createdAt": iso(node["createdAt"]),
    }


def thread(node: dict, messages: dict) -> dict:
    return {
        "id": node["rowId"],
        "title": node["title"],
        "agentType": node["agentType"],
        "metadata": node["metadata"],
        "createdAt": iso(node["createdAt"]),
        "updatedAt": iso(node["updatedAt"]),
        "owner": ref(node["authUserByOwnerId"], "username"),
        "messages": messages,
    }


def threads_answer(answer: dict) -> dict:
    threads = answer["data"]["allChatThreads"]
    return {
        "data": {
            "threads": {
                "totalCount": threads["totalCount"],
                "pageInfo": page_info(threads["pageInfo"]),
                "nodes": [
                    thread(
                        node,
                        {"nodes": [message(m) for m in node["chatMessagesByThreadId"]["nodes"]]},
                    )
                    for node in threads["nodes"]
                ],
            }
        }
    }


def thread_page_answer(answer: dict) -> dict:
    nodes = answer["data"]["allChatThreads"]["nodes"]
    if not nodes:
        return {"data": {"thread": None}}
    messages = nodes[0]["chatMessagesByThreadId"]
    page = {
        "pageInfo": page_info(messages["pageInfo"]),
        "nodes": [message(m) for m in messages["nodes"]],
    }
    return {"data": {"thread": thread(nodes[0], page)}}


def thread_page_prepare(session: PeerSession, state: dict) -> dict:
    """PostGraphile's `after` for each of the service's page cursors: the same sort keys
    (created_at, seq, id) under PostGraphile's digest of the order."""
    variables = {"owner": state["user_id"], "id": constants.BIG_THREAD, "first": 1, "after": None}
    first = session.peer("PeerThreadPage", THREAD_PAGE, variables)
    messages = first["data"]["allChatThreads"]["nodes"][0]["chatMessagesByThreadId"]
    digest = cursor_digest(messages["pageInfo"]["endCursor"])
    cursors = {}
    for cursor in state["cursors"]:
        if cursor is not None:
            at, seq, pk = decode_cursor(cursor, "created_at,seq,id")
            cursors[cursor] = peer_cursor(digest, pg_timestamp(at), str(seq), pk)
    return {"peer_cursors": cursors}


def thread_page_variables(variables: dict, state: dict) -> dict:
    after = variables.get("after")
    return {
        "owner": state["user_id"],
        "id": variables["id"],
        "first": variables["first"],
        "after": state["peer_cursors"][after] if after else None,
    }


# --- learn -----------------------------------------------------------------------------------

LEARN_ITEMS = """
query PeerLearnItems($tags: JSON!, $first: Int!) {
  allLearnLearnitems(condition: {tagsContain: $tags}, first: $first,
                     orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      rowId kind filename sizeBytes notes tags createdAt
      authUserByCreatedById { rowId username }
    }
  }
}
"""


def learn_items_answer(answer: dict) -> dict:
    items = answer["data"]["allLearnLearnitems"]
    return {
        "data": {
            "learnItems": {
                "totalCount": items["totalCount"],
                "pageInfo": page_info(items["pageInfo"]),
                "nodes": [
                    {
                        "id": str(node["rowId"]),
                        "kind": upper(node["kind"]),
                        "filename": node["filename"],
                        "sizeBytes": integer(node["sizeBytes"]),
                        "notes": node["notes"],
                        "tags": node["tags"],
                        "createdAt": iso(node["createdAt"]),
                        "createdBy": ref(node["authUserByCreatedById"], "username"),
                    }
                    for node in items["nodes"]
                ],
            }
        }
    }


# --- monitoring ------------------------------------------------------------------------------

LOGS = """
query PeerLogs($condition: MonitoringMonitoringlogCondition, $first: Int!, $after: Cursor) {
  allMonitoringMonitoringlogs(condition: $condition, first: $first, after: $after,
                              orderBy: [TIMESTAMP_DESC, PRIMARY_KEY_DESC]) {
    edges {
      cursor
      node { rowId clientId timestamp receivedAt level source message context }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def logs_condition(filters: dict | None) -> dict | None:
    """The service's log filters as PostGraphile's condition (the level as its integer)."""
    if not filters:
        return None
    condition = dict(filters)
    if "level" in condition:
        condition["level"] = LEVEL_NUMBERS[condition["level"]]
    return condition


def logs_variables(variables: dict, state: dict) -> dict:
    after = variables.get("after")
    return {
        "condition": logs_condition(variables.get("filters")),
        "first": variables["first"],
        "after": state["peer_cursors"][after] if after else None,
    }


def logs_answer(answer: dict) -> dict:
    logs = answer["data"]["allMonitoringMonitoringlogs"]
    return {
        "data": {
            "logs": {
                "edges": [
                    {
                        "node": {
                            "id": str(edge["node"]["rowId"]),
                            "clientId": edge["node"]["clientId"],
                            "timestamp": iso(edge["node"]["timestamp"]),
                            "receivedAt": iso(edge["node"]["receivedAt"]),
                            "level": LEVEL_NAMES[edge["node"]["level"]],
                            "source": edge["node"]["source"],
                            "message": edge["node"]["message"],
                            "context": edge["node"]["context"],
                        }
                    }
                    for edge in logs["edges"]
                ],
                "pageInfo": page_info(logs["pageInfo"]),
            }
        }
    }


def logs_prepare(session: PeerSession, state: dict) -> dict:
    """PostGraphile's `after` for the service's deep cursor: the cursor PostGraphile gives the
    same row in the same order (asked for by its id, so no deep walk; a cursor holds the
    order's digest and the row's sort-key values, whatever the condition; the partitioned
    table's primary key is (id, timestamp), which the order's PRIMARY_KEY_DESC expands to)."""
    cursors = {}
    if state.get("cursor"):
        _at, pk = decode_cursor(state["cursor"], "-timestamp,-id")
        row = session.peer("PeerLogs", LOGS, {"condition": {"rowId": pk}, "first": 1})
        (edge,) = row["data"]["allMonitoringMonitoringlogs"]["edges"]
        cursors[state["cursor"]] = edge["cursor"]
    return {"peer_cursors": cursors}


# --- students --------------------------------------------------------------------------------

STUDENTS = """
query PeerStudents($first: Int!, $events: Int!) {
  allStudentsStudents(first: $first, orderBy: [CODE_ASC, PRIMARY_KEY_ASC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      rowId code name status enrolledAt
      studentsDropoutpredictionByLatestPredictionId {
        rowId riskScore riskBand modelVersion asOf predictedAt
      }
      studentsLearningeventsByStudentId(first: $events,
                                        orderBy: [OCCURRED_AT_DESC, PRIMARY_KEY_DESC]) {
        nodes {
          rowId eventType occurredAt durationS metadata
          studentsConceptmoduleByModuleId { rowId code }
        }
      }
    }
  }
}
"""


def prediction(node: dict | None) -> dict | None:
    if node is None:
        return None
    return {
        "id": str(node["rowId"]),
        "riskScore": node["riskScore"],
        "riskBand": upper(node["riskBand"]),
        "modelVersion": node["modelVersion"],
        "asOf": iso(node["asOf"]),
        "predictedAt": iso(node["predictedAt"]),
    }


def event(node: dict) -> dict:
    return {
        "id": str(node["rowId"]),
        "eventType": upper(node["eventType"]),
        "occurredAt": iso(node["occurredAt"]),
        "durationS": node["durationS"],
        "metadata": node["metadata"],
        "module": ref(node["studentsConceptmoduleByModuleId"], "code"),
    }


def students_answer(answer: dict) -> dict:
    students = answer["data"]["allStudentsStudents"]
    return {
        "data": {
            "students": {
                "totalCount": students["totalCount"],
                "pageInfo": page_info(students["pageInfo"]),
                "nodes": [
                    {
                        "id": str(node["rowId"]),
                        "code": node["code"],
                        "name": node["name"],
                        "status": upper(node["status"]),
                        "enrolledAt": iso(node["enrolledAt"]),
                        "latestPrediction": prediction(
                            node["studentsDropoutpredictionByLatestPredictionId"]
                        ),
                        "events": {
                            "nodes": [
                                event(e) for e in node["studentsLearningeventsByStudentId"]["nodes"]
                            ]
                        },
                    }
                    for node in students["nodes"]
                ],
            }
        }
    }


def same(variables: dict, _state: dict) -> dict:
    return variables


PEER_QUERIES: dict[str, PeerQuery] = {
    query.scenario: query
    for query in [
        PeerQuery(
            scenario="threads_last_messages",
            operation="PeerThreads",
            query=THREADS,
            permission=None,
            variables=lambda variables, state: {"owner": state["user_id"], **variables},
            answer=threads_answer,
        ),
        PeerQuery(
            scenario="thread_500_in_pages",
            operation="PeerThreadPage",
            query=THREAD_PAGE,
            permission=None,
            variables=thread_page_variables,
            answer=thread_page_answer,
            prepare=thread_page_prepare,
        ),
        PeerQuery(
            scenario="learn_items_by_tags",
            operation="PeerLearnItems",
            query=LEARN_ITEMS,
            permission="learn.view_learnitem",
            variables=same,
            answer=learn_items_answer,
        ),
        PeerQuery(
            scenario="logs_page_1",
            operation="PeerLogs",
            query=LOGS,
            permission="monitoring.view_monitoringlog",
            variables=logs_variables,
            answer=logs_answer,
        ),
        PeerQuery(
            scenario="logs_deep_page",
            operation="PeerLogs",
            query=LOGS,
            permission="monitoring.view_monitoringlog",
            variables=logs_variables,
            answer=logs_answer,
            prepare=logs_prepare,
        ),
        PeerQuery(
            scenario="students_page",
            operation="PeerStudents",
            query=STUDENTS,
            permission="students.view_student",
            variables=same,
            answer=students_answer,
        ),
    ]
}


def permissions() -> dict[str, str | None]:
    """Each PostGraphile operation's permission, as the server checks it (by operation name)."""
    return {query.operation: query.permission for query in PEER_QUERIES.values()}
