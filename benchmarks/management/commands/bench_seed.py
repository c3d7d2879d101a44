import json
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks.seed import BENCH_USERNAME, SCALES, SeedReport, analyze, reset_users
from benchmarks.seed.all import SEEDERS
from benchmarks.seed.chat import capped_user_reset
from chat import services as chat_services


class Command(BaseCommand):
    help = (
        "Wipe the benchmark database and seed a deterministic data set. Prints the time of each "
        "step and, last, one JSON line with the bench user's API key. Never run it on a "
        "database whose data you want to keep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="default")
        parser.add_argument(
            "--apps", default=",".join(SEEDERS), help="Comma-separated apps to seed (default all)."
        )
        parser.add_argument(
            "--key-only",
            action="store_true",
            help="Seed nothing; print a new API key of the bench user seeded before.",
        )

    def handle(self, *args, scale, apps, key_only, **options):
        chosen = [name.strip() for name in apps.split(",") if name.strip()]
        if key_only:
            user = get_user_model().objects.filter(username=BENCH_USERNAME).first()
            if user is None:
                raise CommandError("Nothing seeded yet: run without --key-only first.")
            _, api_key = chat_services.api_key_create(user=user, name="benchmarks")
            extra = capped_user_reset() if "chat" in chosen else {}
            self.stdout.write(
                json.dumps(
                    {"api_key": api_key, "scale": scale, "seconds": 0, **peer_facts(user), **extra}
                )
            )
            return
        chosen = [name.strip() for name in apps.split(",") if name.strip()]
        unknown = sorted(set(chosen) - set(SEEDERS))
        if unknown:
            raise CommandError(f"Unknown apps: {', '.join(unknown)} (known: {', '.join(SEEDERS)})")
        started = time.perf_counter()
        report = SeedReport(timings=[])
        user, api_key = reset_users(report)
        tables = []
        for name in chosen:
            tables += SEEDERS[name](SCALES[scale], report)
        report.step("vacuum analyze", lambda: analyze(tables) or 0)
        total = time.perf_counter() - started
        for label, rows, seconds in report.timings:
            rate = f"{rows / seconds:>12,.0f} rows/s" if rows and seconds else ""
            self.stdout.write(f"  seed {label:<28} {rows:>10,} rows {seconds:7.2f} s {rate}")
        self.stdout.write(f"  seed total {total:.2f} s (scale {scale})")
        self.stdout.write(
            json.dumps(
                {
                    "api_key": api_key,
                    "scale": scale,
                    "seconds": total,
                    **peer_facts(user),
                    **report.extra,
                }
            )
        )


def peer_facts(user) -> dict:
    """What the PostGraphile peer needs: the bench user's id (its threads' owner) and where the
    database listens (the embedded server's socket folder; never a password)."""
    settings = connection.settings_dict
    database = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": int(settings["PORT"] or 5432),
        "user": settings["USER"],
        "database": settings["NAME"],
    }
    return {"user_id": user.pk, "database": database}
