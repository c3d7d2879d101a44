"""graphql-schema-linter (npm, installed on first use into .data/schema-linter) on the committed
schema.graphql: its rules on descriptions and naming pass. Waived rules and the one exception
are listed, with the reasons, in the README (GraphQL API → Schema conventions)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from django.conf import settings
from graphql import GraphQLInputObjectType, build_schema, get_named_type

from tests.npm import npm_install

PACKAGES = ["graphql-schema-linter@3.0.1", "graphql@16.15.0"]
RULES = [
    "types-have-descriptions",
    "fields-have-descriptions",
    "arguments-have-descriptions",
    "enum-values-have-descriptions",
    "input-object-values-have-descriptions",
    "descriptions-are-capitalized",
    "types-are-capitalized",
    "fields-are-camel-cased",
    "input-object-values-are-camel-cased",
    "enum-values-all-caps",
    "defined-types-are-used",
    "deprecations-have-a-reason",
]
FILTER_COMBINATORS = ("AND", "OR", "NOT", "DISTINCT")


def _filter_combinators(sdl: str) -> list[str]:
    """strawberry-django's AND/OR/NOT/DISTINCT fields of filter inputs (the one exception)."""
    schema = build_schema(sdl)
    found = []
    for name, type_ in schema.type_map.items():
        if not isinstance(type_, GraphQLInputObjectType):
            continue
        for field_name, field in type_.fields.items():
            combines = get_named_type(field.type) is type_ or field_name == "DISTINCT"
            if field_name in FILTER_COMBINATORS and combines:
                found.append(f"{name}.{field_name}")
    return found


def test_schema_passes_the_linter_rules_on_descriptions_and_naming():
    # given
    schema_path = Path(settings.BASE_DIR) / "schema.graphql"
    linter = npm_install("schema-linter", PACKAGES) / "node_modules" / ".bin"
    ignore = {"input-object-values-are-camel-cased": _filter_combinators(schema_path.read_text())}

    # when
    result = subprocess.run(
        [
            str(linter / "graphql-schema-linter"),
            "--format",
            "json",
            "--rules",
            ",".join(RULES),
            "--ignore",
            json.dumps(ignore),
            str(schema_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then
    report = json.loads(result.stdout)
    assert [(e["rule"], e["message"]) for e in report["errors"]] == []
    assert result.returncode == 0


def test_only_the_filter_combinators_are_excepted_from_camel_case():
    # given
    sdl = (Path(settings.BASE_DIR) / "schema.graphql").read_text()

    # when
    excepted = _filter_combinators(sdl)

    # then: four per filter input, nothing else
    assert len(excepted) % 4 == 0
    assert {name.rsplit(".", 1)[1] for name in excepted} == set(FILTER_COMBINATORS)
