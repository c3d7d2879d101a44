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
