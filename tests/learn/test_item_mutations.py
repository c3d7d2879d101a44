import pytest

from config.context import NOT_SIGNED_IN
from learn.models import LearnItem
from tests.learn.factories import LearnItemFactory

ITEM_FIELDS = "id kind filename sizeBytes notes tags"
PAYLOAD = f"""
    ... on LearnItem {{ {ITEM_FIELDS} }}
    ... on OperationInfo {{ messages {{ kind field message }} }}
"""
CREATE = f"""
mutation ($input: LearnItemCreateInput!) {{ learnItemCreate(input: $input) {{ {PAYLOAD} }} }}
"""
UPDATE = f"""
mutation ($id: ID!, $input: LearnItemUpdateInput!) {{
  learnItemUpdate(id: $id, input: $input) {{ {PAYLOAD} }}
}}
"""
DELETE = f"mutation ($id: ID!) {{ learnItemDelete(id: $id) {{ {PAYLOAD} }} }}"


def messages(result, mutation):
    return result["data"][mutation]["messages"]


def test_create_refuses_bad_tags_naming_each_position(editor_client):
    # given
    tags = ["ok", "  ", "x" * 65, "ok ", "a,b", "fine"]

    # when
    result = editor_client.execute(CREATE, {"input": {"kind": "GOOD", "tags": tags}})

    # then
    assert messages(result, "learnItemCreate") == [
        {"kind": "VALIDATION", "field": "tags", "message": "tags[1]: must not be empty"},
        {
            "kind": "VALIDATION",
            "field": "tags",
            "message": "tags[2]: must be at most 64 characters",
        },
        {"kind": "VALIDATION", "field": "tags", "message": "tags[3]: duplicate of tags[0] ('ok')"},
        {"kind": "VALIDATION", "field": "tags", "message": "tags[4]: must not contain a comma"},
    ]
    assert LearnItem.objects.count() == 0


def test_create_refuses_too_many_tags(editor_client):
    # when
    result = editor_client.execute(
        CREATE, {"input": {"kind": "GOOD", "tags": [f"t{n}" for n in range(51)]}}
    )

    # then
    assert messages(result, "learnItemCreate") == [
        {"kind": "VALIDATION", "field": "tags", "message": "tags: at most 50 tags, got 51"}
    ]
    assert LearnItem.objects.count() == 0


def test_create_refuses_bad_fields_naming_them(editor_client):
    # given
    item = {"kind": "BAD", "filename": "f" * 256, "sizeBytes": -1, "notes": "nul\x00byte"}

    # when
    result = editor_client.execute(CREATE, {"input": item})

    # then
    assert messages(result, "learnItemCreate") == [
        {
            "kind": "VALIDATION",
            "field": "filename",
            "message": "Ensure this value has at most 255 characters (it has 256).",
        },
        {
            "kind": "VALIDATION",
            "field": "sizeBytes",
            "message": "Ensure this value is greater than or equal to 0.",
        },
        {
            "kind": "VALIDATION",
            "field": "notes",
            "message": "Must not contain NUL characters.",
        },
    ]
    assert LearnItem.objects.count() == 0


def test_create_refuses_an_unknown_kind_before_running(editor_client):
    # when
    result = editor_client.execute(CREATE, {"input": {"kind": "MEH"}})

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [
        "Variable '$input' has invalid value at .kind: "
        "Value 'MEH' does not exist in 'LearnItemKind' enum."
    ]
    assert LearnItem.objects.count() == 0


def test_create_needs_the_add_permission(reader_client):
    # when
    result = reader_client.execute(CREATE, {"input": {"kind": "GOOD"}})

    # then
    assert messages(result, "learnItemCreate") == [
        {
            "kind": "PERMISSION",
            "field": None,
            "message": "You don't have permission to do this (learn.add_learnitem).",
        }
    ]
    assert LearnItem.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "variables", "mutation"),
    [
        (CREATE, {"input": {"kind": "GOOD"}}, "learnItemCreate"),
        (UPDATE, {"id": "ITEM", "input": {"notes": "x"}}, "learnItemUpdate"),
        (DELETE, {"id": "ITEM"}, "learnItemDelete"),
    ],
)
def test_anonymous_callers_cannot_write(query, variables, mutation, anon_client):
    # given
    item = LearnItemFactory(notes="before")
    variables = {k: str(item.pk) if v == "ITEM" else v for k, v in variables.items()}

    # when
    result = anon_client.execute(query, variables)

    # then
    assert messages(result, mutation) == [
        {"kind": "PERMISSION", "field": None, "message": NOT_SIGNED_IN}
    ]
    assert list(LearnItem.objects.values_list("notes", flat=True)) == ["before"]


def test_update_changes_only_the_given_fields(editor_client):
    # given
    item = LearnItemFactory(
        kind="good", filename="a.md", size_bytes=10, notes="old", tags=["email", "draft"]
    )
    created_at = item.created_at

    # when
    result = editor_client.execute(
        UPDATE, {"id": str(item.pk), "input": {"notes": "new", "tags": ["email", " final "]}}
    )

    # then
    assert result == {
        "data": {
            "learnItemUpdate": {
                "id": str(item.pk),
                "kind": "GOOD",
                "filename": "a.md",
                "sizeBytes": 10,
                "notes": "new",
                "tags": ["email", "final"],
            }
        }
    }
    item.refresh_from_db()
    assert (item.notes, item.tags, item.created_at) == ("new", ["email", "final"], created_at)


def test_update_with_null_clears_optional_fields(editor_client):
    # given
    item = LearnItemFactory(filename="a.md", size_bytes=10, notes="n", tags=["x"])

    # when
    result = editor_client.execute(
        UPDATE,
        {
            "id": str(item.pk),
            "input": {"filename": None, "sizeBytes": None, "notes": None, "tags": None},
        },
    )

    # then
    assert result["data"]["learnItemUpdate"] == {
        "id": str(item.pk),
        "kind": "GOOD",
        "filename": None,
        "sizeBytes": None,
        "notes": None,
        "tags": [],
    }


def test_update_refuses_clearing_the_kind_and_changes_nothing(editor_client):
    # given
    item = LearnItemFactory(kind="bad", notes="old")

    # when
    result = editor_client.execute(
        UPDATE, {"id": str(item.pk), "input": {"kind": None, "notes": "new"}}
    )

    # then
    assert messages(result, "learnItemUpdate") == [
        {"kind": "VALIDATION", "field": "kind", "message": "This field cannot be null."}
    ]
    item.refresh_from_db()
    assert (item.kind, item.notes) == ("bad", "old")


def test_update_needs_the_change_permission(api_client, make_user):
    # given
    item = LearnItemFactory(notes="old")
    client = api_client(make_user("adder", perms=["learn.view_learnitem", "learn.add_learnitem"]))

    # when
    result = client.execute(UPDATE, {"id": str(item.pk), "input": {"notes": "new"}})

    # then
    assert messages(result, "learnItemUpdate") == [
        {
            "kind": "PERMISSION",
            "field": None,
            "message": "You don't have permission to do this (learn.change_learnitem).",
        }
    ]
    item.refresh_from_db()
    assert item.notes == "old"


def test_any_team_member_may_edit_items_saved_by_others(api_client, make_user):
    # given
    item = LearnItemFactory(created_by=make_user("ann"), notes="old")
    client = api_client(make_user("bob", perms=["learn.change_learnitem"]))

    # when
    result = client.execute(UPDATE, {"id": str(item.pk), "input": {"notes": "new"}})

    # then
    assert result["data"]["learnItemUpdate"]["notes"] == "new"
    item.refresh_from_db()
    assert (item.notes, item.created_by.username) == ("new", "ann")


@pytest.mark.parametrize("item_id", ["999999", "abc"])
def test_update_and_delete_of_a_missing_item(item_id, editor_client):
    # given
    LearnItemFactory()

    # when
    updated = editor_client.execute(UPDATE, {"id": item_id, "input": {"notes": "x"}})
    deleted = editor_client.execute(DELETE, {"id": item_id})

    # then
    expected = [{"kind": "ERROR", "field": None, "message": f"No learn item with id '{item_id}'."}]
    assert messages(updated, "learnItemUpdate") == expected
    assert messages(deleted, "learnItemDelete") == expected
    assert LearnItem.objects.count() == 1


def test_delete_returns_the_item_as_it_was(editor_client):
    # given
    item = LearnItemFactory(kind="bad", filename="gone.md", size_bytes=1, notes=None, tags=["x"])
    other = LearnItemFactory()

    # when
    result = editor_client.execute(DELETE, {"id": str(item.pk)})

    # then
    assert result == {
        "data": {
            "learnItemDelete": {
                "id": str(item.pk),
                "kind": "BAD",
                "filename": "gone.md",
                "sizeBytes": 1,
                "notes": None,
                "tags": ["x"],
            }
        }
    }
    assert list(LearnItem.objects.values_list("pk", flat=True)) == [other.pk]


def test_delete_needs_the_delete_permission(api_client, make_user):
    # given
    item = LearnItemFactory()
    client = api_client(make_user("changer", perms=["learn.change_learnitem"]))

    # when
    result = client.execute(DELETE, {"id": str(item.pk)})

    # then
    assert messages(result, "learnItemDelete") == [
        {
            "kind": "PERMISSION",
            "field": None,
            "message": "You don't have permission to do this (learn.delete_learnitem).",
        }
    ]
    assert LearnItem.objects.count() == 1
