"""The CDC's CVX catalog of vaccines (patients/data/cvx.csv, with its source and date).

The vaccination form picks a vaccine from it; the document store keeps any well-formed
code, so imported events with codes outside the catalog still display.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from patients.document_schemas import normalize_cvx

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "cvx.csv"

# The CDC's statuses, in the order the form lists them; "Never Active" codes are not offered.
OFFERED_STATUSES = {
    "Active": "In use",
    "Inactive": "No longer in use (historical records)",
    "Non-US": "Given outside the US",
    "Pending": "Pending",
    "": "Added since the catalog's full table (see its header)",
}


@dataclass(frozen=True)
class CvxVaccine:
    code: str
    short_description: str
    full_name: str
    status: str

    @property
    def label(self) -> str:
        return f"{self.short_description} (CVX {self.code})"


@cache
def cvx_catalog() -> dict[str, CvxVaccine]:
    """Every CVX entry of the shipped file, by its normalized code ("08", "140")."""
    with CATALOG_FILE.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        vaccines = [
            CvxVaccine(
                code=normalize_cvx(row["code"]),
                short_description=row["short_description"].strip(),
                full_name=row["full_name"].strip(),
                status=row["status"].strip(),
            )
            for row in rows
        ]
    return {vaccine.code: vaccine for vaccine in vaccines}


def cvx_vaccine(code) -> CvxVaccine | None:
    """The catalog entry of a code, or None (codes outside the catalog, from imports)."""
    try:
        return cvx_catalog().get(normalize_cvx(code))
    except ValueError:
        return None


def cvx_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The offered vaccines for a select, grouped by status, by name within a group."""
    groups: dict[str, list[CvxVaccine]] = {status: [] for status in OFFERED_STATUSES}
    for vaccine in cvx_catalog().values():
        if vaccine.status in groups:
            groups[vaccine.status].append(vaccine)
    return [
        (
            OFFERED_STATUSES[status],
            [
                (v.code, v.label)
                for v in sorted(vaccines, key=lambda v: v.short_description.casefold())
            ],
        )
        for status, vaccines in groups.items()
        if vaccines
    ]
