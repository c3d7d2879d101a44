"""The PostGraphile peer's side of the harness, offline: its queries parse, its answers read as
the service's, its cursors are built as PostGraphile builds them, and its server runs the very
API-key lookup the service runs."""

import base64
import http.server
import json
import re
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

import graphql
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.peer.queries import (
    PEER_QUERIES,
    cursor_digest,
    logs_condition,
    peer_cursor,
    permissions,
    pg_timestamp,
    without_cursors,
)
from benchmarks.run import PEER, Calls, check_answers, variants
from benchmarks.scenarios import GRAPHQL, RAW, SCENARIOS
from chat.models import split_api_key
from config.auth import authenticate_api_key

SERVER = Path(__file__).resolve().parents[2] / "benchmarks" / "peer" / "server.mjs"
READS = [
    "threads_last_messages",
    "thread_500_in_pages",
    "learn_items_by_tags",
    "logs_page_1",
    "logs_deep_page",
    "students_page",
]


def test_every_read_scenario_has_a_parsed_postgraphile_query_named_as_its_operation():
    # when
    documents = {name: graphql.parse(query.query) for name, query in PEER_QUERIES.items()}

    # then
    assert sorted(PEER_QUERIES) == sorted(READS)
    assert set(PEER_QUERIES) <= {scenario.name for scenario in SCENARIOS}
    assert {
        name: [d.name.value for d in document.definitions] for name, document in documents.items()
    } == {name: [query.operation] for name, query in PEER_QUERIES.items()}


def test_each_operation_carries_the_permission_of_the_services_field():
    # then
    assert permissions() == {
        "PeerThreads": None,
        "PeerThreadPage": None,
        "PeerLearnItems": "learn.view_learnitem",
        "PeerLogs": "monitoring.view_monitoringlog",
        "PeerStudents": "students.view_student",
    }


def test_without_cursors_leaves_out_cursors_at_any_depth():
    # given
    answer = {
        "data": {
            "logs": {
                "edges": [{"cursor": "a", "node": {"id": "1"}}],
                "pageInfo": {"hasNextPage": True, "endCursor": "a"},
            }
        }
    }

    # when
    compared = without_cursors(answer)

    # then
    assert compared == {
        "data": {"logs": {"edges": [{"node": {"id": "1"}}], "pageInfo": {"hasNextPage": True}}}
    }


def test_learn_items_answer_reads_in_the_services_names_and_formats():
    # given: PostGraphile's spelling (BigInt as text, kinds in lower case, microseconds always)
    answer = {
        "data": {
            "allLearnLearnitems": {
                "totalCount": 2,
                "pageInfo": {"hasNextPage": False, "endCursor": "WyJ4Il0="},
                "nodes": [
                    {
                        "rowId": "12",
                        "kind": "good",
                        "filename": "a.txt",
                        "sizeBytes": "2048",
                        "notes": "",
                        "tags": ["email", "conversion"],
                        "createdAt": "2026-10-01T08:00:00.000000+00:00",
                        "authUserByCreatedById": {"rowId": 3, "username": "bench"},
                    },
                    {
                        "rowId": "11",
                        "kind": "bad",
                        "filename": "b.txt",
                        "sizeBytes": None,
                        "notes": "n",
                        "tags": [],
                        "createdAt": "2026-10-01T10:00:00.250000+02:00",
                        "authUserByCreatedById": None,
                    },
                ],
            }
        }
    }

    # when
    read = PEER_QUERIES["learn_items_by_tags"].answer(answer)

    # then
    assert read == {
        "data": {
            "learnItems": {
                "totalCount": 2,
                "pageInfo": {"hasNextPage": False},
                "nodes": [
                    {
                        "id": "12",
                        "kind": "GOOD",
                        "filename": "a.txt",
                        "sizeBytes": 2048,
                        "notes": "",
                        "tags": ["email", "conversion"],
                        "createdAt": "2026-10-01T08:00:00+00:00",
                        "createdBy": {"id": "3", "username": "bench"},
                    },
                    {
                        "id": "11",
                        "kind": "BAD",
                        "filename": "b.txt",
                        "sizeBytes": None,
                        "notes": "n",
                        "tags": [],
                        "createdAt": "2026-10-01T08:00:00.250000+00:00",
                        "createdBy": None,
                    },
                ],
            }
        }
    }


def test_logs_answer_names_the_integer_levels_and_the_filters_become_a_condition():
    # given
    answer = {
        "data": {
            "allMonitoringMonitoringlogs": {
                "edges": [
                    {
                        "cursor": "WyJ4Il0=",
                        "node": {
                            "rowId": "7",
                            "clientId": None,
                            "timestamp": "2026-10-16T23:59:08.160000+00:00",
                            "receivedAt": "2026-10-16T23:59:09.000000+00:00",
                            "level": 40,
                            "source": "api",
                            "message": "boom",
                            "context": {"user": 1},
                        },
                    }
                ],
                "pageInfo": {"hasNextPage": True, "endCursor": "WyJ4Il0="},
            }
        }
    }
    filters = {"source": "api", "level": "ERROR", "timestampFrom": "2026-10-10T00:00:00+00:00"}

    # when
    read = PEER_QUERIES["logs_page_1"].answer(answer)
    condition = logs_condition(filters)

    # then
    assert read == {
        "data": {
            "logs": {
                "edges": [
                    {
                        "node": {
                            "id": "7",
                            "clientId": None,
                            "timestamp": "2026-10-16T23:59:08.160000+00:00",
                            "receivedAt": "2026-10-16T23:59:09+00:00",
                            "level": "ERROR",
                            "source": "api",
                            "message": "boom",
                            "context": {"user": 1},
                        }
                    }
                ],
                "pageInfo": {"hasNextPage": True},
            }
        }
    }
    assert condition == {
        "source": "api",
        "level": 40,
        "timestampFrom": "2026-10-10T00:00:00+00:00",
    }
    assert logs_condition(None) is None


def test_thread_page_answer_without_the_thread_is_null():
    # given: the thread is not the caller's
    answer = {"data": {"allChatThreads": {"nodes": []}}}

    # when
    read = PEER_QUERIES["thread_500_in_pages"].answer(answer)

    # then
    assert read == {"data": {"thread": None}}


def test_peer_cursor_is_base64_of_the_json_array_postgraphile_makes():
    # given: a cursor PostGraphile 5 answered for logs ordered [TIMESTAMP_DESC, PRIMARY_KEY_DESC]
    answered = "WyJjYTUxODE5NTgxIiwiMjAyNi0xMC0zMVQyMzo1OTowOC4xNjAwMDArMDA6MDAiLCIxIl0="

    # when
    built = peer_cursor(
        cursor_digest(answered), pg_timestamp("2026-10-31T23:59:08.160000+00:00"), "1"
    )

    # then
    assert built == answered
    assert json.loads(base64.b64decode(built)) == [
        "ca51819581",
        "2026-10-31T23:59:08.160000+00:00",
        "1",
    ]
    assert pg_timestamp("2025-09-27T02:00:00+02:00") == "2025-09-27T00:00:00.000000+00:00"


def normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).replace("( ", "(").replace(" )", ")").strip()


def server_statement(name: str) -> str:
    return re.search(rf"const {name} = `([^`]*)`;", SERVER.read_text()).group(1)


def test_the_peer_looks_the_key_up_with_the_statement_the_service_runs(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("peer", perms=["learn.view_learnitem"]))
    prefix = split_api_key(raw_key)

    # when
    with CaptureQueriesContext(connection) as queries:
        key = authenticate_api_key(raw_key)

    # then: the same SELECT, and the same UPDATE of last_used_at on the first use
    lookup, touch = (q["sql"] for q in queries.captured_queries)
    assert normalized(lookup) == normalized(
        server_statement("KEY_LOOKUP").replace("$1", f"'{prefix}'")
    )
    assert re.sub(r"= '[^']*'::timestamptz", "= $1", touch) == server_statement(
        "KEY_TOUCH"
    ).replace("$2", str(key.pk))


class Answers(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the body registered for its path (the service at /graphql/, the
    raw view at /bench/raw/…, PostGraphile at /graphql)."""

    bodies: dict[str, dict] = {}

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(self.bodies[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answering():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(host="127.0.0.1", port=server.server_address[1])
    server.shutdown()
    server.server_close()


SERVICE_ITEMS = {
    "data": {
        "learnItems": {
            "totalCount": 1,
            "pageInfo": {"hasNextPage": False, "endCursor": "WyItY3JlYXRlZF9hdCxpZCJd"},
            "nodes": [
                {
                    "id": "5",
                    "kind": "GOOD",
                    "filename": "a.txt",
                    "sizeBytes": 10,
                    "notes": "",
                    "tags": ["email"],
                    "createdAt": "2026-10-01T08:00:00+00:00",
                    "createdBy": None,
                }
            ],
        }
    }
}


def peer_items(kind: str) -> dict:
    node = {
        "rowId": "5",
        "kind": kind,
        "filename": "a.txt",
        "sizeBytes": "10",
        "notes": "",
        "tags": ["email"],
        "createdAt": "2026-10-01T08:00:00.000000+00:00",
        "authUserByCreatedById": None,
    }
    page = {"hasNextPage": False, "endCursor": "WyJ4Il0="}
    return {"data": {"allLearnLearnitems": {"totalCount": 1, "pageInfo": page, "nodes": [node]}}}


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("good", None),
        (
            "bad",
            'PostGraphile\'s answer differs at $.data.learnItems.nodes[0].kind: "GOOD" != "BAD"',
        ),
    ],
)
def test_the_harness_compares_postgraphiles_rows_with_the_services(answering, kind, problem):
    # given
    scenario = next(s for s in SCENARIOS if s.name == "learn_items_by_tags")
    Answers.bodies = {
        "/graphql/": SERVICE_ITEMS,
        f"/bench/raw/{scenario.raw}": SERVICE_ITEMS,
        "/graphql": peer_items(kind),
    }
    calls = Calls(scenario, "dk_x", peer=PEER_QUERIES[scenario.name])
    servers = {GRAPHQL: answering, RAW: answering, PEER: answering}

    # when
    found = check_answers(servers, calls)

    # then
    assert variants(calls) == (GRAPHQL, RAW, PEER)
    assert found == problem


def test_the_server_file_is_valid_javascript():
    # when: a syntax check only (Node resolves no import with --check)
    result = subprocess.run(
        ["node", "--check", str(SERVER)], capture_output=True, text=True, timeout=60
    )

    # then
    assert (result.returncode, result.stderr) == (0, "")


COUNTER = SERVER.with_name("statements.mjs")

# Drives statements.mjs with a stand-in for pg.Client (each statement takes a known time on a
# clock the script moves) and for node's response objects; prints the headers each answer got.
COUNTER_SCRIPT = """
import { countStatements } from %(module)s;

let clock = 0;
class Client {
  query(text, values, callback) {
    clock += text.length;  // a statement "takes" as many ms as its text has characters
    if (typeof callback === "function") {
      queueMicrotask(() => callback(null, { rows: [] }));
      return undefined;
    }
    if (text === "submittable") return { submit() {} };
    return Promise.resolve({ rows: [] });
  }
}
const track = countStatements(Client, () => clock);
const client = new Client();

function response() {
  const res = { headers: {}, closers: [] };
  res.setHeader = (name, value) => { res.headers[name] = value; };
  res.writeHead = () => res;
  res.on = (event, listener) => res.closers.push(listener);
  res.finish = () => { res.writeHead(200); res.closers.forEach((listener) => listener()); };
  return res;
}

const answers = {};

// Alone: a promise's statement and a callback's, 3 + 5 ms.
let res = response();
track(res);
await client.query("abc");
await new Promise((resolve) => client.query("fivee", [], resolve));
res.finish();
answers.alone = res.headers;

// Two requests in flight at once: neither can tell its statements from the other's.
const first = response();
const second = response();
track(first);
await client.query("ab");
track(second);
await client.query("abcd");
first.finish();
second.finish();
answers.overlapped = [first.headers, second.headers];

// A submittable query object is counted but cannot be timed: no time for its request.
res = response();
track(res);
client.query("submittable");
await client.query("a");
res.finish();
answers.submittable = res.headers;

// After the others have closed, a request alone again.
res = response();
track(res);
await client.query("x");
res.finish();
answers.again = res.headers;

console.log(JSON.stringify(answers));
"""


def test_the_peer_counts_and_times_each_requests_statements_as_the_service_does():
    # given
    script = COUNTER_SCRIPT % {"module": json.dumps(COUNTER.as_uri())}

    # when
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "alone": {"X-Bench-Queries": "2", "X-Bench-Sql-Ms": "8.000"},
        "overlapped": [{}, {}],
        "submittable": {"X-Bench-Queries": "2"},
        "again": {"X-Bench-Queries": "1", "X-Bench-Sql-Ms": "1.000"},
    }
