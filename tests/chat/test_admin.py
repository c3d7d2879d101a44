from decimal import Decimal

import pytest
from django.test import Client

from chat.models import LLMRequest, LLMResponse, Thread, UsageDaily
from tests.chat.factories import MessageFactory, ThreadFactory


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def data(alice):
    thread = ThreadFactory(id="thread_admin", owner=alice, title="Stock talk", agent_type="inv")
    MessageFactory(thread=thread, id="first", content="Restock the warehouse " + "x" * 300)
    MessageFactory(thread=thread, id="second", role="assistant", content="Done.")
    request = LLMRequest.objects.create(
        user=alice, thread=thread, provider="openai", model="gpt-4o", prompt_sha256="0" * 64
    )
    LLMResponse.objects.create(request=request, tokens_in=3, tokens_out=4, cost=Decimal("0.5"))
    UsageDaily.objects.create(user=alice, day="2026-11-02", requests=1, tokens_in=3)
    return thread


@pytest.mark.parametrize(
    "url",
    [
        "/admin/chat/thread/",
        "/admin/chat/thread/thread_admin/change/",
        "/admin/chat/message/",
        "/admin/chat/llmrequest/",
        "/admin/chat/llmresponse/",
        "/admin/chat/usagedaily/",
        "/admin/chat/contextsnapshot/",
        "/admin/chat/userpreference/",
        "/admin/chat/thread/?agent_type=inv",
        "/admin/chat/llmrequest/?created_at__year=2026",
    ],
)
def test_pages_render(admin_client_, data, url):
    assert admin_client_.get(url).status_code == 200


def test_thread_page_shows_messages_in_order_shortened(admin_client_, data):
    # when
    html = admin_client_.get("/admin/chat/thread/thread_admin/change/").content.decode()

    # then
    assert html.index("Restock the warehouse") < html.index("Done.")
    assert "x" * 300 not in html
    assert "Restock the warehouse " + "x" * 97 + "…" in html


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("thread_admin", ["thread_admin"]),
        ("stock", ["thread_admin"]),
        ("warehouse", ["thread_admin"]),
        ("nope", []),
    ],
)
def test_thread_search_by_id_title_or_content(admin_client_, data, term, found):
    # given
    ThreadFactory(id="other", title="unrelated")

    # when
    response = admin_client_.get("/admin/chat/thread/", {"q": term})

    # then
    assert [t.pk for t in response.context["cl"].result_list] == found


def test_audit_is_read_only(admin_client_, data):
    request = LLMRequest.objects.get()
    response = admin_client_.get(f"/admin/chat/llmrequest/{request.pk}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert admin_client_.get("/admin/chat/llmrequest/add/").status_code == 403


def test_csv_export_streams_the_selected_threads(admin_client_, data):
    # when
    response = admin_client_.post(
        "/admin/chat/thread/", {"action": "export_csv", "_selected_action": ["thread_admin"]}
    )

    # then
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == [
        "id,owner__username,agent_type,title,created_at,updated_at",
        f"thread_admin,alice,inv,Stock talk,{data.created_at},{data.updated_at}",
    ]


def test_thread_title_edit_goes_through_the_service(admin_client_, data):
    # when
    response = admin_client_.post(
        "/admin/chat/thread/thread_admin/change/",
        {
            "title": "Renamed",
            "agent_type": "inv",
            "metadata": "{}",
            "messages-TOTAL_FORMS": "2",
            "messages-INITIAL_FORMS": "2",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": "first",
            "messages-0-thread": "thread_admin",
            "messages-1-id": "second",
            "messages-1-thread": "thread_admin",
        },
    )

    # then
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.title == "Renamed"
    assert thread.updated_at > data.updated_at


def test_delete_confirmation_counts_instead_of_listing_messages(admin_client_, data):
    # when
    response = admin_client_.get("/admin/chat/thread/thread_admin/delete/")

    # then
    assert response.status_code == 200
    assert dict(response.context["model_count"]) == {"threads": 1, "messages": 2}
    assert "Restock" not in response.content.decode()


def test_deleting_threads_keeps_the_audit_unlinked(admin_client_, data):
    # when
    response = admin_client_.post(
        "/admin/chat/thread/",
        {"action": "delete_selected", "_selected_action": ["thread_admin"], "post": "yes"},
    )

    # then
    assert response.status_code == 302
    assert Thread.objects.count() == 0
    assert list(LLMRequest.objects.values_list("thread_id", flat=True)) == [None]
