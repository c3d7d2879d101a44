"""The GraphQL examples of docs/students.md run as written."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from students import services
from tests.students.factories import T0, ConceptModuleFactory, StudentFactory

DOC = Path(settings.BASE_DIR) / "docs" / "students.md"
BLOCK = re.compile(r"```graphql\n(.*?)```(?:\n```json\n(.*?)```)?", re.S)


def examples():
    return [
        (query, json.loads(variables) if variables else None)
        for query, variables in BLOCK.findall(DOC.read_text())
    ]


def test_the_doc_has_examples():
    assert len(examples()) >= 9


@pytest.mark.parametrize(("query", "variables"), examples())
def test_doc_example_runs_without_errors(query, variables, staff_client, system_actor):
    # given
    ConceptModuleFactory(code="alg1")
    StudentFactory(code="s001", name="Ada Lovelace", email="ada@example.com")
    services.dropout_risk_compute(actor=system_actor, as_of=T0)

    # when
    result = staff_client.execute(query, variables)

    # then
    assert "errors" not in result, result["errors"]
    assert result["data"]
