import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from chat import services

CREDENTIALS_FILE = settings.BASE_DIR / ".data" / "local-credentials.txt"


def shown_path() -> str:
    try:
        return str(CREDENTIALS_FILE.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(CREDENTIALS_FILE)


class Command(BaseCommand):
    help = (
        "On the embedded development database only: create a local superuser and an API key "
        "on first start, print them once and save them to .data/local-credentials.txt."
    )

    def handle(self, *args, **options):
        if not settings.EMBEDDED_DATABASE:
            self.stdout.write("DATABASE_URL is set: no local superuser is created.")
            return
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            if CREDENTIALS_FILE.exists():
                self.stdout.write(f"Local credentials: {shown_path()}")
            return
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser("admin", "admin@localhost", password)
        _, raw_key = services.api_key_create(user=user, name="local development")
        text = (
            "Local development credentials (embedded database only)\n"
            f"Admin: http://127.0.0.1:{os.environ.get('PORT', '8000')}/admin/\n"
            f"  username: admin\n  password: {password}\n"
            f"API key (send as 'Authorization: Bearer <key>'):\n  {raw_key}\n"
        )
        CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
        CREDENTIALS_FILE.write_text(text)
        CREDENTIALS_FILE.chmod(0o600)
        self.stdout.write(text + f"(saved to {shown_path()})")
