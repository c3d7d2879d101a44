"""The GraphQL examples of docs/chat.md run as written (with their JSON variables)."""

import json
import re
from pathlib import Path

from django.conf import settings

from tests.chat.graphql import THREAD_CREATE

DOC = Path(settings.BASE_DIR) / "docs" / "chat.md"
DEFAULT_VARIABLES = {"id": "thread_abc123def456", "from": "2026-11-01", "to": "2026-11-30"}


def examples() -> list[tuple[str, dict]]:
    """(document, variables): a ```json block right after a ```graphql block is its variables."""
    blocks = re.findall(r"```(graphql|json)\n(.*?)```", DOC.read_text(), flags=re.S)
    found = []
    for index, (kind, text) in enumerate(blocks):
        if kind != "graphql":
            continue
        variables = dict(DEFAULT_VARIABLES)
        if index + 1 < len(blocks) and blocks[index + 1][0] == "json":
            variables = json.loads(blocks[index + 1][1])
        found.append((text, variables))
    return found


def test_every_example_runs_without_errors(alice_client):
    # given: the thread the LLM CLI example records into
    alice_client.execute(THREAD_CREATE, {"input": {"id": "cli-session"}})
    documents = examples()

    # when
    results = [alice_client.execute(document, variables) for document, variables in documents]

    # then
    assert len(documents) == 15
    for result in results:
        assert "errors" not in result, result
        assert "'messages': [{'kind'" not in str(result), result
