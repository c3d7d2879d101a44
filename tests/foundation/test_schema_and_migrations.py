from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from config.schema import schema

SCHEMA_FILE = Path(settings.BASE_DIR) / "schema.graphql"


def test_committed_schema_matches_the_code():
    # given
    committed = SCHEMA_FILE.read_text()

    # when
    exported = schema.as_str()

    # then
    assert committed.rstrip("\n") == exported, (
        "schema.graphql is stale: run `make schema` and commit it"
    )


@pytest.mark.django_db
def test_models_and_migrations_are_in_sync():
    # when / then: exits non-zero (SystemExit) when a model change has no migration
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "No changes detected"
