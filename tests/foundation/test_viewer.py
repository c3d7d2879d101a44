VIEWER = "{ viewer { username isStaff permissions apiKeyPrefix } }"


def test_viewer_is_null_when_anonymous(anon_client):
    # when
    result = anon_client.execute(VIEWER)

    # then
    assert result == {"data": {"viewer": None}}


def test_viewer_names_the_api_key_user(make_user, make_api_key):
    from chat.models import ApiKey
    from tests.conftest import GraphQLClient

    # given
    user = make_user("alice", perms=["chat.view_apikey"])
    raw_key = make_api_key(user)
    prefix = ApiKey.objects.get(user=user).prefix

    # when
    result = GraphQLClient(api_key=raw_key).execute(VIEWER)

    # then
    assert result == {
        "data": {
            "viewer": {
                "username": "alice",
                "isStaff": False,
                "permissions": ["chat.view_apikey"],
                "apiKeyPrefix": prefix,
            }
        }
    }


def test_permissions_of_user_and_groups_come_with_the_key_in_one_query(
    make_user, make_api_key, django_assert_num_queries
):
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission

    from tests.conftest import GraphQLClient

    # given: one permission held directly, two through groups (one of them also direct)
    user = make_user("alice", perms=["chat.view_apikey"])
    readers, writers = Group.objects.create(name="readers"), Group.objects.create(name="writers")
    readers.permissions.add(
        Permission.objects.get(codename="view_learnitem"),
        Permission.objects.get(codename="view_apikey"),
    )
    writers.permissions.add(Permission.objects.get(codename="add_monitoringlog"))
    user.groups.add(readers, writers)
    client = GraphQLClient(api_key=make_api_key(user))
    client.execute(VIEWER)  # the key's last_used_at stamp is written once a minute

    # when: the key with the user and every permission (1), nothing else
    with django_assert_num_queries(1):
        result = client.execute("{ viewer { permissions } }")

    # then: what Django's ModelBackend loads in two queries
    expected = sorted(ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk)))
    assert expected == ["chat.view_apikey", "learn.view_learnitem", "monitoring.add_monitoringlog"]
    assert result == {"data": {"viewer": {"permissions": expected}}}


def test_a_permission_removed_applies_to_the_next_request(make_user, make_api_key):
    from django.contrib.auth.models import Permission

    from tests.conftest import GraphQLClient

    # given
    user = make_user("alice", perms=["chat.view_apikey", "learn.view_learnitem"])
    client = GraphQLClient(api_key=make_api_key(user))
    assert client.execute("{ viewer { permissions } }") == {
        "data": {"viewer": {"permissions": ["chat.view_apikey", "learn.view_learnitem"]}}
    }

    # when
    user.user_permissions.remove(Permission.objects.get(codename="view_learnitem"))

    # then
    assert client.execute("{ viewer { permissions } }") == {
        "data": {"viewer": {"permissions": ["chat.view_apikey"]}}
    }


VIEWER_IDS = "{ viewer { id username apiKey { id prefix name expiresAt } apiKeyPrefix } }"


def test_viewer_gives_the_user_id_and_the_key_in_use(make_user, make_api_key):
    from chat.models import ApiKey
    from tests.conftest import GraphQLClient

    # given: two keys of the same user; the request uses the second
    user = make_user("alice")
    make_api_key(user, name="first")
    raw_key = make_api_key(user, name="ci-ingest")
    key = ApiKey.objects.get(user=user, name="ci-ingest")

    # when
    result = GraphQLClient(api_key=raw_key).execute(VIEWER_IDS)

    # then
    assert result == {
        "data": {
            "viewer": {
                "id": str(user.pk),
                "username": "alice",
                "apiKey": {
                    "id": str(key.pk),
                    "prefix": key.prefix,
                    "name": "ci-ingest",
                    "expiresAt": None,
                },
                "apiKeyPrefix": key.prefix,
            }
        }
    }


def test_viewer_has_no_api_key_for_a_session_login(make_user):
    from django.test import Client

    # given: an admin session (no CSRF checks in the test client)
    user = make_user("alice", is_staff=True)
    client = Client()
    client.force_login(user)

    # when
    response = client.post("/graphql/", {"query": VIEWER_IDS}, content_type="application/json")

    # then
    assert response.json() == {
        "data": {
            "viewer": {
                "id": str(user.pk),
                "username": "alice",
                "apiKey": None,
                "apiKeyPrefix": None,
            }
        }
    }
