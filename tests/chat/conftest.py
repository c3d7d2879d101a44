import pytest

from tests.conftest import GraphQLClient

THREAD_PERMS = ["chat.view_thread", "chat.change_thread", "chat.delete_thread"]


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def alice_client(api_client, alice) -> GraphQLClient:
    return api_client(alice)


@pytest.fixture
def bob_client(api_client, bob) -> GraphQLClient:
    return api_client(bob)


@pytest.fixture
def staff_client(api_client, make_user) -> GraphQLClient:
    """Staff holding the thread permissions: sees and changes everyone's threads."""
    return api_client(make_user("moderator", is_staff=True, perms=THREAD_PERMS))
