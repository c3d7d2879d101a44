"""GraphiQL in headless Chromium with no host but 127.0.0.1 reachable: a person types a query
and headers with the keyboard, runs it and reads the answer from the result pane, with an API
key or with the admin session and its CSRF token."""

import pytest

from chat.models import Thread, split_api_key
from tests.browser import (
    QUERY_EDITOR,
    TOOL_EDITOR,
    admin_login,
    editor_text,
    graphql_posts,
    guarded_page,
    in_db_thread,
    open_graphiql,
    run_and_read,
    type_into,
)
from tests.chat.factories import ThreadFactory

CSRF_REFUSED = {
    "data": None,
    "errors": [
        {
            "message": "CSRF verification failed: send the X-CSRFToken header with the admin "
            "session cookie, or authenticate with an API key instead.",
            "extensions": {"code": "CSRF_FAILED"},
        }
    ],
}


@pytest.fixture
def graphiql_on(live_session, settings):
    """GraphiQL as in DEBUG: the page and the introspection it loads the schema with."""
    settings.GRAPHIQL_ENABLED = settings.GRAPHQL_INTROSPECTION = True


def test_a_person_queries_with_an_api_key_typed_into_the_headers_editor(
    live_server, graphiql_on, browser, make_user, make_api_key
):
    # given a user with a thread and an API key, and GraphiQL open in a browser with no session
    alice = in_db_thread(make_user, "alice")
    in_db_thread(ThreadFactory, id="t1", owner=alice, title="Alice's thread")
    raw_key = in_db_thread(make_api_key, alice)
    query = '{ viewer { username apiKeyPrefix } thread(id: "t1") { id title } }'
    headers = f'{{"Authorization": "Bearer {raw_key}"}}'
    page, problems = guarded_page(browser)
    posts = graphql_posts(page)
    open_graphiql(page, live_server.url)

    # when the query and the header are typed and the query is run
    type_into(page, QUERY_EDITOR, query)
    page.click("button[data-name=headers]")
    type_into(page, TOOL_EDITOR, headers)
    typed = (editor_text(page, QUERY_EDITOR), editor_text(page, TOOL_EDITOR))
    answer = run_and_read(page)

    # then
    assert typed == (query, headers)
    assert answer == {
        "data": {
            "viewer": {"username": "alice", "apiKeyPrefix": split_api_key(raw_key)},
            "thread": {"id": "t1", "title": "Alice's thread"},
        }
    }
    assert posts[-1]["authorization"] == f"Bearer {raw_key}"
    assert "sessionid" not in posts[-1]["cookie"]  # the CSRF cookie only: no session
    assert problems == []


def test_admin_session_queries_without_any_header(live_server, graphiql_on, browser, make_user):
    # given staff logged in through the admin form, then on GraphiQL
    in_db_thread(make_user, "boss", is_staff=True, is_superuser=True)
    page, problems = guarded_page(browser)
    admin_login(page, live_server, "boss")
    posts = graphql_posts(page)
    open_graphiql(page, live_server.url)

    # when a query is typed and run, the headers editor left empty
    query = "{ viewer { username isStaff apiKeyPrefix } }"
    type_into(page, QUERY_EDITOR, query)
    typed = editor_text(page, QUERY_EDITOR)
    answer = run_and_read(page)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    # then the page sent the session cookie and the CSRF token, and no key
    assert typed == query
    assert answer == {
        "data": {"viewer": {"username": "boss", "isStaff": True, "apiKeyPrefix": None}}
    }
    assert posts[-1]["x-csrftoken"] == cookies["csrftoken"]
    assert f"sessionid={cookies['sessionid']}" in posts[-1]["cookie"]
    assert "authorization" not in posts[-1]
    assert problems == []


def test_admin_session_mutation_needs_the_csrf_token(live_server, graphiql_on, browser, make_user):
    # given staff logged in through the admin form, then on GraphiQL
    boss = in_db_thread(make_user, "boss", is_staff=True, is_superuser=True)
    page, problems = guarded_page(browser)
    admin_login(page, live_server, "boss")
    open_graphiql(page, live_server.url)
    create = 'mutation { threadCreate(input: {id: "%s", title: "Typed"}) { ... on Thread { id title } } }'

    # when a mutation runs with the token, then again once the CSRF cookie is gone
    type_into(page, QUERY_EDITOR, create % "t-web")
    typed = [editor_text(page, QUERY_EDITOR)]
    created = run_and_read(page)
    seen = list(problems)
    page.context.clear_cookies(name="csrftoken")
    type_into(page, QUERY_EDITOR, create % "t-refused")
    typed.append(editor_text(page, QUERY_EDITOR))
    refused = run_and_read(page)

    # then the first one wrote, the second is refused in GraphQL's shape and wrote nothing
    assert typed == [create % "t-web", create % "t-refused"]
    assert created == {"data": {"threadCreate": {"id": "t-web", "title": "Typed"}}}
    assert in_db_thread(lambda: list(Thread.objects.values_list("id", "owner", "title"))) == [
        ("t-web", boss.pk, "Typed")
    ]
    assert refused == CSRF_REFUSED
    assert seen == []
    assert problems == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
