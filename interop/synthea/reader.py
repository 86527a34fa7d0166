"""Reading Synthea CSV files by column name, one row at a time, with line numbers."""

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

EXTRA = "__extra__"


class RowError(Exception):
    """A row that cannot be imported; the message is the reason shown to the user."""


class SkipRow(Exception):
    """A row deliberately not imported; the message is the reason given in the summary."""


class ExportError(Exception):
    """The export as a whole cannot be imported (missing file or column)."""


@dataclass(frozen=True)
class FileSpec:
    name: str
    required_columns: tuple[str, ...]
    # Alternatives: at least one column of each group must exist (e.g. START or DATE).
    one_of: tuple[tuple[str, ...], ...] = ()
    required: bool = False
    columns: list[str] = field(default_factory=list, compare=False)


def read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            return []


def check_export(directory: Path, specs) -> dict[str, list[str]]:
    """Headers of the files present; raises ExportError before anything is written."""
    if not directory.is_dir():
        raise ExportError(f"{directory}: not a directory")
    headers = {}
    for spec in specs:
        path = directory / spec.name
        if not path.exists():
            if spec.required:
                raise ExportError(f"{spec.name}: required file is missing from {directory}")
            continue
        header = read_header(path)
        missing = [column for column in spec.required_columns if column not in header]
        missing += ["/".join(group) for group in spec.one_of if not any(c in header for c in group)]
        if missing:
            raise ExportError(f"{spec.name}: missing column(s) {', '.join(missing)}")
        headers[spec.name] = header
    return headers


def iter_rows(path: Path):
    """Yield (line number, row dict); a row with the wrong number of fields yields a RowError."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, restkey=EXTRA, restval=None)
        width = len(reader.fieldnames or [])
        for row in reader:
            if EXTRA in row or None in row.values():
                got = width + len(row.get(EXTRA, ())) - sum(v is None for v in row.values())
                yield (
                    reader.line_num,
                    RowError(f"wrong number of fields (expected {width}, got {got})"),
                )
                continue
            yield reader.line_num, row


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def stable_key(*parts: str) -> str:
    """A deterministic external id for rows that carry no Synthea Id."""
    return hashlib.blake2b("|".join(parts).encode(), digest_size=20).hexdigest()


def parse_datetime(row: dict, column: str, *, required=True) -> datetime | None:
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise RowError(f"missing {column}")
        return None
    try:
        if len(text) == 10:
            value = datetime.fromisoformat(text)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"bad date in {column}: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(row: dict, column: str, *, required=True) -> date | None:
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise RowError(f"missing {column}")
        return None
    if len(text) == 4 and text.isdigit():  # 2.x payer_transitions carry years
        return date(int(text), 1, 1)
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise RowError(f"bad date in {column}: {text!r}") from None


def parse_decimal(row: dict, column: str, *, places="0.01", default=None) -> Decimal | None:
    text = (row.get(column) or "").strip()
    if not text or text.lower() == "nan":
        return default
    try:
        value = Decimal(text).quantize(Decimal(places))
    except (InvalidOperation, ValueError):
        raise RowError(f"bad number in {column}: {text!r}") from None
    return value
