"""manage.py import_fhir DIR_OR_FILE: Synthea's FHIR R4 bundles into both stores."""

from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentStoreUnavailable
from interop.fhir.bundle_import import import_bundles
from interop.synthea.summary import format_possible_duplicates, format_summary


class Command(BaseCommand):
    help = "Import Synthea FHIR R4 bundles (one per patient) idempotently, like import_synthea."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a bundle (.json) or a folder of them")
        parser.add_argument(
            "--allow-errors", action="store_true", help="exit 0 even if entries were rejected"
        )

    def handle(self, *args, path, allow_errors, **options):
        try:
            stats = import_bundles(path, report=lambda text: self.stderr.write(text))
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        except DocumentStoreUnavailable as error:
            raise CommandError(f"document store unavailable: {error}") from None
        if not stats:
            raise CommandError(f"{path}: no bundle (*.json) to import")
        self.stdout.write(format_summary(stats, first_column="resource"))
        duplicates = format_possible_duplicates(stats)
        if duplicates:
            self.stdout.write(duplicates)
        rejected = sum(s.rejected for s in stats)
        if rejected and not allow_errors:
            raise CommandError(
                f"{rejected} entr{'y' if rejected == 1 else 'ies'} rejected (see above); "
                "use --allow-errors to accept"
            )
