"""Who needs a CSRF token: only requests that carry the admin session cookie."""

import pytest
from django.test import Client

VIEWER = {"query": "{ viewer { username } }"}


@pytest.fixture
def browser(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("alice", is_staff=True))
    return client


def test_session_cookie_without_csrf_token_is_refused(browser):
    # when
    response = browser.post("/graphql/", VIEWER, content_type="application/json")

    # then
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": "CSRF_FAILED"}


def test_session_cookie_with_csrf_token_is_accepted(browser):
    # given: the token a page of the admin would have set
    browser.get("/admin/")
    token = browser.cookies["csrftoken"].value

    # when
    response = browser.post(
        "/graphql/", VIEWER, content_type="application/json", headers={"X-CSRFToken": token}
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "alice"}}}


def test_api_key_needs_no_csrf_token(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("bob"))
    client = Client(enforce_csrf_checks=True)

    # when
    response = client.post(
        "/graphql/",
        VIEWER,
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw_key}"},
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "bob"}}}


def test_anonymous_request_without_cookie_needs_no_token(db):
    # when
    response = Client(enforce_csrf_checks=True).post(
        "/graphql/", VIEWER, content_type="application/json"
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


def test_api_key_is_not_accepted_by_the_admin(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("root", is_staff=True, is_superuser=True))

    # when
    response = Client().get("/admin/", headers={"Authorization": f"Bearer {raw_key}"})

    # then: the admin only knows session logins
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_graphiql_sets_the_csrf_cookie_it_sends_back(settings, db):
    # given GraphiQL on, as in DEBUG
    settings.GRAPHIQL_ENABLED = True
    client = Client()

    # when
    response = client.get("/graphql/", headers={"Accept": "text/html"})

    # then the page names the cookie its script reads the token from
    assert response.status_code == 200
    assert b'data-csrf-cookie="csrftoken"' in response.content
    assert client.cookies["csrftoken"].value
