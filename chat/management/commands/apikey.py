from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chat import services
from chat.models import ApiKey


class Command(BaseCommand):
    help = (
        "Manage API keys. 'create USER NAME [--days N]' prints the key once; "
        "'list [--user USER]' shows prefixes and status; 'revoke PREFIX' revokes a key."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key and print it once.")
        create.add_argument("username")
        create.add_argument("name", help="What the key is for.")
        create.add_argument("--days", type=int, help="Expire after this many days.")
        listing = sub.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--user", help="Only this user's keys.")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, *, username, name, days, **_):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        key, raw_key = services.api_key_create(user=user, name=name, expires_at=expires_at)
        self.stdout.write(
            f"Created API key {key.prefix} for {username}; copy it now, it is not stored:"
        )
        self.stdout.write(raw_key)

    def handle_list(self, *, user, **_):
        keys = ApiKey.objects.select_related("user").order_by("user__username", "-created_at")
        if user:
            keys = keys.filter(user__username=user)
        now = timezone.now()
        self.stdout.write(f"{'PREFIX':<12}{'USER':<20}{'NAME':<24}{'STATUS':<9}LAST USED")
        for key in keys:
            status = (
                "revoked" if key.is_revoked else "expired" if key.is_expired(at=now) else "active"
            )
            last = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix:<12}{key.user.get_username():<20}{key.name[:23]:<24}{status:<9}{last}"
            )

    def handle_revoke(self, *, prefix, **_):
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        services.api_key_revoke(key=key)
        self.stdout.write(f"Revoked API key {prefix}.")
