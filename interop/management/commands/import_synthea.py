"""manage.py import_synthea DIR: load a Synthea CSV export into both stores."""

import sys

from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentStoreUnavailable
from interop.synthea.importer import ExportError, import_export
from interop.synthea.summary import format_possible_duplicates, format_summary


class Command(BaseCommand):
    help = "Import a Synthea CSV export (patients, encounters, ... claims) idempotently."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder holding the Synthea CSV files")
        parser.add_argument(
            "--allow-errors", action="store_true", help="exit 0 even if rows were rejected"
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="rows per transaction (default 1000)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, directory, allow_errors, batch_size, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        progress = not no_progress and sys.stderr.isatty()
        try:
            stats = import_export(
                directory,
                batch_size=batch_size,
                progress=progress,
                report=lambda text: self.stderr.write(text),
            )
        except ExportError as error:
            raise CommandError(str(error)) from None
        except DocumentStoreUnavailable as error:
            raise CommandError(f"document store unavailable: {error}") from None
        self.stdout.write(format_summary(stats))
        duplicates = format_possible_duplicates(stats)
        if duplicates:
            self.stdout.write(duplicates)
        rejected = sum(s.rejected for s in stats)
        if rejected and not allow_errors:
            raise CommandError(
                f"{rejected} row(s) rejected (see above); use --allow-errors to accept"
            )
