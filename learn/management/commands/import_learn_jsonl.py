import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from learn import services
from learn.legacy import LegacyLineError, parse_line

PROGRESS_MIN_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import the legacy learn store (.aicmo/learn_store.jsonl), one JSON object per line. "
        "Reads line by line, reports bad lines by number and carries on, and skips lines "
        "already imported (same content fingerprint), so running it again imports nothing twice. "
        "Exits with status 1 when any line was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The JSONL file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do the whole import in one transaction and roll it back: exact counts, "
            "nothing written.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Lines per INSERT statement and commit (default 500).",
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Show a progress bar on stderr (default: for files of 1 MiB or more).",
        )

    def handle(self, *args, path, dry_run, batch_size, progress, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No such file: {path}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        size = source.stat().st_size
        show_bar = progress if progress is not None else size >= PROGRESS_MIN_BYTES
        err = options.get("stderr") or sys.stderr

        read = imported = rejected = 0
        batch = []
        with (
            source.open("rb") as lines,
            tqdm(total=size, unit="B", unit_scale=True, file=err, disable=not show_bar) as bar,
            transaction.atomic() if dry_run else nullcontext(),
        ):
            for number, raw in enumerate(lines, start=1):
                bar.update(len(raw))
                if not raw.strip():
                    continue
                read += 1
                try:
                    batch.append(parse_line(raw))
                except LegacyLineError as exc:
                    rejected += 1
                    tqdm.write(f"line {number}: {exc}", file=err)
                    continue
                if len(batch) >= batch_size:
                    imported += services.learn_items_insert_new(items=batch)
                    batch = []
            imported += services.learn_items_insert_new(items=batch)
            if dry_run:
                transaction.set_rollback(True)

        skipped = read - rejected - imported
        self.stdout.write(
            f"read: {read}\n"
            f"{'would be imported' if dry_run else 'imported'}: {imported}\n"
            f"skipped as duplicates: {skipped}\n"
            f"rejected: {rejected}"
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if rejected:
            raise CommandError(f"{rejected} line(s) rejected; see the messages above.")
