"""Tag filters are answered from the GIN index, checked with EXPLAIN on the SQL that the
GraphQL request itself ran."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learn.models import LearnItem
from tests.statements import statements

QUERY = """
query ($filters: LearnItemFilter) {
  learnItems(filters: $filters) { totalCount nodes { id } }
}
"""
ROWS = 3000
RARE = 5


@pytest.fixture
def big_store(db):
    """3,000 items over 50 common tag sets, and 5 items with a rare tag.

    Enough rows, and a selective enough tag, that the planner picks the index by itself
    (no `SET enable_seqscan = off`). Rows inserted after the index was built wait in the GIN
    pending list, which the planner prices as a full read; autovacuum flushes it and
    gathers statistics in production, here we do both by hand.
    """
    start = datetime(2025, 1, 1, tzinfo=UTC)
    items = [
        LearnItem(
            kind="good" if n % 2 else "bad",
            tags=["common", f"topic{n % 50}"] + (["rare"] if n % (ROWS // RARE) == 0 else []),
            created_at=start + timedelta(minutes=n),
        )
        for n in range(ROWS)
    ]
    LearnItem.objects.bulk_create(items, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('learn_item_tags_gin'::regclass)")
        cursor.execute("ANALYZE learn_learnitem")


def plans_of_request(client, filters):
    """Run the GraphQL request, then EXPLAIN each learn_learnitem query it ran."""
    with CaptureQueriesContext(connection) as captured:
        result = client.execute(QUERY, {"filters": filters})
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if "learn_learnitem" in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return result, plans


def test_tags_all_uses_the_gin_index(big_store, reader_client):
    # when
    result, plans = plans_of_request(reader_client, {"tagsAll": ["rare", "common"]})

    # then: the count and the page both scan the index
    assert result["data"]["learnItems"]["totalCount"] == RARE
    # (one statement holding both when compiled)
    assert len(plans) == statements(standard=2, compiled=1)
    every = "\n".join(plans)
    assert every.count("Bitmap Index Scan on learn_item_tags_gin") == 2, every
    assert every.count("""Index Cond: (tags @> '["rare", "common"]'::jsonb)""") == 2, every


def test_tags_any_uses_the_gin_index(big_store, reader_client):
    # when
    result, plans = plans_of_request(reader_client, {"tagsAny": ["rare", "missing"]})

    # then
    assert result["data"]["learnItems"]["totalCount"] == RARE
    # (one statement holding both when compiled)
    assert len(plans) == statements(standard=2, compiled=1)
    every = "\n".join(plans)
    assert every.count("Bitmap Index Scan on learn_item_tags_gin") == 2, every
    assert every.count("Index Cond: (tags ?| '{rare,missing}'::text[])") == 2, every


def test_a_tag_on_every_row_is_read_sequentially(big_store, reader_client):
    # when: a tag nearly every row carries is not selective
    result, plans = plans_of_request(reader_client, {"tagsAll": ["common"]})

    # then: the planner is choosing, not forced: here the index does not pay
    assert result["data"]["learnItems"]["totalCount"] == ROWS
    assert "learn_item_tags_gin" not in plans[0], plans[0]
