import pytest

THREADS = """
query($f: ThreadFilter, $first: Int, $offset: Int) {
  threads(filters: $f, first: $first, offset: $offset) { totalCount }
}"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "message", "extensions"),
    [
        (
            {"offset": 2**31},
            "Page offset too large: 'offset' is 2147483648, the maximum is 10000 (page further "
            "with cursors).",
            {"code": "VALIDATION_ERROR", "field": "offset"},
        ),
        (
            {"first": 2**31 - 1},
            "Page size too large: 'first' is 2147483647, the maximum is 100.",
            {"code": "PAGE_SIZE_TOO_LARGE", "field": "first"},
        ),
        (
            {"offset": -(2**31)},
            "Page offset must be 0 or more: 'offset' is -2147483648.",
            {"code": "VALIDATION_ERROR", "field": "offset"},
        ),
    ],
    ids=["int out of range", "page size", "negative offset"],
)
def test_a_request_refused_before_it_runs_carries_a_code(
    make_user, api_client, variables, message, extensions
):
    # given
    client = api_client(make_user("alice", perms=["chat.view_thread"]))

    # when
    result = client.execute(THREADS, variables)

    # then
    assert result["data"] is None
    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [(message, extensions)]


@pytest.mark.django_db
def test_a_time_outside_the_accepted_range_carries_bad_request(make_user, api_client):
    # given
    client = api_client(make_user("alice", perms=["chat.view_thread"]))

    # when
    result = client.execute(THREADS, {"f": {"createdFrom": "9999-12-31T23:59:59-14:00"}})

    # then
    assert result["data"] is None
    assert [e["extensions"] for e in result["errors"]] == [{"code": "BAD_REQUEST"}]
    assert result["errors"][0]["message"].startswith("Variable '$f' has invalid value at ")
