from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from students.audit import SYSTEM, log_action
from students.models import PerformanceRecord, Student
from students.performance import performance_recompute


class Command(BaseCommand):
    help = (
        "Recompute the derived performance records (mastery, average score, completion per "
        "student and module) from drafts, attempts and events, in one SQL statement. Safe to "
        "run at any time; writes change nothing the data does not imply."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "codes", nargs="*", help="Student codes; every student when none are given."
        )

    def handle(self, *args, codes, **options):
        ids = None
        if codes:
            found = dict(Student.objects.filter(code__in=codes).values_list("code", "pk"))
            missing = sorted(set(codes) - set(found))
            if missing:
                raise CommandError(f"No student with code {', '.join(missing)}.")
            ids = list(found.values())
        with transaction.atomic():
            performance_recompute(student_ids=ids)
            log_action(
                actor=SYSTEM,
                action="performance.recompute",
                target_type="performance_record",
                payload={"students": sorted(codes) if codes else "all"},
            )
        records = PerformanceRecord.objects.all()
        if ids is not None:
            records = records.filter(student_id__in=ids)
        self.stdout.write(f"{records.count()} performance records up to date.")
