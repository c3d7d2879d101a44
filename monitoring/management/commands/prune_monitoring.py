import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from monitoring import services


class Command(BaseCommand):
    help = (
        "Delete old monitoring logs: those older than --keep-days days (by their timestamp) "
        "and/or all but the newest --keep-rows logs (by arrival). A log is deleted when either "
        "policy says so. Day partitions wholly older than --keep-days are dropped (detached, "
        "then dropped: no row by row delete); the rest is deleted in batches of short "
        "transactions. Dry run unless --yes: prints what would be deleted. Meant to run from "
        "cron, e.g. "
        "'15 3 * * * manage.py prune_monitoring --keep-days 30 --yes'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, help="Keep logs of the last N days.")
        parser.add_argument("--keep-rows", type=int, help="Keep the newest N logs.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Logs per delete transaction, outside dropped partitions (5000).",
        )
        parser.add_argument(
            "--yes", action="store_true", help="Really delete (default: dry run, counts only)."
        )
        parser.add_argument("--progress", action="store_true", help="Progress bar on stderr.")

    def handle(self, *args, keep_days, keep_rows, batch_size, yes, progress, **options):
        if keep_days is None and keep_rows is None:
            raise CommandError("Give --keep-days and/or --keep-rows.")
        for name, value, least in (
            ("--keep-days", keep_days, 0),
            ("--keep-rows", keep_rows, 0),
            ("--batch-size", batch_size, 1),
        ):
            if value is not None and value < least:
                raise CommandError(f"{name} must be at least {least}.")
        policy = services.logs_prune_policy(keep_days=keep_days, keep_rows=keep_rows)
        doomed = services.logs_prune_count(policy=policy)
        rules = []
        if keep_days is not None:
            rules.append(f"older than {policy.cutoff:%Y-%m-%d %H:%M:%S %Z}")
        if keep_rows is not None:
            rules.append(f"beyond the newest {keep_rows}")
        self.stdout.write(f"logs {' or '.join(rules)}: {doomed}")
        if not yes:
            self.stdout.write("Dry run: nothing was deleted (add --yes to delete).")
            return
        with tqdm(
            total=doomed, unit="log", disable=not progress, file=options.get("stderr") or sys.stderr
        ) as bar:
            deleted = services.logs_prune(policy=policy, batch_size=batch_size, on_batch=bar.update)
        self.stdout.write(f"deleted: {deleted}")
