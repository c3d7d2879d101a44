import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from chat.models import ApiKey
from config.management.commands import bootstrap_local
from tests.conftest import GraphQLClient


@pytest.fixture
def credentials_file(tmp_path, monkeypatch):
    # The real file lives under .data/; tests write theirs to a temporary folder instead.
    path = tmp_path / "local-credentials.txt"
    monkeypatch.setattr(bootstrap_local, "CREDENTIALS_FILE", path)
    return path


def test_first_start_creates_a_superuser_and_a_working_api_key(db, settings, credentials_file):
    # given
    settings.EMBEDDED_DATABASE = True

    # when
    out = StringIO()
    call_command("bootstrap_local", stdout=out)

    # then
    text = credentials_file.read_text()
    assert out.getvalue().startswith(text)
    password = re.search(r"password: (\S+)", text).group(1)
    raw_key = re.search(r"(dk_\S+)", text).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert GraphQLClient(api_key=raw_key).execute("{ viewer { username } }") == {
        "data": {"viewer": {"username": "admin"}}
    }
    assert oct(credentials_file.stat().st_mode & 0o777) == "0o600"


def test_second_start_creates_nothing(db, settings, credentials_file):
    # given
    settings.EMBEDDED_DATABASE = True
    call_command("bootstrap_local", stdout=StringIO())

    # when
    out = StringIO()
    call_command("bootstrap_local", stdout=out)

    # then
    assert out.getvalue() == f"Local credentials: {credentials_file}\n"
    assert get_user_model().objects.count() == 1
    assert ApiKey.objects.count() == 1


def test_nothing_is_created_on_a_configured_database(db, settings, credentials_file):
    # given
    settings.EMBEDDED_DATABASE = False

    # when
    out = StringIO()
    call_command("bootstrap_local", stdout=out)

    # then
    assert out.getvalue() == "DATABASE_URL is set: no local superuser is created.\n"
    assert get_user_model().objects.count() == 0
    assert not credentials_file.exists()


def test_admin_creates_an_api_key_through_the_service_and_shows_it_once(superuser, make_user):
    # given
    owner = make_user("svc")
    client = Client()
    client.force_login(superuser)

    # when
    response = client.post(
        "/admin/chat/apikey/add/",
        {"user": owner.pk, "name": "ingest", "expires_at": ""},
        follow=True,
    )

    # then
    key = ApiKey.objects.get()
    page = response.content.decode()
    shown = re.search(r"(dk_[A-Za-z0-9_-]+)", page).group(1)
    assert key.user == owner and key.name == "ingest"
    assert GraphQLClient(api_key=shown).execute("{ viewer { username } }") == {
        "data": {"viewer": {"username": "svc"}}
    }
    change_page = client.get(f"/admin/chat/apikey/{key.pk}/change/").content.decode()
    assert shown not in change_page
    assert key.key_hash not in change_page
