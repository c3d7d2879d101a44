import pytest


@pytest.fixture
def boss_client(client, make_user):
    """The Django test client logged in as a superuser (staff)."""
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def chart(response, key):
    """{"label series": value} of one chart of the page (series only for stacked charts)."""
    (found,) = [c for c in response.context["charts"] if c.key == key]
    return {" ".join(filter(None, [b.label, b.series])): b.value for b in found.bars}


def table(response, title):
    (found,) = [t for t in response.context["tables"] if t["title"] == title]
    return found["rows"]
