"""GraphiQL as `make run` serves it (uvicorn, DEBUG on, static files from whitenoise) in
headless Chromium with no host but 127.0.0.1 reachable: a subscription typed with an API key in
the headers editor goes over graphql-transport-ws and shows the new message."""

import pytest

from chat import services as chat_services
from tests.browser import (
    QUERY_EDITOR,
    TOOL_EDITOR,
    editor_text,
    guarded_page,
    in_db_thread,
    open_graphiql,
    read_answer,
    run_query,
    type_into,
)
from tests.chat.factories import ThreadFactory


@pytest.fixture
def debug_server(serve_asgi):
    return f"http://{serve_asgi(DJANGO_DEBUG='1')}"


def test_a_subscription_typed_in_graphiql_receives_the_new_message(
    debug_server, make_user, make_api_key, browser
):
    # given alice's thread and key, and GraphiQL open
    alice = in_db_thread(make_user, "alice")
    in_db_thread(ThreadFactory, id="t1", owner=alice)
    raw_key = in_db_thread(make_api_key, alice)
    page, problems = guarded_page(browser)
    statics = []
    page.on("response", lambda r: "/static/" in r.url and statics.append(r.status))
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    open_graphiql(page, debug_server)
    subscription = 'subscription { messageAdded(threadId: "t1") { kind message { content } } }'

    # when the subscription runs and a message is then added
    type_into(page, QUERY_EDITOR, subscription)
    page.click("button[data-name=headers]")
    type_into(page, TOOL_EDITOR, f'{{"Authorization": "Bearer {raw_key}"}}')
    before = run_query(page)
    for _ in range(150):  # until the page has sent the subscribe message (15 s at most)
        if any('"type":"subscribe"' in f for f in frames):
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)  # the subscription is registered on the server
    in_db_thread(
        chat_services.message_append, user=alice, thread_id="t1", role="user", content="hello"
    )
    answer = read_answer(page, before)

    # then
    assert editor_text(page, QUERY_EDITOR) == subscription
    assert answer == {
        "data": {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "hello"}}}
    }
    assert any(f'"Authorization":"Bearer {raw_key}"' in f for f in frames)  # connection_init
    assert len(statics) == 8 and set(statics) == {200}  # uvicorn has no static view: whitenoise
    assert problems == []
