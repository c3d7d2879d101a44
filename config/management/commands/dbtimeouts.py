from django.core.management.base import BaseCommand

from config.timeouts import apply_role_limits


class Command(BaseCommand):
    help = (
        "Store DB_STATEMENT_TIMEOUT, DB_LOCK_TIMEOUT and DB_IDLE_IN_TRANSACTION_TIMEOUT as the "
        "database role's defaults (also done after every migrate); new server connections, "
        "pooled or not, start with them."
    )

    def handle(self, *args, **options):
        for parameter, milliseconds in apply_role_limits().items():
            self.stdout.write(f"{parameter} = {milliseconds} ms")
