import pytest

ALL_PERMS = [
    "learn.view_learnitem",
    "learn.add_learnitem",
    "learn.change_learnitem",
    "learn.delete_learnitem",
]


@pytest.fixture
def editor(make_user):
    """A team member holding every learn permission."""
    return make_user("editor", perms=ALL_PERMS)


@pytest.fixture
def editor_client(api_client, editor):
    return api_client(editor)


@pytest.fixture
def reader_client(api_client, make_user):
    """A team member who may only read."""
    return api_client(make_user("reader", perms=["learn.view_learnitem"]))
