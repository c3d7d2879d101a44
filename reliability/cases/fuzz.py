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
import re
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
            # A user of its own holding every permission. apiKeyRevoke gets its own run with
            # a second key: a generated id may well be the key in use, which is then revoked.
            log_offset = server.log_path.stat().st_size
            main_key = suite.new_actor("fuzzer").key
            revoke_key = suite.new_actor("fuzzer-revoke").key
            runs = [
                _run(suite, st, server.url, mode, main_key, ["--exclude-name", REVOKE], "main"),
                _run(suite, st, server.url, mode, revoke_key, ["--include-name", REVOKE], "revoke"),
            ]
            results.append(_evaluate(suite, server.log_path, log_offset, mode, fields, runs))
    return results


REVOKE = "Mutation.apiKeyRevoke"
# The root field of a generated request: `mutation {\n  threadCreate(…`.
ROOT_FIELD = re.compile(r"^\s*(?:query|mutation)?[^{]*\{\s*(\w+)")


def _run(
    suite: Suite, st: Path, url: str, mode: str, key: str, select: list[str], label: str
) -> tuple[list[dict], str, int]:
    """Run schemathesis; (HAR entries, its output, its exit code)."""
    har = suite.run_dir / f"schemathesis-{mode}-{label}.har"
    command = [
        str(st),
        "run",
        str(SCHEMA_FILE),
        "--url",
        f"{url}/graphql/",
        *select,
        "--header",
        f"Authorization: Bearer {key}",
        "--mode",
        mode,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--checks",
        "not_a_server_error",
        # Keep generating after an answer with errors (expected refusals count as failures
        # for schemathesis' GraphQL check); the suite judges the answers itself below.
        "--continue-on-failure",
        "--no-shrink",
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
        # reliability/st_hooks.py: how to generate the JSON scalar.
        "SCHEMATHESIS_HOOKS": "reliability.st_hooks",
        "PYTHONPATH": str(SCHEMA_FILE.parent),
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
    output = done.stdout + done.stderr
    (suite.run_dir / f"schemathesis-{mode}-{label}.out").write_text(output)
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    return entries, output, done.returncode


def _evaluate(
    suite: Suite,
    server_log: Path,
    log_offset: int,
    mode: str,
    fields: int,
    runs: list[tuple[list[dict], str, int]],
) -> Result:
    entries = [entry for run_entries, _output, _code in runs for entry in run_entries]
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
    per_field: Counter[str] = Counter()
    for entry in entries:
        match = ROOT_FIELD.search(_query_of(entry))
        per_field[match.group(1) if match else "?"] += 1
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    with server_log.open("rb") as log:
        log.seek(log_offset)
        unexpected = [
            line
            for line in log.read().decode("utf-8", "replace").splitlines()
            if "Unexpected error in GraphQL field" in line
        ]
    ok = bool(entries) and server_errors == 0 and tracebacks == 0 and masked == 0
    tail = [output.strip().splitlines()[-1] for _entries, output, _code in runs if output.strip()]
    figure = (
        f"{len(entries)} operations tried over {len(per_field)}/{fields} queries/mutations "
        f"(per field: min {min(per_field.values(), default=0)}, "
        f"max {max(per_field.values(), default=0)}), statuses {dict(sorted(statuses.items()))}; "
        f"server errors {server_errors}, tracebacks {tracebacks}, masked errors {masked}"
    )
    by_field = Counter(line.rsplit(" ", 1)[-1] for line in unexpected)
    details = [
        f"unexpected errors logged in field {field}: {count}"
        for field, count in by_field.most_common()
    ] + [f"schemathesis: {line}" for line in tail]
    return Result(f"5 fuzzing, {mode} mode", ok, figure, details)


def _query_of(entry: dict) -> str:
    try:
        body = json.loads(entry["request"].get("postData", {}).get("text") or "{}")
    except ValueError:
        return ""
    return body.get("query", "") if isinstance(body, dict) else ""
