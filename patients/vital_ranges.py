"""Adult reference ranges of the vital signs, in one table, and the words that flag a value.

Sources: Royal College of Physicians, National Early Warning Score (NEWS) 2, 2017, chart 1
(normal: the values that score 0; critical: the values that score 3; SpO2 on scale 1), and
NICE guideline NG136 (2019) for blood pressure above normal (clinic BP 140/90 mmHg or higher)
and severe hypertension (systolic 180 or diastolic 120 mmHg or higher).
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ReferenceRange:
    """What is normal for an adult at rest: `low` to `high` inclusive, either end open (None).

    A value at or beyond a critical bound is clearly dangerous.
    """

    label: str
    unit: str
    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None


REFERENCE_RANGES = {
    "heart_rate": ReferenceRange(
        "Heart rate", "/min", Decimal(51), Decimal(90), Decimal(40), Decimal(131)
    ),
    "systolic_bp": ReferenceRange(
        "Systolic blood pressure", "mmHg", Decimal(111), Decimal(139), Decimal(90), Decimal(180)
    ),
    "diastolic_bp": ReferenceRange(
        "Diastolic blood pressure", "mmHg", Decimal(60), Decimal(89), None, Decimal(120)
    ),
    "temperature_c": ReferenceRange(
        "Temperature", "°C", Decimal("36.1"), Decimal("38.0"), Decimal("35.0"), None
    ),
    "spo2": ReferenceRange("SpO₂", "%", Decimal(96), None, Decimal(91), None),
    "respiratory_rate": ReferenceRange(
        "Respiratory rate", "/min", Decimal(12), Decimal(20), Decimal(8), Decimal(25)
    ),
    "weight_kg": ReferenceRange("Weight", "kg"),
}


@dataclass(frozen=True)
class Flag:
    words: str
    css_class: str

    @property
    def is_normal(self) -> bool:
        return self is NORMAL


NORMAL = Flag("Normal", "vital-normal")
LOW = Flag("Low", "vital-abnormal")
HIGH = Flag("High", "vital-abnormal")
CRITICALLY_LOW = Flag("Critically low", "vital-critical")
CRITICALLY_HIGH = Flag("Critically high", "vital-critical")


def vital_flag(measure: str, value) -> Flag | None:
    """How a value of this measure compares with the adult range; None when there is
    no value or the measure has no range (weight)."""
    reference = REFERENCE_RANGES[measure]
    if value is None or (reference.low is None and reference.high is None):
        return None
    value = Decimal(str(value))
    if reference.critical_low is not None and value <= reference.critical_low:
        return CRITICALLY_LOW
    if reference.critical_high is not None and value >= reference.critical_high:
        return CRITICALLY_HIGH
    if reference.low is not None and value < reference.low:
        return LOW
    if reference.high is not None and value > reference.high:
        return HIGH
    return NORMAL
