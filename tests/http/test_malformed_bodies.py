"""Raw HTTP bodies a careless or hostile client sends: each gets a 400 JSON error, never a 500."""

import json

import pytest

URL = "/graphql/"
QUERY = "{ viewer { username } }"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def with_query(rest: str = "") -> str:
    """A request body with the query and `rest` (raw JSON members) after it."""
    return '{"query": "' + QUERY + '"' + rest + "}"


MALFORMED = {
    "nested 950 levels in an unused variable": (
        with_query(', "variables": {"x": ' + deep(950) + "}"),
        "application/json",
    ),
    "nested 100,000 levels": (
        with_query(', "v": ' + deep(100_000)),
        "application/json",
    ),
    "invalid UTF-8": (b'{"query": "{ viewer { username } }\xff\xfe"}', "application/json"),
    "UTF-16": (json.dumps({"query": QUERY}).encode("utf-16"), "application/json"),
    "null": ("null", "application/json"),
    "a number too large for a float": ("1e999999", "application/json"),
    "a string": ('"{ viewer { username } }"', "application/json"),
    "an empty body": ("", "application/json"),
    "truncated": ('{"query": "{ viewer', "application/json"),
    "NaN": (with_query(', "variables": {"x": NaN}'), "application/json"),
    "variables not an object": (with_query(', "variables": [1]'), "application/json"),
    "query not a string": ('{"query": 5}', "application/json"),
    "operationName not a string": (
        with_query(', "operationName": {}'),
        "application/json",
    ),
    "extensions not an object": (with_query(', "extensions": 1'), "application/json"),
    "a batch of nulls": ("[null, null]", "application/json"),
    "an unknown content type": (with_query(), "text/x-unknown"),
    "a form body": ("query=%7B+viewer+%7B+username+%7D+%7D", "application/x-www-form-urlencoded"),
    "multipart without boundary": ("--x\r\n", "multipart/form-data"),
}


@pytest.mark.parametrize("body,content_type", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_is_a_400_json_error(client, body, content_type):
    # given a body no GraphQL client would send
    # when it is posted anonymously
    response = client.post(URL, data=body, content_type=content_type)

    # then the answer is a JSON error in GraphQL's shape with a code
    assert response.status_code in (400, 415), response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert payload["data"] is None
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"]


def test_json_variables_deeper_than_the_limit_are_refused_naming_the_variable(client):
    # given a variable nested one level deeper than the documented limit
    from config.views import JSON_MAX_DEPTH

    value = deep(JSON_MAX_DEPTH + 1)
    body = with_query(', "variables": {"meta": ' + value + "}")

    # when it is posted
    response = client.post(URL, data=body, content_type="application/json")

    # then it is refused naming the variable, before anything runs
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["message"] == (
        f"JSON nested deeper than {JSON_MAX_DEPTH} levels at variables.meta."
    )


def test_json_at_the_depth_limit_is_accepted(client):
    # given a variable exactly at the limit
    from config.views import JSON_MAX_DEPTH

    value = deep(JSON_MAX_DEPTH)
    body = with_query(', "variables": {"meta": ' + value + "}")

    # when it is posted anonymously
    response = client.post(URL, data=body, content_type="application/json")

    # then the request is executed (the anonymous viewer is null)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_a_405_json_error(client, method):
    response = getattr(client, method.lower())(URL, data="{}", content_type="application/json")

    assert response.status_code == 405
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_get_with_broken_variables_is_a_400_json_error(client):
    response = client.get(URL, {"query": QUERY, "variables": "[" * 5000})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
