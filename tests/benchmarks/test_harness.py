import http.server
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from benchmarks import printing
from benchmarks.load import Call, percentile, run_batch
from benchmarks.run import PEER, first_difference, sql_ms
from benchmarks.scenarios import GRAPHQL, RAW
from benchmarks.sql import iso
from tests.processes import run_manage


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 23, 59, 58, 999998, tzinfo=UTC),
        datetime(1999, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
    ],
)
def test_iso_prints_timestamps_as_python_isoformat(db, value):
    # when
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {iso('t')} FROM (SELECT %s::timestamptz AS t) AS v", [value])
        printed = cursor.fetchone()[0]

    # then
    assert printed == value.isoformat()


def test_raw_baselines_are_not_mounted_by_the_project_urls(db):
    # when
    response = Client().post("/bench/raw/learn-items", "{}", content_type="application/json")

    # then
    assert response.status_code == 404


def test_benchmark_settings_refuse_to_load_without_the_flag():
    # when
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "benchmarks.settings"})

    # then
    assert result.returncode == 2
    assert "set BENCHMARK_VIEWS=1" in result.stderr


def test_raw_baseline_needs_an_api_key(bench, db):
    # when
    response = Client().post("/bench/raw/learn-stats", "{}", content_type="application/json")

    # then
    assert (response.status_code, response.json()) == (
        401,
        {"data": None, "errors": [{"message": "An API key is required."}]},
    )


def test_first_difference_names_the_path():
    # given
    left = {"data": {"items": [{"id": "1", "tags": ["a"]}, {"id": "2", "tags": ["b"]}]}}
    right = {"data": {"items": [{"id": "1", "tags": ["a"]}, {"id": "2", "tags": ["c"]}]}}

    # then
    assert first_difference(left, left) is None
    assert first_difference(left, right) == '$.data.items[1].tags[0]: "b" != "c"'
    assert first_difference({"a": 1}, {"a": 1, "b": 2}) == "$.b: present on one side only"
    assert first_difference({"a": 1}, {"a": 1.0}) == "$.a: 1 != 1.0"


def test_sql_time_reads_graphql_raw_and_postgraphile_in_that_order():
    # given
    row = {
        GRAPHQL: {"sql_ms_p50": 2.12},
        RAW: {"sql_ms_p50": 2.87},
        PEER: {"sql_ms_p50": 1.04},
    }
    writes = {GRAPHQL: {"sql_ms_p50": 9.5}, RAW: {"sql_ms_p50": None}}

    # then
    assert (sql_ms(row), sql_ms(writes)) == ("2.1/2.9/1.0", "9.5/-")


def test_percentile_is_nearest_rank():
    # given
    values = [float(n) for n in range(1, 101)]

    # then
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([], 0.5)) == (
        50.0,
        99.0,
        None,
    )


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/slow":
            time.sleep(0.05)
        status = 500 if self.path == "/fail" else 200
        self.send_response(status)
        self.send_header("X-Bench-Queries", "3")
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"data": 1}')

    def log_message(self, *args):
        pass


def serving(handler):
    """A threaded HTTP server on a free loopback port; yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_server():
    yield from serving(Handler)


def call(path):
    return lambda _number: Call(path=path, body=b"{}", headers={})


def test_load_client_sends_exactly_the_requested_count(http_server):
    # when
    batch = run_batch("127.0.0.1", http_server, call("/"), total=25, concurrency=4, time_cap=30)

    # then
    assert (len(batch.latencies), batch.errors, set(batch.queries)) == (25, 0, {3})


def test_load_client_stops_at_the_time_cap(http_server):
    # when
    batch = run_batch(
        "127.0.0.1", http_server, call("/slow"), total=10_000, concurrency=2, time_cap=0.3
    )

    # then: about 0.3 s / 0.05 s x 2 threads, far below the count asked for
    assert 0 < len(batch.latencies) < 100
    assert batch.errors == 0


def test_load_client_counts_failures(http_server):
    # when
    batch = run_batch("127.0.0.1", http_server, call("/fail"), total=3, concurrency=1, time_cap=30)

    # then
    assert (len(batch.latencies), batch.errors) == (0, 3)
    assert batch.first_error.startswith("HTTP 500")


def test_printing_costs_every_printer_over_the_seeded_logs(seed):
    # given
    seed(logs=300)

    # when
    costs = printing.measure(rows=300, rounds=1)

    # then
    assert [name for name, _ in costs] == list(printing.printers())
    assert all(isinstance(cost, float) for _, cost in costs)


class KeptAliveHandler(Handler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests
    clients: set = set()

    def do_POST(self):
        KeptAliveHandler.clients.add(self.client_address)
        super().do_POST()


@pytest.fixture
def keep_alive_server():
    KeptAliveHandler.clients = set()
    yield from serving(KeptAliveHandler)


@pytest.mark.parametrize(("keep_alive", "connections"), [(True, 3), (False, 30)])
def test_load_client_keeps_one_connection_a_client_when_asked(
    keep_alive_server, keep_alive, connections
):
    # when
    batch = run_batch(
        "127.0.0.1",
        keep_alive_server,
        call("/"),
        total=30,
        concurrency=3,
        time_cap=30,
        keep_alive=keep_alive,
    )

    # then: every request answered, over one connection a client or one a request
    assert (len(batch.latencies), batch.errors) == (30, 0)
    assert len(KeptAliveHandler.clients) == connections


def test_a_kept_connection_the_server_closed_is_opened_again(http_server):
    # given: a server that closes the connection after each answer (HTTP/1.0)
    # when
    batch = run_batch(
        "127.0.0.1", http_server, call("/"), total=12, concurrency=2, time_cap=30, keep_alive=True
    )

    # then
    assert (len(batch.latencies), batch.errors) == (12, 0)
