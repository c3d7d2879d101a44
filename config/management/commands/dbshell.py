import os
from pathlib import Path

from django.conf import settings
from django.core.management.commands.dbshell import Command as DjangoDbshell


class Command(DjangoDbshell):
    help = (
        DjangoDbshell.help + " With the embedded database, the psql bundled with it is used "
        "when none is on PATH."
    )

    def handle(self, **options):
        if settings.EMBEDDED_DATABASE:
            import pgserver

            bundled = Path(pgserver.__file__).parent / "pginstall" / "bin"
            os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), str(bundled)])
        return super().handle(**options)
