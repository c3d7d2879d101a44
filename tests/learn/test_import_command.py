import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from learn.models import LearnItem

EXAMPLE = {
    "kind": "good",
    "filename": "email_copy_example.md",
    "size_bytes": 1280,
    "notes": "Effective email subject line that drove 32% open rate",
    "tags": ["email", "conversion", "copywriting"],
    "created_at": "2025-11-22T05:26:30Z",
}
NO_DATE = {"kind": "bad", "filename": "spam_antipattern.md", "tags": ["mistake", "email"]}

LINES = [
    json.dumps(EXAMPLE),  # 1
    json.dumps(NO_DATE),  # 2
    "{broken json",  # 3
    json.dumps({"kind": "meh", "filename": "x.md"}),  # 4
    json.dumps({"kind": "good", "tags": ["ok", "t" * 65, 7, " "]}),  # 5
    "",  # 6: blank lines are skipped, not counted
    '["kind", "good"]',  # 7
    json.dumps({"kind": "good", "id": 4, "content": "?"}),  # 8
    json.dumps({"kind": "bad", "size_bytes": -1, "created_at": "yesterday"}),  # 9
    json.dumps({"kind": "bad", "size_bytes": "12", "notes": 5}),  # 10
    # 11: the same as line 1 written differently: key order, spacing, tag order, offset
    '{"created_at": "2025-11-22T06:26:30+01:00", "tags": ["copywriting", "email", "conversion"],'
    ' "notes": "Effective email subject line that drove 32% open rate",'
    ' "size_bytes": 1280, "filename": "email_copy_example.md", "kind": "good"}',
    json.dumps({"kind": "good", "notes": None, "filename": None, "size_bytes": None}),  # 12
]
REJECTIONS = [
    "line 3: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
    'line 4: kind: must be "good" or "bad", got "meh"',
    "line 5: tags[1]: must be at most 64 characters; tags[2]: must be a string; "
    "tags[3]: must not be empty",
    "line 7: must be a JSON object, got list",
    "line 8: unknown field(s): content, id",
    "line 9: created_at: must be an ISO 8601 date-time such as 2025-11-22T05:26:30Z",
    "line 10: notes: must be a string or null; size_bytes: must be a whole number or null",
    "line 13: not valid UTF-8",
]


@pytest.fixture
def legacy_file(tmp_path):
    path = tmp_path / "learn_store.jsonl"
    content = "\n".join(LINES).encode() + b"\n" + b'{"kind": "good", "notes": "\xff"}\n'
    path.write_bytes(content)
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_learn_jsonl", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def test_import_reports_bad_lines_and_imports_the_good_ones(db, legacy_file):
    # when
    before = timezone.now()
    out, err, error = run(legacy_file)

    # then
    assert out == "read: 12\nimported: 3\nskipped as duplicates: 1\nrejected: 8\n"
    assert err.splitlines() == REJECTIONS
    assert error == "8 line(s) rejected; see the messages above."
    items = {item.filename: item for item in LearnItem.objects.all()}
    assert set(items) == {"email_copy_example.md", "spam_antipattern.md", None}
    example = items["email_copy_example.md"]
    assert (example.kind, example.size_bytes, example.notes, example.tags, example.created_at) == (
        "good",
        1280,
        "Effective email subject line that drove 32% open rate",
        ["email", "conversion", "copywriting"],
        datetime(2025, 11, 22, 5, 26, 30, tzinfo=UTC),
    )
    assert items["spam_antipattern.md"].created_at >= before
    assert (items[None].notes, items[None].size_bytes, items[None].tags) == (None, None, [])
    assert all(item.created_by is None for item in items.values())


def test_a_second_run_imports_nothing_twice(db, legacy_file):
    # given
    run(legacy_file)
    first = sorted(LearnItem.objects.values_list("id", "import_fingerprint"))

    # when
    out, _, _ = run(legacy_file)

    # then: the line without created_at is recognised too
    assert out == "read: 12\nimported: 0\nskipped as duplicates: 4\nrejected: 8\n"
    assert sorted(LearnItem.objects.values_list("id", "import_fingerprint")) == first


def test_small_batches_give_the_same_result(db, legacy_file):
    # when
    out, _, _ = run(legacy_file, "--batch-size", 1)

    # then
    assert out == "read: 12\nimported: 3\nskipped as duplicates: 1\nrejected: 8\n"
    assert LearnItem.objects.count() == 3


def test_dry_run_counts_exactly_and_writes_nothing(db, legacy_file):
    # when
    out, err, error = run(legacy_file, "--dry-run", "--batch-size", 2)

    # then
    assert out == (
        "read: 12\nwould be imported: 3\nskipped as duplicates: 1\nrejected: 8\n"
        "Dry run: nothing was written.\n"
    )
    assert err.splitlines() == REJECTIONS
    assert error == "8 line(s) rejected; see the messages above."
    assert LearnItem.objects.count() == 0


def test_a_clean_file_succeeds(db, tmp_path):
    # given
    path = tmp_path / "clean.jsonl"
    path.write_text(json.dumps(EXAMPLE) + "\n\n" + json.dumps(NO_DATE))

    # when
    out, err, error = run(path)

    # then
    assert (out, err, error) == (
        "read: 2\nimported: 2\nskipped as duplicates: 0\nrejected: 0\n",
        "",
        None,
    )


def test_items_saved_through_the_api_are_not_taken_for_duplicates(db, tmp_path):
    # given: the same content, saved by hand before the import
    LearnItem.objects.create(
        kind="good",
        filename=EXAMPLE["filename"],
        size_bytes=EXAMPLE["size_bytes"],
        notes=EXAMPLE["notes"],
        tags=EXAMPLE["tags"],
        created_at=datetime(2025, 11, 22, 5, 26, 30, tzinfo=UTC),
    )
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(EXAMPLE) + "\n")

    # when
    out, _, _ = run(path)

    # then: only lines already imported by this command count as duplicates
    assert out == "read: 1\nimported: 1\nskipped as duplicates: 0\nrejected: 0\n"


def test_values_postgresql_cannot_store_are_rejected_not_fatal(db, tmp_path):
    # given
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"kind": "good", "notes": "lone \\ud800 surrogate"}\n'
        '{"kind": "good", "tags": ["nul\\u0000"], "filename": "a\\u0000b"}\n'
        '{"kind": "good", "created_at": "0001-01-01T00:00:00+05:00"}\n'
        '{"kind": "good", "size_bytes": 100000000000000000000}\n'
        '{"kind": "good", "filename": "fine.md"}\n'
    )

    # when
    out, err, _ = run(path)

    # then
    assert out == "read: 5\nimported: 1\nskipped as duplicates: 0\nrejected: 4\n"
    assert err.splitlines() == [
        "line 1: notes: Must not contain lone surrogate characters",
        "line 2: filename: Must not contain NUL characters; tags[0]: must not contain NUL "
        "characters",
        "line 3: created_at: must be an ISO 8601 date-time such as 2025-11-22T05:26:30Z",
        "line 4: size_bytes: Ensure this value is less than or equal to 2147483647",
    ]
    assert list(LearnItem.objects.values_list("filename", flat=True)) == ["fine.md"]


def test_progress_bar_goes_to_stderr_when_asked(db, tmp_path):
    # given
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(EXAMPLE) + "\n")

    # when
    _, err, _ = run(path, "--progress")

    # then
    assert "100%" in err
    assert f"{path.stat().st_size}/{path.stat().st_size}" in err


def test_missing_file_is_a_clear_error(db, tmp_path):
    # when
    _, _, error = run(tmp_path / "nope.jsonl")

    # then
    assert error == f"No such file: {tmp_path / 'nope.jsonl'}"
