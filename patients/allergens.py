"""The catalog of common allergens the allergy form offers (patients/data/allergens.csv)."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_FILE = Path(__file__).parent / "data" / "allergens.csv"
SNOMED_CT = "SNOMED-CT"
RXNORM = "RxNorm"


@dataclass(frozen=True)
class Allergen:
    name: str
    category: str
    code_system: str
    code: str

    @property
    def key(self) -> str:
        """The form's value for this allergen: its coding, unique across the catalog."""
        return f"{self.code_system}|{self.code}"


@cache
def allergen_catalog() -> tuple[Allergen, ...]:
    """The shipped allergens in file order; each coded with RxNorm when it has an RxNorm
    code (medications: it is the formulary's system), else with SNOMED CT."""
    with CATALOG_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(
            Allergen(
                name=row["name"],
                category=row["category"],
                code_system=RXNORM if row["rxnorm"] else SNOMED_CT,
                code=row["rxnorm"] or row["snomed_ct"],
            )
            for row in rows
        )


def allergen_by_key(key: str) -> Allergen | None:
    return next((allergen for allergen in allergen_catalog() if allergen.key == key), None)
