"""Run a whole Synthea export through the mappers, file by file, in batches."""

import sys
from decimal import Decimal
from pathlib import Path

from tqdm import tqdm

from core import documents

from .mappers import MAPPERS, Context, charge_units_and_price, line_amount, procedure_price
from .reader import (
    ExportError,
    RowError,
    SkipRow,
    check_export,
    count_rows,
    iter_rows,
    parse_datetime,
)
from .summary import FileStats

__all__ = ["ExportError", "import_export"]


def _dose_dates(path: Path) -> dict:
    """(patient, CVX) -> dates of all doses, so each event gets its dose number."""
    doses: dict = {}
    for _, row in iter_rows(path):
        if isinstance(row, RowError):
            continue
        try:
            given = parse_datetime(row, "DATE").isoformat()
        except RowError:
            continue
        doses.setdefault((row.get("PATIENT", ""), row.get("CODE", "")), []).append(given)
    return doses


def _bill_totals(path: Path, *, claims: bool) -> dict:
    """Sum each bill's lines first, so a bill is written once with its final amounts."""
    totals: dict = {}
    for _, row in iter_rows(path):
        if isinstance(row, RowError):
            continue
        try:
            if claims:
                if row.get("TYPE") != "CHARGE":
                    continue
                key, amount = row.get("CLAIMID", ""), line_amount(*charge_units_and_price(row))
            else:
                parse_datetime(row, "START" if "START" in row else "DATE")
                key, amount = row.get("ENCOUNTER", ""), procedure_price(row)
        except RowError:
            continue
        totals[key] = totals.get(key, Decimal("0.00")) + amount
    return totals


def import_export(directory, *, batch_size=1000, progress=False, report=None) -> list[FileStats]:
    """Import every known file of `directory`; `report(text)` receives one line per rejected row.

    Raises ExportError (before writing anything) when a required file or column is missing.
    """
    directory = Path(directory)
    report = report or (lambda text: None)
    headers = check_export(directory, [mapper.spec for mapper in MAPPERS])
    # Notes and vaccinations are looked up by external id: without the indexes that is a scan.
    documents.ensure_indexes()
    ctx = Context(has_claims="claims.csv" in headers and "claims_transactions.csv" in headers)
    if ctx.has_claims:
        ctx.bill_totals = _bill_totals(directory / "claims_transactions.csv", claims=True)
    elif "procedures.csv" in headers:
        ctx.bill_totals = _bill_totals(directory / "procedures.csv", claims=False)
    if "immunizations.csv" in headers:
        ctx.dose_numbers = _dose_dates(directory / "immunizations.csv")
    all_stats = []
    for mapper_class in MAPPERS:
        name = mapper_class.spec.name
        if name not in headers:
            continue
        stats = FileStats(name)
        all_stats.append(stats)

        def reject(line, reason, stats=stats, name=name):
            stats.rejected += 1
            report(f"{name}:{line}: {reason}")

        mapper = mapper_class(ctx, stats, reject)
        path = directory / name
        bar = tqdm(
            total=count_rows(path),
            desc=name,
            unit="rows",
            file=sys.stderr,
            leave=False,
            disable=not progress,
        )
        batch = []
        for line, row in iter_rows(path):
            stats.read += 1
            try:
                if isinstance(row, RowError):
                    raise row
                record = mapper.map_row(row)
            except RowError as error:
                reject(line, str(error))
                continue
            except SkipRow as skip:
                stats.skip(str(skip))
                continue
            batch.append((line, record))
            if len(batch) >= batch_size:
                mapper.flush(batch)
                bar.update(len(batch))
                batch = []
        if batch:
            mapper.flush(batch)
        bar.update(bar.total - bar.n)
        bar.close()
        stats.finish()
    return all_stats
