from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from monitoring import partitions


class Command(BaseCommand):
    help = (
        "Create the day partitions of the monitoring log table (UTC days) from today (or "
        "--from) to --ahead days ahead; logs of those days already in the default partition "
        "move into theirs. Days that have a partition are left alone, so it can run as often "
        "as you like. Meant to run from cron daily, e.g. "
        "'10 3 * * * manage.py monitoring_partitions --ahead 7'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=7, help="Days after today to create (7).")
        parser.add_argument(
            "--from",
            dest="start",
            type=date.fromisoformat,
            help="First day to create (YYYY-MM-DD; default today), e.g. to move older logs "
            "out of the default partition.",
        )

    def handle(self, *args, ahead, start, **options):
        if ahead < 0:
            raise CommandError("--ahead must be at least 0.")
        today = partitions.today()
        start = start or today
        end = today + timedelta(days=ahead + 1)
        if start >= end:
            raise CommandError("--from must be before the last day to create.")
        created = partitions.partitions_ensure(start=start, end=end)
        for day in created:
            self.stdout.write(f"created {partitions.name(day)}")
        with connection.cursor() as cursor:
            days = partitions.attached_days(cursor)
            cursor.execute(f"SELECT count(*) FROM {partitions.DEFAULT}")  # noqa: S608
            (in_default,) = cursor.fetchone()
        span = f"{days[0]} to {days[-1]}" if days else "none"
        self.stdout.write(
            f"day partitions: {len(days)} ({span}); logs in the default partition: {in_default}"
        )
