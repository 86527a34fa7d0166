"""A small catalog of Claim Adjustment Reason Codes (CARC), the codes payers give on a
remittance for why a claim or line was paid less than billed.

Source: the X12 "Claim Adjustment Reason Codes" list (x12.org/codes), as maintained by
the Claim Adjustment Status Code Maintenance Committee; descriptions are shortened here.
Only the codes a hospital's billing office meets every week are listed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReasonCode:
    code: str
    description: str
    denial: bool  # a reason a payer denies a claim for
    adjustment: bool  # a reason to adjust a balance


_CODES = [
    ReasonCode("1", "Deductible amount", denial=False, adjustment=True),
    ReasonCode("2", "Coinsurance amount", denial=False, adjustment=True),
    ReasonCode("3", "Co-payment amount", denial=False, adjustment=True),
    ReasonCode("16", "Claim lacks information needed to decide it", denial=True, adjustment=False),
    ReasonCode("18", "Exact duplicate claim or service", denial=True, adjustment=True),
    ReasonCode("22", "May be covered by another payer", denial=True, adjustment=False),
    ReasonCode("27", "Incurred after coverage ended", denial=True, adjustment=False),
    ReasonCode("29", "Time limit for filing has expired", denial=True, adjustment=True),
    ReasonCode("45", "Charge exceeds the fee schedule", denial=False, adjustment=True),
    ReasonCode("50", "Not deemed a medical necessity", denial=True, adjustment=False),
    ReasonCode("96", "Non-covered charge", denial=True, adjustment=True),
    ReasonCode("97", "Included in another service's payment", denial=True, adjustment=True),
    ReasonCode("109", "Not covered by this payer", denial=True, adjustment=False),
    ReasonCode("197", "Precertification or authorization absent", denial=True, adjustment=False),
    ReasonCode(
        "204", "Not covered under the patient's current plan", denial=True, adjustment=False
    ),
    ReasonCode(
        "253", "Sequestration (reduction of federal payment)", denial=False, adjustment=True
    ),
]

CODES = {reason.code: reason for reason in _CODES}
# Synthea's ADJUSTMENT rows carry no reason: they are the payer's contractual allowance.
CONTRACTUAL_DEFAULT = "45"


def denial_choices() -> list[tuple[str, str]]:
    return [(r.code, f"{r.code}: {r.description}") for r in _CODES if r.denial]


def adjustment_choices() -> list[tuple[str, str]]:
    return [(r.code, f"{r.code}: {r.description}") for r in _CODES if r.adjustment]


def describe(code: str) -> str:
    reason = CODES.get(code)
    return f"{code}: {reason.description}" if reason else code
