import pytest

from students.audit import Actor

READ_PERMS = [
    "students.view_student",
    "students.view_conceptmodule",
    "students.view_dropoutprediction",
    "students.view_actionlog",
]
WRITE_PERMS = [
    "students.add_student",
    "students.change_student",
    "students.delete_student",
    "students.add_conceptmodule",
    "students.change_conceptmodule",
    "students.delete_conceptmodule",
    "students.add_draft",
    "students.change_draft",
    "students.delete_draft",
    "students.add_assessment",
    "students.add_learningevent",
    "students.add_dropoutprediction",
]
EMAIL_PERM = "students.view_student_email"


@pytest.fixture
def staff(make_user):
    """Staff holding every students permission, emails included."""
    return make_user("staff", perms=[*READ_PERMS, *WRITE_PERMS, EMAIL_PERM])


@pytest.fixture
def staff_client(api_client, staff):
    return api_client(staff)


@pytest.fixture
def reader_client(api_client, make_user):
    """May read students and predictions, but not see emails."""
    return api_client(make_user("reader", perms=READ_PERMS))


@pytest.fixture
def system_actor(staff):
    return Actor(user=staff)
