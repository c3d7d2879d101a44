import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import database_url

REPORT = (
    "import gc, sys, {module}; "
    "print(gc.get_freeze_count(), len(gc.get_objects()), 'config.urls' in sys.modules)"
)


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_server_process_loads_the_application_and_freezes_what_startup_made(module):
    # given: the server's process, as gunicorn or uvicorn imports the application
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV_FILE": "",
    }

    # when
    result = subprocess.run(
        [sys.executable, "-c", REPORT.format(module=module)],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=60,
        check=False,
    )

    # then: the URLs (and the schema they serve) are loaded, and the objects of startup are
    # out of the collector's way: it tracks only what was made after them
    assert result.returncode == 0, result.stderr
    frozen, tracked, urls_loaded = result.stdout.split()
    assert urls_loaded == "True"
    assert int(frozen) > 50_000
    assert int(tracked) < 1_000
