"""The six checks the legacy integration promised, now through GraphQL."""

import json

from django.db import connection

from learn.models import LearnItem
from tests.learn.factories import LearnItemFactory

CREATE = """
mutation Create($input: LearnItemCreateInput!) {
  learnItemCreate(input: $input) {
    ... on LearnItem { id kind filename sizeBytes notes tags createdAt createdBy { username } }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""
ITEM = """
query Item($id: ID!) {
  learnItem(id: $id) { id kind filename sizeBytes notes tags createdAt createdBy { username } }
}
"""
LIST = "{ learnItems { totalCount nodes { filename createdAt } } }"


def test_configuration_the_store_answers_from_postgresql(reader_client):
    # when
    result = reader_client.execute("{ learnStats { total } }")

    # then
    assert connection.vendor == "postgresql"
    assert result == {"data": {"learnStats": {"total": 0}}}


def test_table_is_present_with_its_columns_and_indexes(db):
    # when
    with connection.cursor() as cursor:
        columns = {
            column.name: column.type_code
            for column in connection.introspection.get_table_description(cursor, "learn_learnitem")
        }
        constraints = connection.introspection.get_constraints(cursor, "learn_learnitem")
        cursor.execute("SELECT 'jsonb'::regtype::oid, 'bigint'::regtype::oid")
        jsonb_oid, bigint_oid = cursor.fetchone()

    # then
    assert set(columns) == {
        "id",
        "kind",
        "filename",
        "size_bytes",
        "notes",
        "tags",
        "created_by_id",
        "created_at",
        "import_fingerprint",
    }
    assert columns["tags"] == jsonb_oid
    assert columns["size_bytes"] == bigint_oid
    assert constraints["learn_item_tags_gin"]["type"] == "gin"
    assert constraints["learn_item_tags_gin"]["columns"] == ["tags"]


def test_insert_and_load_round_trip(editor_client):
    # given
    item = {
        "kind": "GOOD",
        "filename": "email_copy_example.md",
        "sizeBytes": 1280,
        "notes": "Effective email subject line that drove 32% open rate",
        "tags": ["email", "conversion", "copywriting"],
        "createdAt": "2025-11-22T05:26:30+00:00",
    }

    # when
    created = editor_client.execute(CREATE, {"input": item})
    item_id = created["data"]["learnItemCreate"]["id"]
    loaded = editor_client.execute(ITEM, {"id": item_id})

    # then
    expected = {"id": item_id, **item, "createdBy": {"username": "editor"}}
    assert created == {"data": {"learnItemCreate": expected}}
    assert loaded == {"data": {"learnItem": expected}}


def test_json_tags_are_stored_as_a_jsonb_array_trimmed_in_order(editor_client):
    # given
    tags = ["  email ", "Conversion", "émoji 🎯", "a" * 64]

    # when
    result = editor_client.execute(CREATE, {"input": {"kind": "BAD", "tags": tags}})

    # then
    expected_tags = ["email", "Conversion", "émoji 🎯", "a" * 64]
    assert result["data"]["learnItemCreate"]["tags"] == expected_tags
    with connection.cursor() as cursor:
        cursor.execute("SELECT jsonb_typeof(tags), tags FROM learn_learnitem")
        assert [(kind, json.loads(tags)) for kind, tags in cursor.fetchall()] == [
            ("array", expected_tags)
        ]


def test_null_optional_fields_round_trip_as_null(editor_client):
    # when
    created = editor_client.execute(
        CREATE,
        {"input": {"kind": "GOOD", "filename": None, "sizeBytes": None, "notes": None}},
    )
    item_id = created["data"]["learnItemCreate"]["id"]
    loaded = editor_client.execute(ITEM, {"id": item_id})["data"]["learnItem"]

    # then
    assert {key: loaded[key] for key in ("filename", "sizeBytes", "notes", "tags")} == {
        "filename": None,
        "sizeBytes": None,
        "notes": None,
        "tags": [],
    }
    assert LearnItem.objects.filter(filename=None, size_bytes=None, notes=None).count() == 1


def test_empty_strings_stay_empty_strings(editor_client):
    # when
    result = editor_client.execute(CREATE, {"input": {"kind": "GOOD", "filename": "", "notes": ""}})

    # then
    item = result["data"]["learnItemCreate"]
    assert (item["filename"], item["notes"]) == ("", "")


def test_items_are_listed_newest_first(reader_client):
    # given: saved out of order
    for minute in (5, 1, 9, 3):
        LearnItemFactory(filename=f"m{minute}.md", created_at=f"2025-11-22T05:0{minute}:00+00:00")

    # when
    result = reader_client.execute(LIST)

    # then
    assert result == {
        "data": {
            "learnItems": {
                "totalCount": 4,
                "nodes": [
                    {"filename": "m9.md", "createdAt": "2025-11-22T05:09:00+00:00"},
                    {"filename": "m5.md", "createdAt": "2025-11-22T05:05:00+00:00"},
                    {"filename": "m3.md", "createdAt": "2025-11-22T05:03:00+00:00"},
                    {"filename": "m1.md", "createdAt": "2025-11-22T05:01:00+00:00"},
                ],
            }
        }
    }
