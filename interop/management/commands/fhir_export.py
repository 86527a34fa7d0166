"""manage.py fhir_export DIR: every record as FHIR R4 NDJSON, one file per resource type."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.documents import DocumentStoreUnavailable
from interop.fhir.export import EXPORT_TYPES, export_ndjson


class Command(BaseCommand):
    help = "Export every patient's record (and the practitioners) as FHIR R4 NDJSON files."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder to write <Type>.ndjson into")
        parser.add_argument(
            "--type",
            default=",".join(EXPORT_TYPES),
            help=f"comma-separated resource types (default: all of {', '.join(EXPORT_TYPES)})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, directory, type, no_progress, **options):
        types = [t.strip() for t in type.split(",") if t.strip()]
        unknown = sorted(set(types) - set(EXPORT_TYPES))
        if unknown or not types:
            raise CommandError(
                f"unknown resource type(s): {', '.join(unknown) or 'none given'} "
                f"(choose from {', '.join(EXPORT_TYPES)})"
            )
        bar = tqdm(unit="patients", file=sys.stderr, disable=no_progress or not sys.stderr.isatty())

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        started = time.perf_counter()
        try:
            counts = export_ndjson(directory, types=types, on_progress=progress)
        except DocumentStoreUnavailable as error:
            raise CommandError(f"document store unavailable: {error}") from None
        finally:
            bar.close()
        elapsed = time.perf_counter() - started
        for name in types:
            self.stdout.write(f"{name:<20} {counts[name]:>10,}  {name}.ndjson")
        total = sum(counts.values())
        self.stdout.write(
            f"{'total':<20} {total:>10,}  in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f}/s)"
        )
