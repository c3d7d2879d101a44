"""docs/errors.md tables exactly the codes of config.errors.VOCABULARY, with their
retryability and HTTP status."""

import re
from pathlib import Path

import pytest

from config.errors import VOCABULARY, UserError

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def documented() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"\| `([A-Z_]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_docs_table_every_code_of_the_vocabulary_and_no_other():
    assert sorted(documented()) == sorted(VOCABULARY)


def test_the_docs_say_which_codes_are_retryable_and_their_status():
    rows = documented()
    assert {code: row[3].startswith("yes") for code, row in rows.items()} == {
        code: entry.retryable for code, entry in VOCABULARY.items()
    }
    assert [
        code
        for code, entry in VOCABULARY.items()
        if entry.http_status and str(entry.http_status) not in rows[code][2]
    ] == []


def test_a_code_outside_the_vocabulary_cannot_be_raised():
    with pytest.raises(ValueError, match=r"'NOPE' is not a code of config\.errors\.VOCABULARY"):
        UserError("No.", code="NOPE")
