"""module_db: data written once for a module is seen by each of its tests, and what one test
writes is gone before the next."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory


@pytest.fixture(scope="module")
def shared_user(module_db):
    with module_db():
        return UserFactory(username="shared", perms=["learn.view_learnitem"])


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 2, 3])
def test_module_data_is_seen_and_each_test_writes_for_itself(shared_user, n):
    # given: the module's user only, whatever an earlier test wrote
    users = get_user_model().objects.order_by("username")
    assert [(u.username, u.first_name) for u in users.all()] == [("shared", "")]

    # when
    UserFactory(username=f"written-{n}")
    users.filter(username="shared").update(first_name=f"changed by {n}")

    # then
    assert [(u.username, u.first_name) for u in users.all()] == [
        ("shared", f"changed by {n}"),
        (f"written-{n}", ""),
    ]
    assert get_user_model().objects.get(username="shared").has_perm("learn.view_learnitem")


@pytest.mark.django_db
def test_a_missing_permission_is_refused_by_name():
    # when
    with pytest.raises(Exception) as raised:
        UserFactory(username="typo", perms=["learn.view_learnitem", "learn.view_nothing"])

    # then
    assert str(raised.value) == "no such permission: learn.view_nothing"
