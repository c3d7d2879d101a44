import argparse
import re
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from chat import services
from chat.services.purge import thread_count_inactive

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """'30d', '12h', '2w', '90m' (a bare number means days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected an age such as 30d, 12h or 2w, got {text!r}")
    amount, unit = int(match[1]), match[2] or "d"
    return timedelta(**{UNITS[unit]: amount})


class Command(BaseCommand):
    help = (
        "Delete threads without activity (no change, no new message) for longer than "
        "--older-than, with their messages and context snapshots; LLM audit rows and usage are "
        "kept. A dry run by default: prints what would be deleted; --yes deletes, in batches of "
        "one transaction each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=parse_age,
            required=True,
            help="Inactivity age: 30d, 12h, 2w or 90m (a bare number means days).",
        )
        parser.add_argument("--yes", action="store_true", help="Really delete.")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Threads per transaction (default 500)."
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Show a progress bar on stderr (default: from 1000 threads).",
        )

    def handle(self, *args, older_than, yes, batch_size, progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = timezone.now() - older_than
        threads, messages = thread_count_inactive(cutoff=cutoff)
        since = cutoff.isoformat(timespec="seconds")
        if not yes:
            self.stdout.write(
                f"Dry run: would delete {threads} thread(s) and {messages} message(s) "
                f"inactive since {since}. Run again with --yes to delete."
            )
            return
        show_bar = progress if progress is not None else threads >= 1000
        err = options.get("stderr") or sys.stderr
        deleted_threads = deleted_messages = 0
        with tqdm(total=threads, unit="thread", file=err, disable=not show_bar) as bar:
            for batch_threads, batch_messages in services.thread_purge_inactive(
                cutoff=cutoff, batch_size=batch_size
            ):
                deleted_threads += batch_threads
                deleted_messages += batch_messages
                bar.update(batch_threads)
        self.stdout.write(
            f"Deleted {deleted_threads} thread(s) and {deleted_messages} message(s) "
            f"inactive since {since}."
        )
