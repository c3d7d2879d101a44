import pytest
from django.conf import settings

from config.database import embedded_data_dir
from tests.processes import run_manage


@pytest.mark.parametrize("path", ["/usr/bin:/bin", "/nonexistent"])
def test_dbshell_runs_a_query_on_the_embedded_database(path):
    # given: the embedded server of this checkout, with or without a psql on PATH
    data_dir = str(embedded_data_dir(settings.BASE_DIR, {}))

    # when
    result = run_manage(
        "dbshell",
        "--",
        "-tAc",
        "SELECT 40 + 2",
        env={"DJANGO_DEBUG": "1", "EMBEDDED_PG_DIR": data_dir, "PATH": path},
    )

    # then
    assert (result.returncode, result.stdout) == (0, "42\n")
