"""The operations of the mixed load: reads and writes of every app, by their GraphQL names.

Each write carries a unique marker, so afterwards every write the server acknowledged can be
looked up in the database with the content it was sent.
"""

from __future__ import annotations

from reliability.load import Operation
from reliability.suite import Suite

LOAD_THREAD = "thread_reliability_load"

LEARN_CREATE = """
mutation ($input: LearnItemCreateInput!) {
  learnItemCreate(input: $input) {
    __typename
    ... on LearnItem { id notes }
    ... on OperationInfo { messages { kind message } }
  }
}"""

MESSAGE_APPEND = """
mutation ($threadId: ID!, $input: MessageAppendInput!) {
  messageAppend(threadId: $threadId, input: $input) {
    __typename
    ... on Message { id content }
    ... on OperationInfo { messages { kind message } }
  }
}"""

LOG_INGEST = """
mutation ($logs: [MonitoringLogInput!]!) {
  logIngest(logs: $logs) {
    __typename
    ... on LogIngestResult { inserted duplicates }
    ... on OperationInfo { messages { kind message } }
  }
}"""

ASSESSMENT_RECORD = """
mutation ($input: AssessmentRecordInput!) {
  assessmentRecord(input: $input) {
    __typename
    ... on Attempt { id attemptNumber }
    ... on OperationInfo { messages { kind message } }
  }
}"""

LEARN_LIST = """
query {
  learnItems(first: 5) {
    totalCount nodes { id kind tags createdBy { username } }
  }
}"""
THREADS = "query { threads(first: 5) { totalCount nodes { id title } } }"
LOGS = "query { logs(first: 5) { edges { node { id level message } } } }"
STUDENTS = "query { students(first: 5) { totalCount nodes { code name } } }"
VIEWER = "query { viewer { username permissions } }"

LOGS_PER_BATCH = 3


def operations(suite: Suite) -> list[Operation]:
    """The load's operations; writes go to a thread, student and module made for the load."""
    student = suite.probed.values["student"]
    module = suite.probed.values["module"]
    with suite.orm():
        from django.contrib.auth import get_user_model

        from chat import services as chat_services

        owner = get_user_model().objects.get(username="owner")
        chat_services.thread_create(owner=owner, id=LOAD_THREAD, title="load")

    return [
        Operation(
            "learnItemCreate",
            lambda n: (
                LEARN_CREATE,
                {"input": {"kind": "GOOD" if n % 2 else "BAD", "notes": "{marker}"}},
                "learn",
            ),
            written_id=lambda data: data["learnItemCreate"]["id"],
            check_sql=(
                "SELECT count(*) FROM learn_learnitem t "
                "JOIN unnest(%s::text[], %s::text[]) AS w(id, marker) "
                "ON t.id::text = w.id AND t.notes = w.marker"
            ),
        ),
        Operation("learnItems", lambda n: (LEARN_LIST, {}, None)),
        Operation(
            "messageAppend",
            lambda n: (
                MESSAGE_APPEND,
                {"threadId": LOAD_THREAD, "input": {"role": "USER", "content": "{marker}"}},
                "message",
            ),
            written_id=lambda data: data["messageAppend"]["id"],
            check_sql=(
                "SELECT count(*) FROM chat_message t "
                "JOIN unnest(%s::text[], %s::text[]) AS w(id, marker) "
                "ON t.id = w.id AND t.content = w.marker"
            ),
        ),
        Operation("threads", lambda n: (THREADS, {}, None)),
        Operation(
            "logIngest",
            lambda n: (
                LOG_INGEST,
                {
                    "logs": [
                        {
                            "clientId": f"{{marker}}-{i}",
                            "timestamp": "2026-01-01T00:00:00+00:00",
                            "level": "INFO",
                            "source": "load",
                            "message": "{marker}",
                        }
                        for i in range(LOGS_PER_BATCH)
                    ]
                },
                "logs",
            ),
            # The batch is acknowledged when every log of it is stored (new or duplicate).
            written_id=lambda data: (
                "batch"
                if data["logIngest"].get("inserted", 0) + data["logIngest"].get("duplicates", 0)
                == LOGS_PER_BATCH
                else None
            ),
            check_sql=(
                "SELECT count(*) FROM unnest(%s::text[], %s::text[]) AS w(id, marker) "
                "WHERE (SELECT count(*) FROM monitoring_monitoringlog m "
                "       WHERE m.message = w.marker) = "
                f"{LOGS_PER_BATCH}"
            ),
        ),
        Operation("logs", lambda n: (LOGS, {}, None)),
        Operation(
            "assessmentRecord",
            lambda n: (
                ASSESSMENT_RECORD,
                {
                    "input": {
                        "student": student,
                        "module": module,
                        "kind": "QUIZ",
                        "title": "{marker}",
                        "score": n % 10,
                        "maxScore": 10,
                    }
                },
                "quiz",
            ),
            written_id=lambda data: data["assessmentRecord"]["id"],
            check_sql=(
                "SELECT count(*) FROM students_attempthistory h "
                "JOIN students_assessment a ON a.id = h.assessment_id "
                "JOIN unnest(%s::text[], %s::text[]) AS w(id, marker) "
                "ON h.id::text = w.id AND a.title = w.marker"
            ),
        ),
        Operation("students", lambda n: (STUDENTS, {}, None)),
        Operation("viewer", lambda n: (VIEWER, {}, None)),
    ]
