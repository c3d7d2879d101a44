from learn.models import LearnItem

IMPORT = """
mutation Import($items: [LearnItemCreateInput!]!, $partial: Boolean! = false) {
  learnItemsImport(items: $items, partial: $partial) {
    ... on LearnItemsImportResult {
      imported
      items { filename tags createdAt createdBy { username } }
      errors { index field message }
    }
    ... on OperationInfo { messages { kind field message } }
  }
}
"""

GOOD = {"kind": "GOOD", "filename": "a.md", "tags": ["email"], "createdAt": "2025-11-22T05:00:00Z"}
ALSO_GOOD = {"kind": "BAD", "filename": "b.md", "createdAt": "2025-11-22T06:00:00Z"}
BAD_TAGS = {"kind": "GOOD", "filename": "c.md", "tags": ["ok", "", "ok"]}
BAD_SIZE = {"kind": "BAD", "filename": "d.md", "sizeBytes": -5}

ERRORS = [
    {"index": 1, "field": "tags", "message": "tags[1]: must not be empty"},
    {"index": 1, "field": "tags", "message": "tags[2]: duplicate of tags[0] ('ok')"},
    {
        "index": 3,
        "field": "sizeBytes",
        "message": "Ensure this value is greater than or equal to 0.",
    },
]


def test_import_writes_all_valid_items_in_order(editor_client):
    # when
    result = editor_client.execute(IMPORT, {"items": [GOOD, ALSO_GOOD]})

    # then
    assert result == {
        "data": {
            "learnItemsImport": {
                "imported": 2,
                "items": [
                    {
                        "filename": "a.md",
                        "tags": ["email"],
                        "createdAt": "2025-11-22T05:00:00+00:00",
                        "createdBy": {"username": "editor"},
                    },
                    {
                        "filename": "b.md",
                        "tags": [],
                        "createdAt": "2025-11-22T06:00:00+00:00",
                        "createdBy": {"username": "editor"},
                    },
                ],
                "errors": [],
            }
        }
    }
    assert LearnItem.objects.count() == 2


def test_import_writes_nothing_when_any_item_is_invalid(editor_client):
    # when
    result = editor_client.execute(IMPORT, {"items": [GOOD, BAD_TAGS, ALSO_GOOD, BAD_SIZE]})

    # then
    assert result == {"data": {"learnItemsImport": {"imported": 0, "items": [], "errors": ERRORS}}}
    assert LearnItem.objects.count() == 0


def test_partial_import_writes_the_valid_items_and_reports_the_rest(editor_client):
    # when
    result = editor_client.execute(
        IMPORT, {"items": [GOOD, BAD_TAGS, ALSO_GOOD, BAD_SIZE], "partial": True}
    )

    # then
    data = result["data"]["learnItemsImport"]
    assert (data["imported"], [item["filename"] for item in data["items"]]) == (
        2,
        ["a.md", "b.md"],
    )
    assert data["errors"] == ERRORS
    assert sorted(LearnItem.objects.values_list("filename", flat=True)) == ["a.md", "b.md"]


def test_import_without_created_at_stamps_every_item_with_the_same_time(editor_client):
    # when
    result = editor_client.execute(
        IMPORT, {"items": [{"kind": "GOOD", "filename": "x"}, {"kind": "BAD", "filename": "y"}]}
    )

    # then
    stamps = {item["createdAt"] for item in result["data"]["learnItemsImport"]["items"]}
    assert len(stamps) == 1
    assert LearnItem.objects.values("created_at").distinct().count() == 1


def test_import_of_1000_items_is_accepted(editor_client, django_assert_num_queries):
    # given
    items = [{"kind": "GOOD", "filename": f"{n}.md", "tags": ["bulk"]} for n in range(1000)]

    # when: API key with permissions and its stamp (2), one INSERT for all rows inside the service's
    # transaction (a savepoint and its release here, as the test itself runs in one)
    # and the mutation's own savepoint with its release (2)
    with django_assert_num_queries(7):
        result = editor_client.execute(
            "mutation ($items: [LearnItemCreateInput!]!) { learnItemsImport(items: $items) "
            "{ ... on LearnItemsImportResult { imported errors { index } } } }",
            {"items": items},
        )

    # then
    assert result == {"data": {"learnItemsImport": {"imported": 1000, "errors": []}}}
    assert LearnItem.objects.filter(tags__contains=["bulk"]).count() == 1000


def test_import_of_more_than_1000_items_is_refused(editor_client):
    # given
    items = [{"kind": "GOOD"}] * 1001

    # when
    result = editor_client.execute(IMPORT, {"items": items})

    # then: refused by the schema's list caps, before the service
    assert result["data"] is None
    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        (
            "List too long: 'items' has 1001 items, the maximum is 1000.",
            {"code": "LIST_TOO_LONG", "field": "items"},
        )
    ]
    assert LearnItem.objects.count() == 0


def test_import_needs_the_add_permission(reader_client):
    # when
    result = reader_client.execute(IMPORT, {"items": [GOOD]})

    # then
    assert result == {
        "data": {
            "learnItemsImport": {
                "messages": [
                    {
                        "kind": "PERMISSION",
                        "field": None,
                        "message": "You don't have permission to do this (learn.add_learnitem).",
                    }
                ]
            }
        }
    }
    assert LearnItem.objects.count() == 0
