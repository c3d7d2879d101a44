import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from chat.models import ApiKey
from chat.services import api_key_revoke
from tests.conftest import GraphQLClient

VIEWER = "{ viewer { username } }"


def post(headers: dict, query: str = VIEWER):
    return GraphQLClient().client.post(
        "/graphql/", {"query": query}, content_type="application/json", headers=headers
    )


def test_valid_key_as_bearer_authenticates(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"))

    # when
    response = post({"Authorization": f"Bearer {raw_key}"})

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "alice"}}}


def test_valid_key_as_x_api_key_authenticates_and_records_last_use(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"))
    assert ApiKey.objects.get().last_used_at is None

    # when
    response = post({"X-API-Key": raw_key})

    # then
    assert response.json() == {"data": {"viewer": {"username": "alice"}}}
    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "presented",
    [
        "dk_aaaaaaaaaa_wrongsecret",
        "not-a-key",
        "dk__",
        "Bearer",
        # A prefix outside the keys' alphabet matches none, and a NUL never reaches the
        # database (no text parameter may hold one: it answered a 500).
        "dk_aaaa\x00aaaaa_secret",
        "dk_AAAAAAAAAA_secret",
        "dk_éééééééééé_secret",
    ],
    ids=["wrong secret", "not a key", "empty", "no key", "NUL", "upper case", "non-ASCII"],
)
def test_wrong_or_malformed_key_is_refused(make_user, make_api_key, presented):
    # given
    make_api_key(make_user("alice"))

    # when
    response = post({"Authorization": f"Bearer {presented}"})

    # then
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "data": None,
        "errors": [{"message": "Invalid API key.", "extensions": {"code": "UNAUTHENTICATED"}}],
    }


def test_right_prefix_with_wrong_secret_is_refused(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"))
    forged = raw_key[:-4] + ("AAAA" if not raw_key.endswith("AAAA") else "BBBB")

    # when
    response = post({"Authorization": f"Bearer {forged}"})

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Invalid API key."


def test_revoked_key_is_refused(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"))
    api_key_revoke(key=ApiKey.objects.get())

    # when
    response = post({"Authorization": f"Bearer {raw_key}"})

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "This API key has been revoked."


def test_expired_key_is_refused(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"), expires_at=timezone.now() - timedelta(seconds=1))

    # when
    response = post({"Authorization": f"Bearer {raw_key}"})

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "This API key has expired."


def test_key_of_a_deactivated_user_is_refused(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice", is_active=False))

    # when
    response = post({"Authorization": f"Bearer {raw_key}"})

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Invalid API key."


def test_plaintext_is_never_stored(make_user, make_api_key):
    # given
    raw_key = make_api_key(make_user("alice"))

    # when
    key = ApiKey.objects.get()

    # then
    stored = [str(value) for value in ApiKey.objects.values_list().get()]
    secret = raw_key.split("_", 2)[2]
    assert not any(secret in value for value in stored)
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key == f"dk_{key.prefix}_{secret}"


def test_apikey_command_creates_lists_and_revokes(make_user):
    # given
    make_user("alice")

    # when
    created = StringIO()
    call_command("apikey", "create", "alice", "ingest", "--days", "30", stdout=created)
    raw_key = created.getvalue().splitlines()[1]
    key = ApiKey.objects.get()
    listed = StringIO()
    call_command("apikey", "list", stdout=listed)
    call_command("apikey", "revoke", key.prefix, stdout=StringIO())

    # then
    assert created.getvalue().splitlines()[0] == (
        f"Created API key {key.prefix} for alice; copy it now, it is not stored:"
    )
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert key.expires_at is not None
    rows = listed.getvalue().splitlines()
    assert rows[1].split() == [key.prefix, "alice", "ingest", "active", "never"]
    key.refresh_from_db()
    assert key.is_revoked


def test_apikey_command_refuses_unknown_user_and_prefix(db):
    # when / then
    with pytest.raises(CommandError, match=r"No user named 'ghost'\."):
        call_command("apikey", "create", "ghost", "x")
    with pytest.raises(CommandError, match=r"No API key with prefix 'nope'\."):
        call_command("apikey", "revoke", "nope")
    assert ApiKey.objects.count() == 0
