"""Raw request bodies the GraphQL endpoint must refuse as 400 JSON errors, never a 500."""

import json

import pytest
from django.test import Client

URL = "/graphql/"
VIEWER = '{"query": "{ viewer { username } }"}'


def post(body: bytes | str, content_type: str = "application/json", **headers):
    return Client().post(URL, data=body, content_type=content_type, headers=headers)


def bad_request(message: str) -> dict:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def with_variable(value: str) -> str:
    return VIEWER[:-1] + ', "variables": {"unused": ' + value + "}}"


NOT_JSON = "Unable to parse request body as JSON."
NOT_UTF8 = "Request body is not valid UTF-8 JSON."
NOT_AN_OPERATION = "The request body must be one JSON object with a 'query' (no batches)."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", NOT_AN_OPERATION),
        (b"1e999999", NOT_JSON),
        (b"[]", NOT_AN_OPERATION),
        (b'[{"query": "{ viewer { username } }"}]', NOT_AN_OPERATION),
        (b'"{ viewer { username } }"', NOT_AN_OPERATION),
        (b"42", NOT_AN_OPERATION),
        (b"{", NOT_JSON),
        (b'{"query": NaN}', NOT_JSON),
        (b'{"query": "{ viewer { username } }", "x": 1e400}', NOT_JSON),
        (b'{"query": "{ viewer { username } }", "x": 1' + b"0" * 5000 + b"}", NOT_JSON),
        (b'{"query": "\xff\xfe"}', NOT_UTF8),
        (VIEWER.encode("utf-16"), NOT_UTF8),
        (VIEWER.encode("utf-16-le"), NOT_JSON),
        (b"\xef\xbb\xbf" + VIEWER.encode(), NOT_JSON),
        (b'{"query": 1}', "'query' must be a string."),
        (
            b'{"query": "{ viewer { username } }", "variables": []}',
            "'variables' must be an object.",
        ),
        (
            b'{"query": "{ viewer { username } }", "operationName": 1}',
            "'operationName' must be a string.",
        ),
    ],
    ids=repr,
)
def test_malformed_bodies_are_400_json_errors(db, body, message):
    # when
    response = post(body)

    # then
    assert (response.status_code, response.json()) == (400, bad_request(message))


@pytest.mark.parametrize("depth", [33, 500, 5000, 30_000])
def test_deep_json_in_an_unused_variable_is_refused_naming_it(db, depth):
    # given
    body = with_variable(nested(depth))

    # when
    response = post(body)

    # then
    if depth < 1000:
        message = "Variable 'unused' is nested deeper than 32 levels (the limit for JSON values)."
    else:  # too deep for the JSON reader itself
        message = "The request body is nested deeper than 32 levels (the limit for JSON values)."
    assert (response.status_code, response.json()) == (400, bad_request(message))


def test_deep_json_anywhere_in_the_body_is_refused(db):
    # when
    response = post(VIEWER[:-1] + ', "junk": ' + nested(40) + "}")

    # then
    assert (response.status_code, response.json()) == (
        400,
        bad_request("'junk' is nested deeper than 32 levels (the limit for JSON values)."),
    )


def test_json_at_the_depth_limit_is_accepted(db):
    # given
    body = with_variable(nested(32))

    # when
    response = post(body)

    # then
    assert (response.status_code, response.json()) == (200, {"data": {"viewer": None}})


@pytest.mark.parametrize(
    "query_string",
    [
        "variables=null1",
        "variables=%5B%5D",
        "variables=" + "%5B" * 40 + "%5D" * 40,
        "query=%7B+viewer+%7B+username+%7D+%7D&variables=1",
    ],
)
def test_malformed_get_parameters_are_400_json_errors(db, query_string):
    # when
    response = Client().get(f"{URL}?{query_string}", headers={"Accept": "application/json"})

    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_405_json_errors(db, method):
    # when
    response = getattr(Client(), method)(URL, data=VIEWER, content_type="application/json")

    # then
    assert response.status_code == 405
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "GraphQL only supports GET and POST requests.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ],
    }


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_other_content_types_are_400_json_errors(db, content_type):
    # when
    response = post(VIEWER, content_type=content_type)

    # then
    assert (response.status_code, response.json()) == (400, bad_request("Unsupported content type"))


def test_an_anonymous_body_above_its_limit_is_refused_before_parsing(db):
    # given: valid JSON, but larger than an anonymous caller may send
    body = json.dumps({"query": "{ viewer { username } }", "variables": {"x": "a" * 70_000}})

    # when
    response = post(body)

    # then
    assert response.status_code == 413
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Request body too large for an anonymous request (limit 65536 bytes): "
                "authenticate with an API key.",
                "extensions": {"code": "REQUEST_TOO_LARGE"},
            }
        ],
    }


def test_an_authenticated_body_above_the_anonymous_limit_is_read(api_client, make_user):
    # given
    client = api_client(make_user("alice"))
    body = json.dumps({"query": "{ viewer { username } }", "variables": {"x": "a" * 70_000}})

    # when
    response = client.request(json.loads(body))

    # then
    assert (response.status_code, response.json()) == (
        200,
        {"data": {"viewer": {"username": "alice"}}},
    )


def test_a_content_length_that_is_not_a_number_is_refused(db):
    # when
    response = Client().generic("POST", URL, VIEWER, "application/json", CONTENT_LENGTH="ten")

    # then
    assert (response.status_code, response.json()) == (
        400,
        bad_request("Content-Length is not a number."),
    )
