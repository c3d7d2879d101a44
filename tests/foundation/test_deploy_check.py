import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "DJANGO_ENV_FILE": "",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7Vq2xR9mZpL4tW8nB3cY6hJ1fD5sG0aQeUiOuTyMnXbVcZlKjHgFdSa",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgresql://app:pw@ep-x-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require",
}


def test_check_deploy_is_clean_with_production_settings():
    # when
    result = subprocess.run(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        env=PRODUCTION_ENV,
        timeout=120,
        check=False,
        cwd="/",
    )

    # then
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
