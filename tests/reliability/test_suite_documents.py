"""Every GraphQL document the reliability suite sends by name validates against the schema.

The suite judges the server by its answers; a document that no longer matches the schema (a
field renamed, a list turned into a connection) is answered with a validation error, which
the suite would report as the server failing. Module-level documents of every module of the
suite are checked here, so such drift fails `make test` instead.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from graphql import parse, validate

import reliability
import reliability.cases
from config.schema import schema

# Modules holding no documents that cannot be imported alone: the suite's entry point (it
# runs the suite) and the schemathesis hooks (schemathesis is installed for the suite only).
NOT_IMPORTED = {"reliability.__main__", "reliability.st_hooks"}
DOCUMENT = re.compile(r"\s*(query|mutation|subscription|\{)")


def _modules() -> list[str]:
    names = [f"reliability.{m.name}" for m in pkgutil.iter_modules(reliability.__path__)]
    names += [
        f"reliability.cases.{m.name}" for m in pkgutil.iter_modules(reliability.cases.__path__)
    ]
    return [name for name in names if name not in NOT_IMPORTED]


def _documents() -> list[tuple[str, str]]:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, str) and attribute.isupper() and DOCUMENT.match(value):
                found.append((f"{name}.{attribute}", value))
    return found


DOCUMENTS = _documents()


def test_the_suite_names_its_documents():
    names = {name for name, _ in DOCUMENTS}
    assert {"reliability.workload.VIEWER", "reliability.cases.statements.THREAD_READ"} <= names
    assert len(DOCUMENTS) >= 25


@pytest.mark.parametrize(("name", "text"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_a_document_of_the_suite_validates(name, text):
    errors = [error.message for error in validate(schema._schema, parse(text))]
    assert errors == []
