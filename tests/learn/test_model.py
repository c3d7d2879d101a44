import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from learn.models import LearnItem
from learn.tags import normalize_tags
from tests.learn.factories import LearnItemFactory


def test_tags_are_trimmed_and_keep_their_order():
    # when
    tags = normalize_tags(["  b", "a ", "Émoji 🎯", "A"])

    # then
    assert tags == ["b", "a", "Émoji 🎯", "A"]


@pytest.mark.parametrize("value", [None, []])
def test_no_tags_is_an_empty_list(value):
    # when / then
    assert normalize_tags(value) == []


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        ("email", ["tags: must be a list of strings"]),
        ({"a": 1}, ["tags: must be a list of strings"]),
        ([1, None, ["x"]], [f"tags[{n}]: must be a string" for n in range(3)]),
        (["", "   "], ["tags[0]: must not be empty", "tags[1]: must not be empty"]),
        (["x" * 64, "y" * 65], ["tags[1]: must be at most 64 characters"]),
        (["a", "b", " a"], ["tags[2]: duplicate of tags[0] ('a')"]),
        (["a,b"], ["tags[0]: must not contain a comma"]),
        (["a\x00"], ["tags[0]: must not contain NUL characters"]),
        (["\ud800"], ["tags[0]: must not contain lone surrogate characters"]),
        ([f"t{n}" for n in range(51)], ["tags: at most 50 tags, got 51"]),
    ],
)
def test_bad_tags_are_named_by_position(value, messages):
    # when
    with pytest.raises(ValidationError) as caught:
        normalize_tags(value)

    # then
    assert caught.value.messages == messages


def test_full_clean_turns_null_tags_into_an_empty_list(db):
    # given
    item = LearnItem(kind="good", tags=None)

    # when
    item.full_clean()

    # then
    assert item.tags == []


@pytest.mark.parametrize("tags", ["", {}])
def test_full_clean_refuses_empty_looking_tags_that_are_not_a_list(db, tags):
    # given: values Django itself would skip as blank
    item = LearnItem(kind="good", tags=tags)

    # when
    with pytest.raises(ValidationError) as caught:
        item.full_clean()

    # then
    assert caught.value.message_dict == {"tags": ["tags: must be a list of strings"]}


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("kind", "'meh'", "learn_item_kind_valid"),
        ("tags", "'{}'::jsonb", "learn_item_tags_is_array"),
        ("tags", "'\"email\"'::jsonb", "learn_item_tags_is_array"),
        ("size_bytes", "-1", "learn_learnitem_size_bytes_check"),
        ("size_bytes", "2147483648", "learn_item_size_max"),
    ],
)
def test_the_database_refuses_what_validation_refuses(db, column, value, constraint):
    # given: a row written around the model
    values = {"kind": "'good'", "tags": "'[]'::jsonb", "created_at": "now()", column: value}
    sql = f"INSERT INTO learn_learnitem ({', '.join(values)}) VALUES ({', '.join(values.values())})"

    # when
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)

    # then
    assert constraint in str(caught.value)
    assert LearnItem.objects.count() == 0


def test_an_import_fingerprint_is_stored_once(db):
    # given
    LearnItemFactory(import_fingerprint="f" * 64)

    # when
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        LearnItemFactory(import_fingerprint="f" * 64)

    # then
    assert "learn_item_fingerprint_uniq" in str(caught.value)
    assert LearnItem.objects.count() == 1


def test_items_without_fingerprint_may_repeat(db):
    # when
    LearnItemFactory.create_batch(2, import_fingerprint=None, filename="same.md")

    # then
    assert LearnItem.objects.filter(filename="same.md").count() == 2
