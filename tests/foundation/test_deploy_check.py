from tests.processes import run_manage

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7Vq2xR9mZpL4tW8nB3cY6hJ1fD5sG0aQeUiOuTyMnXbVcZlKjHgFdSa",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgresql://app:pw@ep-x-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require",
}


def test_check_deploy_is_clean_with_production_settings():
    # when
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    # then
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
