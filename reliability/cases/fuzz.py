"""Case 5: schemathesis generates requests for every query and mutation of schema.graphql.

Positive mode (valid inputs) and negative mode (inputs that break the schema's rules), with
an API key holding every permission. Figures: operations tried, server errors (5xx) = 0,
tracebacks in answers = 0, and masked "Unexpected error." answers (unhandled exceptions
inside a resolver, logged by the server) = 0.

schemathesis lives in its own virtualenv (made by `make reliability` from
reliability/requirements.txt) so its dependencies never touch the app's pinned packages.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

from reliability.client import TRACEBACK_MARKERS
from reliability.gql import SCHEMA_FILE, load_schema
from reliability.suite import Result, Suite

ST_DEFAULT = Path(__file__).resolve().parents[2] / ".data" / "reliability-venv" / "bin" / "st"
# Generated test cases per query/mutation and per mode (positive, negative).
EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "150"))
SEED = os.environ.get("RELIABILITY_FUZZ_SEED", "20261125")


def run(suite: Suite) -> list[Result]:
    st = Path(os.environ.get("RELIABILITY_SCHEMATHESIS", ST_DEFAULT)).absolute()
    if not st.exists():
        return [
            Result(
                "5 fuzzing (schemathesis)",
                False,
                f"schemathesis not found at {st}: run `make reliability`, which installs it",
            )
        ]
    schema = load_schema()
    fields = len(schema.query_type.fields) + len(
        schema.mutation_type.fields if schema.mutation_type else {}
    )
    results = []
    with suite.server() as (server, _client):
        for mode in ("positive", "negative"):
            results.append(_run_mode(suite, st, server.url, server.log_path, mode, fields))
    return results


def _run_mode(suite: Suite, st: Path, url: str, server_log: Path, mode: str, fields: int) -> Result:
    har = suite.run_dir / f"schemathesis-{mode}.har"
    log_before = server_log.stat().st_size if server_log.exists() else 0
    command = [
        str(st),
        "run",
        str(SCHEMA_FILE),
        "--url",
        f"{url}/graphql/",
        "--header",
        f"Authorization: Bearer {suite.actors['owner'].key}",
        "--mode",
        mode,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--checks",
        "not_a_server_error",
        "--workers",
        "2",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--request-timeout",
        "30",
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(suite.run_dir),
        "SCHEMATHESIS_TELEMETRY": "false",
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=suite.run_dir,
        timeout=900,
        check=False,
    )
    (suite.run_dir / f"schemathesis-{mode}.out").write_text(done.stdout + done.stderr)
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    statuses: Counter[int] = Counter()
    tracebacks = masked = 0
    with suite.responses_log.open("a", encoding="utf-8") as out:
        for entry in entries:
            status = entry["response"]["status"]
            text = entry["response"].get("content", {}).get("text") or ""
            statuses[status] += 1
            tracebacks += any(marker in text for marker in TRACEBACK_MARKERS)
            masked += "Unexpected error." in text
            out.write(f"--- schemathesis {status}\n{text}\n")
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    with server_log.open("rb") as log:
        log.seek(log_before)
        unexpected = [
            line
            for line in log.read().decode("utf-8", "replace").splitlines()
            if "Unexpected error in GraphQL field" in line
        ]
    ok = bool(entries) and server_errors == 0 and tracebacks == 0 and masked == 0
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    figure = (
        f"{len(entries)} operations tried over {fields} queries/mutations "
        f"(up to {EXAMPLES} generated per field), statuses {dict(sorted(statuses.items()))}; "
        f"server errors {server_errors}, tracebacks {tracebacks}, masked errors {masked}"
    )
    details = [f"server log: {line[:200]}" for line in unexpected[:5]] + [
        f"schemathesis: {line}" for line in tail
    ]
    return Result(f"5 fuzzing, {mode} mode", ok, figure, details)
