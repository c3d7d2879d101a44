"""The docs harness itself: how examples are read, matched and written back."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.docs.jsonvalues import ANY, layout, matches, regenerate
from tests.docs.markdown import examples
from tests.docs.runner import compare, rewrite, run

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
WINDOW = (NOW, NOW + dt.timedelta(seconds=5))


def test_examples_pair_operations_with_variables_responses_and_callers(tmp_path):
    # given
    doc = tmp_path / "doc.md"
    doc.write_text(
        'Text.\n\n```graphql\n{ a }\n```\n```json\n{"data": {"a": 1}}\n```\n\n'
        "<!-- as: bob staff chat.view_thread -->\n"
        '```graphql\nquery ($x: Int) { b(x: $x) }\n```\n```json\n{"x": 1}\n```\n'
        '```json response\n{"data": null}\n```\n\n'
        'Prose between.\n\n```json\n{"not": "its variables"}\n```\n\n'
        "- item\n\n  ```graphql\n  subscription { c }\n  ```\n"
    )

    # when
    found = examples(doc, "admin")

    # then
    assert [
        (
            e.operation.start,
            e.caller,
            e.variables and e.variables.text,
            e.response and e.response.text,
        )
        for e in found
    ] == [
        (3, "admin", None, '{"data": {"a": 1}}'),
        (11, "bob staff chat.view_thread", '{"x": 1}', '{"data": null}'),
        (29, "bob staff chat.view_thread", None, None),
    ]
    assert [e.is_subscription for e in found] == [False, False, True]
    assert found[2].operation.indent == "  "


def test_wildcards_match_any_value_or_any_text_inside_a_string():
    assert matches({"id": ANY, "key": "dk_…_x"}, {"id": 7, "key": "dk_abc_x"})
    assert matches([ANY], [None])
    assert not matches({"key": "dk_…"}, {"key": "sk_1"})
    assert not matches({"a": 1}, {"a": 1, "b": 2})
    assert not matches({"a": 1}, {"a": 1.0})
    assert not matches([1, 2], [2, 1])


def test_regenerate_keeps_stable_values_and_wildcards_what_varies_or_is_now():
    # given two runs of the same example
    first = {"id": "1", "key": "dk_aaa_111", "at": "2026-12-01T12:00:01+00:00", "n": 3, "ms": 1.5}
    second = {"id": "1", "key": "dk_bbb_222", "at": "2026-12-01T12:00:04+00:00", "n": 3, "ms": 2.5}

    # when
    written = regenerate({"id": "1", "n": ANY}, first, second, WINDOW)

    # then
    assert written == {"id": "1", "key": "dk_…", "at": ANY, "n": ANY, "ms": ANY}


def test_layout_keeps_short_values_on_one_line_and_wraps_long_ones():
    assert layout({"data": {"a": [1, 2]}}) == '{"data": {"a": [1, 2]}}'
    assert layout({"data": {"text": "x" * 100}}) == (
        '{\n  "data": {\n    "text": "' + "x" * 100 + '"\n  }\n}'
    )


@pytest.mark.django_db(transaction=True)
def test_update_mode_writes_responses_that_the_next_run_then_matches(tmp_path):
    # given a document whose second example has no response yet and a stale, labelled first one
    doc = tmp_path / "doc.md"
    doc.write_text(
        '```graphql\nmutation { threadCreate(input: {id: "t-docs-1"}) { ... on Thread { id createdAt } } }\n```\n'
        '```json response\n{"data": {"threadCreate": {"id": "old"}}}\n```\n\n'
        "<!-- as: anonymous -->\n```graphql\n{ viewer { username } }\n```\n"
    )
    assert compare(run(doc)) != []

    # when
    problems = rewrite(run(doc), run(doc))

    # then
    assert problems == []
    assert doc.read_text() == (
        '```graphql\nmutation { threadCreate(input: {id: "t-docs-1"}) { ... on Thread { id createdAt } } }\n```\n'
        '```json response\n{"data": {"threadCreate": {"id": "t-docs-1", "createdAt": "…"}}}\n```\n\n'
        "<!-- as: anonymous -->\n```graphql\n{ viewer { username } }\n```\n"
        '```json\n{"data": {"viewer": null}}\n```\n'
    )
    assert compare(run(doc)) == []


@pytest.mark.django_db(transaction=True)
def test_update_mode_reports_an_example_the_schema_refuses_with_its_line(tmp_path):
    # given
    doc = tmp_path / "doc.md"
    text = "Intro.\n\n```graphql\n{ threads(pagination: {limit: 1}) { nope } }\n```\n"
    doc.write_text(text)

    # when
    problems = rewrite(run(doc), run(doc))

    # then
    assert len(problems) == 1
    assert problems[0].startswith(f"{doc}:3: refused before it ran: ")
    assert doc.read_text() == text
