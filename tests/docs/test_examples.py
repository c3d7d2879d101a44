"""Every example of README.md and docs/*.md runs verbatim, in document order, on a fresh
database, and answers what the document shows. The conventions are in docs/README.md.

`DOCS_UPDATE=1 .venv/bin/python -m pytest tests/docs` (or `make docs`) rewrites the documented
responses from real runs instead of comparing them.
"""

from __future__ import annotations

import os

import pytest

from tests.docs.runner import DOCUMENTS, ROOT, compare, rewrite, run

UPDATE = os.environ.get("DOCS_UPDATE") == "1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run_verbatim_and_answer_as_documented(path):
    # given a fresh database; when every example runs in order
    first = run(path)

    # then
    problems = rewrite(first, run(path)) if UPDATE else compare(first)
    assert problems == [], "\n".join(problems)
