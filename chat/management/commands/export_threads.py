import argparse
import csv
import json
import sys
from contextlib import nullcontext
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from chat.export import iter_messages, iter_thread_pages, threads_query
from chat.models import Message
from config.enums import api_spelling
from config.inputs import aware

CSV_HEADER = [
    "thread_id",
    "owner",
    "agent_type",
    "title",
    "thread_metadata",
    "thread_created_at",
    "thread_updated_at",
    "message_id",
    "type",
    "role",
    "content",
    "message_metadata",
    "message_created_at",
]


def parse_since(text: str) -> datetime:
    """A date (midnight, server time zone) or an ISO 8601 time."""
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise argparse.ArgumentTypeError(f"expected a date or an ISO 8601 time, got {text!r}")
        value = datetime.combine(day, time.min)
    return aware(value)


def dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def iso(value: datetime) -> str:
    return value.isoformat()


class Command(BaseCommand):
    help = (
        "Export threads with their messages, streaming in constant memory. jsonl: one thread "
        "per line with its messages in order; csv: one row per message (a thread without "
        "messages gets one row with empty message columns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["jsonl", "csv"], required=True)
        parser.add_argument(
            "--since",
            type=parse_since,
            help="Only threads active since this date or time (server time zone if no offset).",
        )
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Threads per query (default 500)."
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Show a progress bar on stderr (default: from 1000 threads).",
        )

    def handle(self, *args, format, since, output, batch_size, progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = threads_query(since=since).count()
        show_bar = progress if progress is not None else total >= 1000
        err = options.get("stderr") or sys.stderr
        target = (
            open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if output
            else nullcontext(self.stdout)
        )
        self.stdout.ending = ""  # lines carry their own newlines
        write_page = self.write_jsonl if format == "jsonl" else self.write_csv
        with target as out, tqdm(total=total, unit="thread", file=err, disable=not show_bar) as bar:
            writer = csv.writer(out) if format == "csv" else None
            if writer:
                writer.writerow(CSV_HEADER)
            for page in iter_thread_pages(since=since, size=batch_size):
                write_page(out, writer, page)
                bar.update(len(page))
        if output:
            self.stderr.write(f"Exported {total} thread(s) to {output}.")

    def write_jsonl(self, out, writer, page):
        messages = iter_messages(thread_ids=[t["id"] for t in page], size=2000)
        pending = next(messages, None)
        for thread in page:
            out.write(
                "{"
                f'"id": {dumps(thread["id"])}, "owner": {dumps(thread["owner__username"])}, '
                f'"agent_type": {dumps(thread["agent_type"])}, "title": {dumps(thread["title"])}, '
                f'"metadata": {dumps(thread["metadata"])}, '
                f'"created_at": {dumps(iso(thread["created_at"]))}, '
                f'"updated_at": {dumps(iso(thread["updated_at"]))}, "messages": ['
            )
            first = True
            while pending is not None and pending["thread_id"] == thread["id"]:
                item = {
                    "id": pending["id"],
                    "type": pending["type"],
                    "role": api_spelling(Message.Role, pending["role"]),
                    "content": pending["content"],
                    "metadata": pending["metadata"],
                    "created_at": iso(pending["created_at"]),
                }
                out.write(("" if first else ", ") + dumps(item))
                first = False
                pending = next(messages, None)
            out.write("]}\n")

    def write_csv(self, out, writer, page):
        messages = iter_messages(thread_ids=[t["id"] for t in page], size=2000)
        pending = next(messages, None)
        for thread in page:
            head = [
                thread["id"],
                thread["owner__username"],
                thread["agent_type"],
                thread["title"],
                dumps(thread["metadata"]),
                iso(thread["created_at"]),
                iso(thread["updated_at"]),
            ]
            wrote = False
            while pending is not None and pending["thread_id"] == thread["id"]:
                writer.writerow(
                    [
                        *head,
                        pending["id"],
                        pending["type"],
                        api_spelling(Message.Role, pending["role"]),
                        pending["content"],
                        dumps(pending["metadata"]),
                        iso(pending["created_at"]),
                    ]
                )
                wrote = True
                pending = next(messages, None)
            if not wrote:
                writer.writerow([*head, "", "", "", "", "", ""])
