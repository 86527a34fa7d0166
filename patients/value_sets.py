"""Coded demographics: the HL7 / CDC / USPS value sets in patients/data/value_sets/.

Each file names its source and code system in its header. A field holds the code; forms
offer (code, display) choices; imports turn what a file brings (a code, a display or a
listed synonym, in any case) into the code with `code_for`.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VALUE_SET_DIR = Path(__file__).resolve().parent / "data" / "value_sets"
MARITAL_STATUS = "marital_status"
RACE = "race"
ETHNICITY = "ethnicity"
SEX = "sex"
GENDER_IDENTITY = "gender_identity"
LANGUAGE = "language"
STATE = "state"


@dataclass(frozen=True)
class ValueSet:
    name: str
    system: str
    source: str
    codes: dict[str, str]  # code -> display, in the file's order
    lookup: dict[str, str]  # lower-cased code, display or synonym -> code

    def choices(self, *, blank: str | None = None) -> list[tuple[str, str]]:
        options = list(self.codes.items())
        return [("", blank), *options] if blank is not None else options

    def display(self, code: str) -> str:
        return self.codes.get(code, code)


@cache
def value_set(name: str) -> ValueSet:
    path = VALUE_SET_DIR / f"{name}.csv"
    with path.open(encoding="utf-8") as file:
        lines = file.read().splitlines()
    header = [line[1:].strip() for line in lines if line.startswith("#")]
    system = next(
        (line.removeprefix("system:").strip() for line in header if line.startswith("system:")),
        "",
    )
    codes: dict[str, str] = {}
    lookup: dict[str, str] = {}
    for row in csv.DictReader(line for line in lines if not line.startswith("#")):
        code, display = row["code"], row["display"]
        codes[code] = display
        for text in (code, display, *(row.get("synonyms") or "").split("|")):
            if text.strip():
                lookup.setdefault(text.strip().lower(), code)
    source = " ".join(line for line in header if not line.startswith(("system:", "synonyms:")))
    return ValueSet(name=name, system=system, source=source, codes=codes, lookup=lookup)


def choices(name: str) -> list[tuple[str, str]]:
    """The (code, display) pairs of a value set, for a model field's `choices`."""
    return value_set(name).choices()


def code_for(name: str, text: str) -> str:
    """The code an imported value stands for, or "" when the value set has none for it."""
    return value_set(name).lookup.get((text or "").strip().lower(), "")


# Model fields' `choices` (callables, so migrations name the value set, not its codes).
def gender_identity_choices():
    return choices(GENDER_IDENTITY)


def race_choices():
    return choices(RACE)


def ethnicity_choices():
    return choices(ETHNICITY)


def marital_status_choices():
    return choices(MARITAL_STATUS)


def language_choices():
    return choices(LANGUAGE)


def state_choices():
    return choices(STATE)
