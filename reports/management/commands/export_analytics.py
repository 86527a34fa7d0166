"""Write every report's chart (SVG and PNG) and tables (CSV) to a folder, for analysts."""

import csv
import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import documents
from patients.models import Encounter, Patient, Payer
from reports import charts
from reports.catalog import REPORTS, BuildContext
from reports.filters import AGE_BAND_BY_KEY, ReportFilters

# The variants written besides each report's default view.
VARIANTS = {
    "birth-years": [{"by": "year"}, {"by": "decade"}],
    "top-diagnoses": [{"rank": "patients"}, {"rank": "diagnoses"}],
}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write every report's chart (SVG, PNG) and tables (CSV) for every patient into a "
        "folder. Filters as on the report pages; --suppress applies the small-cell rule "
        "(REPORT_MIN_CELL_SIZE) for files to be shared."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="folder to write into")
        parser.add_argument("--date-from", type=_date, help="YYYY-MM-DD")
        parser.add_argument("--date-to", type=_date, help="YYYY-MM-DD")
        parser.add_argument("--state", default="", help="state of residence, as recorded")
        parser.add_argument("--payer", default="", help="payer name, as in the catalog")
        parser.add_argument("--sex", default="", choices=["", *Patient.Sex.values])
        parser.add_argument("--age-band", default="", choices=["", *AGE_BAND_BY_KEY])
        parser.add_argument(
            "--encounter-class", default="", choices=["", *Encounter.EncounterClass.values]
        )
        parser.add_argument("--condition", default="", help="for the condition report")
        parser.add_argument(
            "--suppress", action="store_true", help="hide counts under the threshold"
        )

    def handle(self, *args, **options):
        filters = self._filters(options)
        out = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        threshold = settings.REPORT_MIN_CELL_SIZE if options["suppress"] else None
        written = 0
        for report in REPORTS:
            for variant in VARIANTS.get(report.slug, [{}]):
                extra = {"condition": options["condition"]} if report.slug == "condition" else {}
                context = BuildContext(
                    patients=None,  # every patient
                    filters=filters,
                    options={**variant, **extra},
                    threshold=threshold,
                    today=timezone.localdate(),
                )
                try:
                    result = report.build(context)
                except documents.DocumentStoreUnavailable:
                    self.stderr.write(
                        f"{report.slug}: skipped, the document store is not answering"
                    )
                    continue
                written += self._write(out, report.slug, variant, result)
        self.stdout.write(f"Wrote {written} files to {out} ({filters.describe()}).")

    def _filters(self, options) -> ReportFilters:
        payer_id = None
        if options["payer"]:
            payer = Payer.objects.filter(name__iexact=options["payer"].strip()).first()
            if payer is None:
                raise CommandError(f"No payer named {options['payer']!r}.")
            payer_id = payer.pk
        low, high = options["date_from"], options["date_to"]
        if low and high and low > high:
            raise CommandError("--date-to is before --date-from.")
        return ReportFilters(
            date_from=low,
            date_to=high,
            state=options["state"].strip(),
            payer_id=payer_id,
            sex=options["sex"],
            age_band=options["age_band"],
            encounter_class=options["encounter_class"],
        )

    def _write(self, out: Path, slug: str, variant: dict, result) -> int:
        stem = "-".join([slug, *variant.values()])
        count = 0
        if result.chart is not None:
            (out / f"{stem}.svg").write_text(result.chart.document(), encoding="utf-8")
            (out / f"{stem}.png").write_bytes(charts.png(result.chart.figure_spec))
            count += 2
        for table in result.tables:
            with (out / f"{table.name}.csv").open("w", newline="", encoding="utf-8") as file:
                csv.writer(file).writerows(table.csv_rows())
            count += 1
        return count
