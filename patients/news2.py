"""The National Early Warning Score 2 of one set of vital signs.

Royal College of Physicians, National Early Warning Score (NEWS) 2, 2017: chart 1 (the
scoring), chart 2 (the thresholds and triggers) and table 2 (the clinical response). SpO2 is
scored on scale 1; scale 2 (hypercapnic respiratory failure) needs a clinician's decision the
record does not hold. NEWS2 is for adults (16 and over), not for pregnancy.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from patients.models import VitalSigns

ADULT_AGE = 16
# The measurements a complete set holds, in the order of chart 1, with their names in words.
PARAMETERS = {
    "respiratory_rate": "respiratory rate",
    "spo2": "SpO₂",
    "supplemental_oxygen": "air or oxygen",
    "systolic_bp": "systolic blood pressure",
    "heart_rate": "pulse",
    "consciousness": "consciousness",
    "temperature_c": "temperature",
}

# The sets of vital signs that hold every parameter, as a query filter.
COMPLETE_SET = Q(
    **{f"{name}__isnull": False for name in PARAMETERS if name != "consciousness"}
) & ~Q(consciousness="")


def respiratory_rate_score(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_score(spo2: int) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def supplemental_oxygen_score(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_bp_score(systolic: int) -> int:
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def pulse_score(pulse: int) -> int:
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def consciousness_score(consciousness: str) -> int:
    return 0 if consciousness == VitalSigns.Consciousness.ALERT else 3


def temperature_score(temperature_c) -> int:
    temperature = Decimal(str(temperature_c))
    if temperature <= Decimal("35.0"):
        return 3
    if temperature <= Decimal("36.0"):
        return 1
    if temperature <= Decimal("38.0"):
        return 0
    if temperature <= Decimal("39.0"):
        return 1
    return 2


SCORERS = {
    "respiratory_rate": respiratory_rate_score,
    "spo2": spo2_score,
    "supplemental_oxygen": supplemental_oxygen_score,
    "systolic_bp": systolic_bp_score,
    "heart_rate": pulse_score,
    "consciousness": consciousness_score,
    "temperature_c": temperature_score,
}


# A single parameter scoring 3 (chart 2's "red score"): far outside the usual range, the
# trigger for an urgent review whatever the total. Consciousness and oxygen are not measured
# by devices; the bounds follow the scorers above.
RED_SCORE = (
    Q(respiratory_rate__lte=8)
    | Q(respiratory_rate__gte=25)
    | Q(spo2__lte=91)
    | Q(systolic_bp__lte=90)
    | Q(systolic_bp__gte=220)
    | Q(heart_rate__lte=40)
    | Q(heart_rate__gte=131)
    | Q(temperature_c__lte=Decimal("35.0"))
)


def red_parameters(vitals) -> list[str]:
    """The parameters of a set that score 3 on their own, in words (see RED_SCORE)."""
    return [
        PARAMETERS[name]
        for name, scorer in SCORERS.items()
        if name not in ("consciousness", "supplemental_oxygen")
        and getattr(vitals, name) is not None
        and scorer(getattr(vitals, name)) == 3
    ]


@dataclass(frozen=True)
class Band:
    name: str
    css_class: str
    response: str


LOW_SCORE_ZERO = Band(
    "Low",
    "news2-low",
    "Ward-based response: minimum 12-hourly monitoring; continue routine NEWS monitoring.",
)
LOW = Band(
    "Low",
    "news2-low",
    "Ward-based response: minimum 4–6-hourly monitoring; a registered nurse assesses the "
    "patient and decides whether to monitor more often or escalate care.",
)
LOW_MEDIUM = Band(
    "Low–medium",
    "news2-low-medium",
    "Urgent ward-based response (a score of 3 in one parameter): minimum 1-hourly "
    "monitoring; the registered nurse informs the medical team caring for the patient, who "
    "review and decide whether care needs escalating.",
)
MEDIUM = Band(
    "Medium",
    "news2-medium",
    "Urgent response: minimum 1-hourly monitoring; the registered nurse immediately informs "
    "the medical team and asks for urgent assessment by a clinician or team competent in the "
    "care of acutely ill patients; care in an environment with monitoring facilities.",
)
HIGH = Band(
    "High",
    "news2-high",
    "Emergency response: continuous monitoring of vital signs; the registered nurse "
    "immediately informs the medical team (at least specialist registrar level); emergency "
    "assessment by a team with critical-care competencies, including advanced airway "
    "management; consider transfer to a level 2 or 3 care facility (HDU or ICU).",
)


@dataclass(frozen=True)
class News2:
    score: int
    band: Band
    parameter_scores: dict[str, int]


def missing_parameters(vitals) -> list[str]:
    """The names, in words, of what this set lacks for a NEWS2 (empty: it is complete)."""
    return [
        words
        for name, words in PARAMETERS.items()
        if getattr(vitals, name) is None or getattr(vitals, name) == ""
    ]


def news2_score(vitals) -> News2:
    """The score and band of a complete set (see `missing_parameters`); ValueError otherwise."""
    missing = missing_parameters(vitals)
    if missing:
        raise ValueError(f"A NEWS2 needs a complete set; missing {', '.join(missing)}.")
    scores = {name: scorer(getattr(vitals, name)) for name, scorer in SCORERS.items()}
    total = sum(scores.values())
    if total >= 7:
        band = HIGH
    elif total >= 5:
        band = MEDIUM
    elif 3 in scores.values():
        band = LOW_MEDIUM
    elif total == 0:
        band = LOW_SCORE_ZERO
    else:
        band = LOW
    return News2(score=total, band=band, parameter_scores=scores)


@dataclass(frozen=True)
class News2Reading:
    """What a page says about NEWS2: the score of the latest complete set (None: there is
    none, or the patient is under ADULT_AGE) and its time, and what the latest set lacks
    when it is not complete."""

    news2: News2 | None
    scored_at: dt.datetime | None
    latest_missing: list[str]
    under_adult_age: bool = False


def news2_reading(latest, latest_complete, *, age: int) -> News2Reading:
    """From the latest set of vital signs and the latest complete one (either may be None),
    for a patient of this age."""
    if age < ADULT_AGE:
        return News2Reading(news2=None, scored_at=None, latest_missing=[], under_adult_age=True)
    missing = missing_parameters(latest) if latest is not None else []
    if latest_complete is None:
        return News2Reading(news2=None, scored_at=None, latest_missing=missing)
    return News2Reading(
        news2=news2_score(latest_complete),
        scored_at=latest_complete.recorded_at,
        latest_missing=missing,
    )
