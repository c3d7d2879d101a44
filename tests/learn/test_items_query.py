import warnings
from datetime import UTC, datetime

import pytest

from config.context import NOT_SIGNED_IN
from tests.learn.factories import LearnItemFactory
from tests.statements import statements

SEARCH = """
query Search($filters: LearnItemFilter, $ordering: [LearnItemOrder!], $limit: Int) {
  learnItems(filters: $filters, ordering: $ordering, first: $limit) {
    totalCount
    nodes { filename }
  }
}
"""


def filenames(client, filters=None, ordering=None, limit=None):
    variables = {"filters": filters, "ordering": ordering or [], "limit": limit}
    data = client.execute(SEARCH, variables)["data"]["learnItems"]
    return data["totalCount"], [row["filename"] for row in data["nodes"]]


@pytest.fixture
def store(db):
    """Five items, saved one minute apart in this order."""
    rows = [
        ("good", "welcome_email.md", "Subject line that converts", ["email", "conversion"]),
        ("bad", "spam_antipattern.md", "Avoid ALL CAPS", ["mistake", "email"]),
        ("good", "landing_page.html", "Clear call to action", ["landing", "conversion"]),
        ("bad", "long_intro.md", "Too long before the point", ["copywriting"]),
        ("good", "Onboarding.txt", None, []),
    ]
    for minute, (kind, filename, notes, tags) in enumerate(rows):
        LearnItemFactory(
            kind=kind,
            filename=filename,
            notes=notes,
            tags=tags,
            created_at=datetime(2025, 11, 22, 5, minute, tzinfo=UTC),
        )


def test_filter_by_kind(store, reader_client):
    # when
    result = filenames(reader_client, {"kind": "BAD"})

    # then
    assert result == (2, ["long_intro.md", "spam_antipattern.md"])


def test_tags_all_needs_every_tag(store, reader_client):
    # when
    result = filenames(reader_client, {"tagsAll": ["email", "conversion"]})

    # then
    assert result == (1, ["welcome_email.md"])


def test_tags_any_needs_one_of_the_tags(store, reader_client):
    # when
    result = filenames(reader_client, {"tagsAny": ["landing", "mistake", "nowhere"]})

    # then
    assert result == (2, ["landing_page.html", "spam_antipattern.md"])


def test_tags_any_with_no_tags_matches_nothing(store, reader_client):
    # when
    result = filenames(reader_client, {"tagsAny": []})

    # then
    assert result == (0, [])


def test_tags_match_exactly_not_as_substrings_or_case_insensitively(store, reader_client):
    # when
    result = filenames(reader_client, {"tagsAny": ["Email", "mail", "conv"]})

    # then
    assert result == (0, [])


def test_search_matches_notes_or_filename_ignoring_case(store, reader_client):
    # when
    by_notes = filenames(reader_client, {"search": "all caps"})
    by_filename = filenames(reader_client, {"search": "ONBOARD"})
    by_either = filenames(reader_client, {"search": "long"})

    # then
    assert by_notes == (1, ["spam_antipattern.md"])
    assert by_filename == (1, ["Onboarding.txt"])
    assert by_either == (1, ["long_intro.md"])


def test_created_range_includes_from_and_excludes_before(store, reader_client):
    # when
    result = filenames(
        reader_client,
        {"createdFrom": "2025-11-22T05:01:00+00:00", "createdBefore": "2025-11-22T05:03:00Z"},
    )

    # then
    assert result == (2, ["landing_page.html", "spam_antipattern.md"])


def test_times_without_offset_are_read_in_the_server_time_zone(store, reader_client):
    # when: no "naive datetime" warning either
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = filenames(reader_client, {"createdFrom": "2025-11-22T05:03:00"})

    # then
    assert result == (2, ["Onboarding.txt", "long_intro.md"])


def test_filters_combine(store, reader_client):
    # when
    result = filenames(reader_client, {"kind": "GOOD", "tagsAny": ["conversion"], "search": "md"})

    # then
    assert result == (1, ["welcome_email.md"])


def test_ordering_replaces_newest_first(store, reader_client):
    # when
    oldest_first = filenames(reader_client, ordering=[{"createdAt": "ASC"}])
    by_kind_then_name = filenames(reader_client, ordering=[{"kind": "ASC"}, {"filename": "DESC"}])

    # then
    assert oldest_first == (
        5,
        [
            "welcome_email.md",
            "spam_antipattern.md",
            "landing_page.html",
            "long_intro.md",
            "Onboarding.txt",
        ],
    )
    assert by_kind_then_name == (
        5,
        [
            "spam_antipattern.md",
            "long_intro.md",
            "welcome_email.md",
            "landing_page.html",
            "Onboarding.txt",
        ],
    )


def test_pagination_pages_through_with_the_total(store, reader_client):
    # when
    page = reader_client.execute(
        "{ learnItems(offset: 2, first: 2) "
        "{ totalCount pageInfo { hasNextPage hasPreviousPage } nodes { filename } } }"
    )

    # then
    assert page == {
        "data": {
            "learnItems": {
                "totalCount": 5,
                "pageInfo": {"hasNextPage": True, "hasPreviousPage": True},
                "nodes": [{"filename": "landing_page.html"}, {"filename": "spam_antipattern.md"}],
            }
        }
    }


def test_page_size_above_the_maximum_is_refused(reader_client):
    # when
    result = reader_client.execute(SEARCH, {"limit": 101})

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [
        "Page size too large: 'first' is 101, the maximum is 100."
    ]


@pytest.mark.parametrize("rows", [2, 20])
def test_list_with_nested_creator_takes_constant_queries(
    rows, reader_client, make_user, django_assert_num_queries
):
    # given: every item saved by a different user
    for n in range(rows):
        LearnItemFactory(created_by=make_user(f"author{n}"))
    query = "{ learnItems { totalCount nodes { id tags createdBy { id username } } } }"

    # when: API key lookup with the user's permissions and its last-used stamp (2), then one
    # compiled statement, or the count (1) and the items joined with their creators (1)
    with django_assert_num_queries(statements(standard=4, compiled=3)):
        result = reader_client.execute(query)

    # then
    assert result["data"]["learnItems"]["totalCount"] == rows
    assert {row["createdBy"]["username"] for row in result["data"]["learnItems"]["nodes"]} == {
        f"author{n}" for n in range(rows)
    }


def test_one_item_by_id(reader_client):
    # given
    item = LearnItemFactory(filename="one.md", tags=["x"])

    # when
    result = reader_client.execute(
        "query ($id: ID!) { learnItem(id: $id) { filename tags } }", {"id": str(item.pk)}
    )

    # then
    assert result == {"data": {"learnItem": {"filename": "one.md", "tags": ["x"]}}}


@pytest.mark.parametrize("item_id", ["999999", "abc", "-1", "99999999999999999999"])
def test_unknown_or_malformed_id_gives_null(item_id, reader_client):
    # when
    result = reader_client.execute(
        "query ($id: ID!) { learnItem(id: $id) { filename } }", {"id": item_id}
    )

    # then
    assert result == {"data": {"learnItem": None}}


@pytest.mark.parametrize(
    ("query", "data"),
    [
        ("{ learnItems { totalCount } }", None),
        ("query ($id: ID!) { learnItem(id: $id) { id } }", {"learnItem": None}),
        ("{ learnStats { total } }", None),
    ],
)
def test_anonymous_callers_must_sign_in(query, data, anon_client):
    # given
    item = LearnItemFactory()

    # when
    result = anon_client.execute(query, {"id": str(item.pk)})

    # then
    assert result["data"] == data
    assert [error["message"] for error in result["errors"]] == [NOT_SIGNED_IN]


def test_signed_in_users_need_the_view_permission(api_client, make_user):
    # given
    client = api_client(make_user("outsider", perms=["learn.add_learnitem"]))

    # when
    result = client.execute("{ learnItems { totalCount } }")

    # then
    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == [
        "You don't have permission to do this (learn.view_learnitem)."
    ]


def test_every_team_member_sees_every_item(api_client, make_user):
    # given: items saved by two different users
    LearnItemFactory(created_by=make_user("ann"))
    LearnItemFactory(created_by=make_user("bob"))
    client = api_client(make_user("cai", perms=["learn.view_learnitem"]))

    # when
    result = client.execute("{ learnItems { nodes { createdBy { username } } } }")

    # then
    assert result == {
        "data": {
            "learnItems": {
                "nodes": [{"createdBy": {"username": "bob"}}, {"createdBy": {"username": "ann"}}]
            }
        }
    }


@pytest.mark.parametrize("text", ["em\x00ail", "em\ud800ail"], ids=["nul", "surrogate"])
def test_text_the_database_cannot_hold_matches_nothing(text, store, reader_client):
    # when
    tags_all = reader_client.execute(SEARCH, {"filters": {"tagsAll": ["email", text]}})
    tags_any = filenames(reader_client, {"tagsAny": [text, "landing"]})
    only_unstorable = filenames(reader_client, {"tagsAny": [text]})
    search = reader_client.execute(SEARCH, {"filters": {"search": text}})

    # then
    nothing = {"totalCount": 0, "nodes": []}
    assert tags_all == {"data": {"learnItems": nothing}}
    assert tags_any == (1, ["landing_page.html"])
    assert only_unstorable == (0, [])
    assert search == {"data": {"learnItems": nothing}}
