from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from config.realtime.conf import LIMITS
from config.realtime.models import Event


class Command(BaseCommand):
    help = (
        "Delete real-time events older than REALTIME_RETENTION_DAYS (default 1): clients that "
        "reconnect with an older cursor then miss them. Run daily (cron, scheduler)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=LIMITS.retention_days)
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, days, dry_run, **options):
        old = Event.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
        if dry_run:
            self.stdout.write(f"{old.count()} events older than {days:g} days would be deleted.")
            return
        deleted, _ = old.delete()
        self.stdout.write(f"Deleted {deleted} events older than {days:g} days.")
