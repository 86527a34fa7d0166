"""The medical record number: "MRN", eight digits and a Luhn check digit (MRN123456782).

One format for every patient, whether registered at the front desk, imported (Synthea,
FHIR) or seeded; the check digit catches a mistyped digit or two swapped neighbours
(docs/registration.md). Records from before this format keep the MRN they were given.
"""

import re
import secrets

from stdnum import luhn

from patients.models import Patient

PREFIX = "MRN"
SERIAL_DIGITS = 8
MRN_PATTERN = re.compile(rf"{PREFIX}(\d{{{SERIAL_DIGITS + 1}}})", re.IGNORECASE)


def mrn_for_serial(serial: int) -> str:
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    if len(digits) != SERIAL_DIGITS:
        raise ValueError(f"An MRN serial has at most {SERIAL_DIGITS} digits.")
    return f"{PREFIX}{digits}{luhn.calc_check_digit(digits)}"


def looks_like_mrn(text: str) -> bool:
    """The shape of an MRN, whatever its check digit (to tell a typo from a name)."""
    return bool(MRN_PATTERN.fullmatch(text.strip()))


def is_valid_mrn(text: str) -> bool:
    match = MRN_PATTERN.fullmatch(text.strip())
    return bool(match) and luhn.is_valid(match.group(1))


def new_mrns(count: int) -> list[str]:
    """`count` MRNs no patient (live, deleted or merged) holds, with random serials."""
    issued: set[str] = set()
    while len(issued) < count:
        wanted = count - len(issued)
        drawn = {mrn_for_serial(secrets.randbelow(10**SERIAL_DIGITS)) for _ in range(wanted)}
        drawn -= issued
        for start in range(0, len(drawn), 500):
            batch = sorted(drawn)[start : start + 500]
            taken = set(Patient.all_objects.filter(mrn__in=batch).values_list("mrn", flat=True))
            issued |= set(batch) - taken
    return list(issued)


def new_mrn() -> str:
    return new_mrns(1)[0]
