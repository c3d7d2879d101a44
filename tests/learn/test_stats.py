import json
from datetime import UTC, datetime

import pytest
from django.db import connection

from tests.learn.factories import LearnItemFactory

# The legacy dashboard's queries, verbatim but for the table name.
LEGACY_TABLE = "aicmo_learn_items"
LEGACY_COUNT_GOOD = "SELECT COUNT(*) FROM aicmo_learn_items WHERE kind = 'good';"
LEGACY_EMAIL = """SELECT * FROM aicmo_learn_items WHERE tags @> '["email"]';"""
LEGACY_RECENT = "SELECT * FROM aicmo_learn_items ORDER BY created_at DESC LIMIT 10;"
LEGACY_TAG_FREQUENCY = """
SELECT jsonb_array_elements(tags)::text as tag, COUNT(*)
FROM aicmo_learn_items
GROUP BY 1
ORDER BY 2 DESC;
"""

STATS = """
query Stats($limit: Int!) {
  learnStats { total countByKind { kind count } tagFrequency(limit: $limit) { tag count } }
}
"""


def legacy(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(LEGACY_TABLE, "learn_learnitem"))
        return cursor.fetchall()


@pytest.fixture
def store(db):
    """Twelve items over three days with overlapping tags, some with tied counts."""
    tag_sets = [
        ["email", "conversion", "copywriting"],
        ["mistake", "email"],
        ["landing"],
        ["email"],
        ["conversion", "landing"],
        [],
        ["café", "email"],
        ["Zebra", "mistake"],
        ["copywriting"],
        ["email", "landing", "zebra"],
        ["conversion"],
        ["mistake", "café"],
    ]
    for n, tags in enumerate(tag_sets):
        LearnItemFactory(
            kind="bad" if n % 3 == 1 else "good",
            tags=tags,
            created_at=datetime(2025, 11, 20 + n % 3, 8, n, tzinfo=UTC),
        )


def test_stats_equal_the_answers_of_the_legacy_queries(store, reader_client):
    # when
    stats = reader_client.execute(STATS, {"limit": 100})["data"]["learnStats"]
    email = reader_client.execute(
        '{ learnItems(filters: {tagsAll: ["email"]}) { totalCount nodes { id } } }'
    )["data"]["learnItems"]
    recent = reader_client.execute("{ learnItems(first: 10) { nodes { id } } }")

    # then
    legacy_good = legacy(LEGACY_COUNT_GOOD)[0][0]
    good = {row["kind"]: row["count"] for row in stats["countByKind"]}["GOOD"]
    assert good == legacy_good == 8

    legacy_email_ids = sorted(str(row[0]) for row in legacy(LEGACY_EMAIL))
    assert sorted(row["id"] for row in email["nodes"]) == legacy_email_ids
    assert email["totalCount"] == len(legacy_email_ids) == 5

    legacy_recent_ids = [str(row[0]) for row in legacy(LEGACY_RECENT)]
    assert [row["id"] for row in recent["data"]["learnItems"]["nodes"]] == legacy_recent_ids

    # The legacy query returns tags as JSON text ('"email"') and leaves ties unordered.
    legacy_frequency = sorted(
        ((json.loads(tag), count) for tag, count in legacy(LEGACY_TAG_FREQUENCY)),
        key=lambda row: (-row[1], row[0]),
    )
    assert [(row["tag"], row["count"]) for row in stats["tagFrequency"]] == legacy_frequency


def test_stats_exact_values(store, reader_client):
    # when
    result = reader_client.execute(STATS, {"limit": 100})

    # then: ties by code point ("Zebra" before "zebra")
    assert result == {
        "data": {
            "learnStats": {
                "total": 12,
                "countByKind": [{"kind": "GOOD", "count": 8}, {"kind": "BAD", "count": 4}],
                "tagFrequency": [
                    {"tag": "email", "count": 5},
                    {"tag": "conversion", "count": 3},
                    {"tag": "landing", "count": 3},
                    {"tag": "mistake", "count": 3},
                    {"tag": "café", "count": 2},
                    {"tag": "copywriting", "count": 2},
                    {"tag": "Zebra", "count": 1},
                    {"tag": "zebra", "count": 1},
                ],
            }
        }
    }


def test_tag_frequency_limit_keeps_the_most_frequent(store, reader_client):
    # when
    result = reader_client.execute(STATS, {"limit": 2})

    # then
    assert result["data"]["learnStats"]["tagFrequency"] == [
        {"tag": "email", "count": 5},
        {"tag": "conversion", "count": 3},
    ]


def test_stats_of_an_empty_store(reader_client):
    # when
    result = reader_client.execute(STATS, {"limit": 10})

    # then
    assert result == {
        "data": {
            "learnStats": {
                "total": 0,
                "countByKind": [{"kind": "GOOD", "count": 0}, {"kind": "BAD", "count": 0}],
                "tagFrequency": [],
            }
        }
    }


def test_counts_take_one_query_and_tags_one_more(store, reader_client, django_assert_num_queries):
    # when: API key with permissions and its stamp (2), one aggregate for total and kinds, one for tags
    with django_assert_num_queries(4):
        result = reader_client.execute(STATS, {"limit": 1})

    # then
    assert result["data"]["learnStats"]["tagFrequency"] == [{"tag": "email", "count": 5}]


def test_items_per_day_lists_every_day_of_the_range(store, reader_client):
    # when
    result = reader_client.execute(
        '{ learnStats { itemsPerDay(from: "2025-11-19", to: "2025-11-23") { day count } } }'
    )

    # then
    assert result == {
        "data": {
            "learnStats": {
                "itemsPerDay": [
                    {"day": "2025-11-19", "count": 0},
                    {"day": "2025-11-20", "count": 4},
                    {"day": "2025-11-21", "count": 4},
                    {"day": "2025-11-22", "count": 4},
                    {"day": "2025-11-23", "count": 0},
                ]
            }
        }
    }


def test_items_per_day_cuts_days_at_midnight(reader_client):
    # given
    for stamp in ("2025-11-20T23:59:59.999999Z", "2025-11-21T00:00:00Z", "2025-11-21T23:59:59Z"):
        LearnItemFactory(created_at=stamp)

    # when
    result = reader_client.execute(
        '{ learnStats { itemsPerDay(from: "2025-11-20", to: "2025-11-21") { day count } } }'
    )

    # then
    assert result["data"]["learnStats"]["itemsPerDay"] == [
        {"day": "2025-11-20", "count": 1},
        {"day": "2025-11-21", "count": 2},
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ('from: "2025-11-21", to: "2025-11-20"', "itemsPerDay: 'to' must not be before 'from'."),
        ('from: "2025-01-01", to: "2026-01-02"', "itemsPerDay: at most 366 days per request."),
    ],
)
def test_items_per_day_refuses_bad_ranges(arguments, message, reader_client):
    # when
    result = reader_client.execute(f"{{ learnStats {{ itemsPerDay({arguments}) {{ day }} }} }}")

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [message]


def test_a_whole_leap_year_is_allowed(reader_client):
    # when
    result = reader_client.execute(
        '{ learnStats { itemsPerDay(from: "2024-01-01", to: "2024-12-31") { count } } }'
    )

    # then
    assert len(result["data"]["learnStats"]["itemsPerDay"]) == 366


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (0, "tagFrequency: 'limit' must be at least 1."),
        (101, "Page size too large: 'limit' is 101, the maximum is 100."),
    ],
)
def test_tag_frequency_limit_is_bounded(limit, message, reader_client):
    # when
    result = reader_client.execute(STATS, {"limit": limit})

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [message]


def test_items_per_day_uses_the_server_time_zone(settings, reader_client):
    # given: 03:00 UTC on the 21st is 22:00 on the 20th in New York
    settings.TIME_ZONE = "America/New_York"
    LearnItemFactory(created_at="2025-11-21T03:00:00Z")

    # when
    result = reader_client.execute(
        '{ learnStats { itemsPerDay(from: "2025-11-20", to: "2025-11-21") { day count } } }'
    )

    # then
    assert result["data"]["learnStats"]["itemsPerDay"] == [
        {"day": "2025-11-20", "count": 1},
        {"day": "2025-11-21", "count": 0},
    ]
