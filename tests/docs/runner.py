"""Run a document's examples in order on a fresh database, through the real /graphql/ endpoint
with each caller's API key, and compare or rewrite the documented responses."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command
from graphql import parse, validate

from chat import services as chat_services
from config.schema import schema
from tests.conftest import GraphQLClient
from tests.docs import jsonvalues
from tests.docs.markdown import Block, Example, examples
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT_CALLER = "admin"
UPDATE_HINT = "DOCS_UPDATE=1 .venv/bin/python -m pytest tests/docs (or make docs)"


class Callers:
    """The users examples run as, created on first use with an API key each."""

    def __init__(self):
        self.clients: dict[str, GraphQLClient] = {}

    def client(self, spec: str) -> GraphQLClient:
        name, *flags = spec.split()
        if name == "anonymous":
            return GraphQLClient()
        if name not in self.clients:
            superuser = name == "admin" or "superuser" in flags
            user = UserFactory(
                username=name,
                is_staff=superuser or "staff" in flags,
                is_superuser=superuser,
                perms=[flag for flag in flags if "." in flag],
            )
            _, key = chat_services.api_key_create(user=user, name="docs")
            self.clients[name] = GraphQLClient(api_key=key)
        return self.clients[name]


@dataclass
class Run:
    """One run of a document: each example's answer (None when it could not run), problems."""

    path: Path
    answers: list[tuple[Example, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended: dt.datetime | None = None


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"


def _run_one(example: Example, callers: Callers):
    """The JSON answer of one example, or raises ValueError naming what went wrong."""
    variables = None
    if example.variables is not None:
        try:
            variables = json.loads(example.variables.text)
        except ValueError as exc:
            raise ValueError(f"variables are not JSON: {exc}") from None
    if example.is_subscription:
        errors = validate(schema._schema, parse(example.operation.text))
        if errors:
            raise ValueError("; ".join(e.message for e in errors))
        return None
    client = callers.client(example.caller)
    response = client.request(client._build_body(example.operation.text, variables))
    if response.status_code >= 500:
        raise ValueError(f"HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise ValueError(f"HTTP {response.status_code}, not JSON") from None


def run(path: Path) -> Run:
    """Every example of `path` in document order, on an emptied database."""
    call_command("flush", interactive=False, verbosity=0)
    result = Run(path)
    callers = Callers()
    for example in examples(path, DEFAULT_CALLER):
        where = _where(path, example.operation.start)
        try:
            answer = _run_one(example, callers)
        except Exception as exc:  # every failure is reported with its line
            result.problems.append(f"{where}: {exc}")
            answer = None
        result.answers.append((example, answer))
    result.ended = dt.datetime.now(dt.UTC)
    return result


def _documented(block: Block | None, path: Path):
    if block is None:
        return None
    try:
        return json.loads(block.text)
    except ValueError as exc:
        raise ValueError(f"{_where(path, block.start)}: response is not JSON: {exc}") from None


def compare(result: Run) -> list[str]:
    """Problems of a run: examples that failed, and documented responses that differ."""
    problems = list(result.problems)
    for example, answer in result.answers:
        if answer is None:
            continue
        where = _where(result.path, example.operation.start)
        if example.response is None:
            problems.append(f"{where}: no documented response; write it with {UPDATE_HINT}")
            continue
        try:
            expected = _documented(example.response, result.path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if not jsonvalues.matches(expected, answer):
            problems.append(
                f"{where} (response at line {example.response.start}) differs:\n"
                f"  documented: {json.dumps(expected, ensure_ascii=False)}\n"
                f"  actual:     {json.dumps(answer, ensure_ascii=False)}"
            )
    return problems


def _refused(answer) -> bool:
    """An answer without data: the request was refused before it ran (invalid operation)."""
    return isinstance(answer, dict) and answer.get("data") is None and "errors" in answer


def _fenced(value, indent: str, info: str = "json") -> list[str]:
    lines = ["```" + info, *jsonvalues.layout(value).split("\n"), "```"]
    return [indent + line for line in lines]


def rewrite(first: Run, second: Run) -> list[str]:
    """Write every response block of the document from two fresh runs; the problems left."""
    problems = list(first.problems)
    window = (first.started, second.ended)
    lines = first.path.read_text().split("\n")
    edits: list[tuple[int, int, list[str]]] = []  # 0-based [start, end) replaced by lines
    for (example, answer), (_, again) in zip(first.answers, second.answers, strict=True):
        if answer is None:
            continue
        try:
            documented = _documented(example.response, first.path)
        except ValueError:
            documented = None
        if _refused(answer) and not _refused(documented):
            # The operation no longer runs (e.g. an argument the schema dropped): fix the
            # example rather than document the refusal.
            where = _where(first.path, example.operation.start)
            problems.append(f"{where}: refused before it ran: {json.dumps(answer)}")
            continue
        missing = jsonvalues._MISSING if documented is None else documented
        value = jsonvalues.regenerate(missing, answer, again, window)
        indent = example.operation.indent
        if example.response is not None:
            block = example.response
            edits.append((block.start - 1, block.end, _fenced(value, block.indent, block.info)))
        else:
            after = (example.variables or example.operation).end
            edits.append((after, after, _fenced(value, indent)))
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    first.path.write_text("\n".join(lines))
    return problems
