import re

import pytest
from django.test import Client

from learn.models import LearnItem
from tests.learn.factories import LearnItemFactory

CHANGELIST = "/admin/learn/learnitem/"


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def tag_filter_choices(html: str) -> list[str]:
    block = html.split("By tag", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="\?[^"]*">([^<]+)</a>', block)


def test_tag_filter_lists_the_tags_in_the_data_by_frequency(admin_client_):
    # given
    LearnItemFactory(tags=["email", "conversion"])
    LearnItemFactory(tags=["email"])
    LearnItemFactory(tags=["landing"])

    # when
    response = admin_client_.get(CHANGELIST)

    # then
    assert response.status_code == 200
    assert tag_filter_choices(response.content.decode()) == [
        "All",
        "email (2)",
        "conversion (1)",
        "landing (1)",
    ]


def test_tag_filter_narrows_the_list(admin_client_):
    # given
    wanted = LearnItemFactory(tags=["email", "conversion"], filename="wanted.md")
    LearnItemFactory(tags=["landing"], filename="other.md")

    # when
    response = admin_client_.get(CHANGELIST, {"tag": "conversion"})

    # then
    assert [item.pk for item in response.context["cl"].result_list] == [wanted.pk]


def test_list_shows_tags_as_text(admin_client_):
    # given
    LearnItemFactory(tags=["email", "conversion"])

    # when
    response = admin_client_.get(CHANGELIST)

    # then
    assert '<td class="field-tag_list">email, conversion</td>' in response.content.decode()


def test_add_with_comma_separated_tags_goes_through_the_service(admin_client_, superuser):
    # when
    response = admin_client_.post(
        f"{CHANGELIST}add/",
        {
            "kind": "good",
            "filename": "",
            "size_bytes": "",
            "notes": "n",
            "tags": " email,conversion ,, copywriting ",
            "created_at_0": "2025-11-22",
            "created_at_1": "05:26:30",
        },
    )

    # then
    assert response.status_code == 302
    item = LearnItem.objects.get()
    assert (item.tags, item.filename, item.size_bytes, item.created_by) == (
        ["email", "conversion", "copywriting"],
        None,
        None,
        superuser,
    )


def test_change_form_shows_tags_as_text_and_round_trips(admin_client_):
    # given
    item = LearnItemFactory(tags=["email", "conversion"], notes="old")
    url = f"{CHANGELIST}{item.pk}/change/"

    # when
    form_html = admin_client_.get(url).content.decode()
    response = admin_client_.post(
        url,
        {
            "kind": item.kind,
            "filename": item.filename,
            "size_bytes": item.size_bytes,
            "notes": "new",
            "tags": "email, conversion",
        },
    )

    # then
    assert 'name="tags" value="email, conversion"' in form_html
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.tags, item.notes) == (["email", "conversion"], "new")


def test_bad_tags_are_shown_on_the_form_and_nothing_is_saved(admin_client_):
    # given
    item = LearnItemFactory(tags=["email"])

    # when
    response = admin_client_.post(
        f"{CHANGELIST}{item.pk}/change/",
        {"kind": "good", "notes": "", "tags": "ok, " + "x" * 65 + ", ok"},
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "tags": ["tags[1]: must be at most 64 characters", "tags[2]: duplicate of tags[0] ('ok')"]
    }
    item.refresh_from_db()
    assert item.tags == ["email"]
