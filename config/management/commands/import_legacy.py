"""manage.py import_legacy SYSTEM: import a legacy system's PostgreSQL tables."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from chat.legacy_import import AGENT_CHAT, CHATKIT
from chat.legacy_llm_cli import LLM_CLI
from config.legacy import archive
from config.legacy.framework import BATCH_SIZE, Context, aware, run_table
from config.legacy.source import Source, connect
from learn.legacy_import import LEARN
from monitoring.legacy_import import MONITORING
from students.legacy_dashboard import DASHBOARD
from students.legacy_dropout import DROPOUT

SYSTEMS = {
    "agent-chat": AGENT_CHAT,
    "chatkit": CHATKIT,
    "llm-cli": LLM_CLI,
    "learn": LEARN,
    "veritas-monitoring": MONITORING,
    "veritas-dashboard": DASHBOARD,
    "veritas-dropout": DROPOUT,
}


class Command(BaseCommand):
    help = (
        "Import a legacy system's tables (read-only, in keyset batches, idempotent, resumable "
        "and incremental), or --archive/--unarchive them behind read-only views. "
        "See docs/migration.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("system", choices=[*SYSTEMS, "all"])
        parser.add_argument("--source", help="Legacy database URL; default: this service's.")
        parser.add_argument(
            "--source-schema",
            default="public",
            help="Schema of the legacy tables (default public).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check everything, write nothing."
        )
        parser.add_argument("--since", help="Only rows at or after this ISO 8601 time.")
        parser.add_argument("--owner", help="Username owning rows that have no owner.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--archive",
            action="store_true",
            help="Move the legacy tables to legacy_archive; views take their names.",
        )
        mode.add_argument("--unarchive", action="store_true", help="Undo --archive.")

    def handle(self, *args, **options):
        systems = list(SYSTEMS) if options["system"] == "all" else [options["system"]]
        schema = options["source_schema"]
        if options["archive"] or options["unarchive"]:
            action = archive.archive if options["archive"] else archive.unarchive
            for system in systems:
                done = action(system, schema=schema)
                verb = "archived" if options["archive"] else "restored"
                self.stdout.write(f"{system}: {verb} {', '.join(done) or 'nothing'}")
            return
        ctx = Context(
            dry_run=options["dry_run"],
            owner=self._owner(options["owner"]),
            since=self._since(options["since"]),
        )
        source = Source(connect(options["source"]), schema)
        ctx.source = source
        reports = []
        try:
            for system in systems:
                for spec in SYSTEMS[system]:
                    reports.append(
                        run_table(
                            source,
                            spec,
                            ctx,
                            batch_size=options["batch_size"],
                            progress=not options["no_progress"],
                        )
                    )
        finally:
            source.conn.close()
        if ctx.dry_run:
            self.stdout.write("dry run: nothing was written")
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)

    def _owner(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--owner: no user {username!r}") from None

    def _since(self, raw):
        if not raw:
            return None
        parsed = parse_datetime(raw)
        if parsed is None:
            raise CommandError(f"--since: {raw!r} is not an ISO 8601 date and time")
        return aware(parsed)
