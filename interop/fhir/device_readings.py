"""A device's vital-sign Observation, checked and turned into VitalSigns values.

Accepted (LOINC, UCUM unit): heart rate 8867-4 /min, respiratory rate 9279-1 /min,
SpO2 59408-5 or 2708-6 %, body temperature 8310-5 Cel, body weight 29463-7 kg, systolic
8480-6 and diastolic 8462-4 mm[Hg], or the blood pressure panel 85354-9 with both.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from fhir.resources import get_fhir_model_class

from interop.synthea.reader import stable_key

from . import codes
from .search import FhirError, invalid

ACCEPTED = {
    "8867-4": ("heart_rate", "/min"),
    "9279-1": ("respiratory_rate", "/min"),
    "59408-5": ("spo2", "%"),
    "2708-6": ("spo2", "%"),
    "8310-5": ("temperature_c", "Cel"),
    "29463-7": ("weight_kg", "kg"),
    "8480-6": ("systolic_bp", "mm[Hg]"),
    "8462-4": ("diastolic_bp", "mm[Hg]"),
}
BLOOD_PRESSURE_PANEL = "85354-9"
ONE_DECIMAL = {"temperature_c", "weight_kg"}
CLOCK_SKEW = dt.timedelta(minutes=5)


def unprocessable(message: str) -> FhirError:
    return FhirError(422, "processing", message)


@dataclass(frozen=True)
class Reading:
    external_id: str
    recorded_at: dt.datetime
    values: dict
    code: str  # the LOINC code the device sent (the panel's, for blood pressure)


def _loinc(concept) -> str | None:
    for coding in (concept or {}).get("coding", []):
        if coding.get("system") == codes.LOINC and coding.get("code"):
            return coding["code"]
    return None


def _value(holder, code: str):
    field, unit = ACCEPTED[code]
    quantity = holder.get("valueQuantity")
    if not quantity or quantity.get("value") is None:
        raise unprocessable(f"{field.replace('_', ' ')}: a valueQuantity with a value is needed.")
    sent_unit = quantity.get("code") or quantity.get("unit")
    if sent_unit != unit:
        raise unprocessable(
            f"{field.replace('_', ' ')}: unit {sent_unit!r} is not accepted; send UCUM {unit!r}."
        )
    try:
        value = Decimal(str(quantity["value"]))
    except InvalidOperation:
        raise invalid(f"{quantity['value']!r} is not a number.") from None
    places = Decimal("0.1") if field in ONE_DECIMAL else Decimal("1")
    value = value.quantize(places, rounding=ROUND_HALF_UP)
    return field, value if field in ONE_DECIMAL else int(value)


def reading_from(resource, *, device) -> Reading:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        raise invalid("Send one Observation resource (application/fhir+json).")
    try:
        get_fhir_model_class("Observation").parse_obj(resource)
    except ValueError as error:
        raise invalid(
            f"Not a valid FHIR R4 Observation: {error}".replace("\n", " ")[:500]
        ) from None
    identifier = next((i for i in resource.get("identifier", []) if i.get("value")), None)
    if identifier is None:
        raise invalid(
            "Observation.identifier (system and value) is required: a reading sent twice "
            "is then stored once."
        )
    if resource.get("status") not in ("final", "amended", "corrected"):
        raise unprocessable("Only final readings are stored (status final, amended, corrected).")
    categories = {c for concept in resource.get("category", []) for _, c in _codings(concept)}
    if "vital-signs" not in categories:
        raise unprocessable("Only vital-sign Observations are accepted (category vital-signs).")
    subject = (resource.get("subject") or {}).get("reference")
    if subject not in (None, f"Patient/{device.patient_id}"):
        raise FhirError(403, "forbidden", "This device is registered to another patient.")
    effective = resource.get("effectiveDateTime") or resource.get("effectiveInstant")
    if not effective or len(effective) <= 10:
        raise unprocessable("effectiveDateTime with a time and a time zone is required.")
    recorded_at = dt.datetime.fromisoformat(effective.replace("Z", "+00:00"))
    if recorded_at.tzinfo is None:
        raise unprocessable("effectiveDateTime needs a time zone (Z or an offset).")
    if recorded_at > timezone.now() + CLOCK_SKEW:
        raise unprocessable("effectiveDateTime is in the future; check the device's clock.")
    code = _loinc(resource.get("code"))
    if code == BLOOD_PRESSURE_PANEL:
        values = dict(
            _value(component, _loinc(component.get("code")))
            for component in resource.get("component", [])
            if _loinc(component.get("code")) in ("8480-6", "8462-4")
        )
        if set(values) != {"systolic_bp", "diastolic_bp"}:
            raise unprocessable("A blood pressure panel needs systolic and diastolic components.")
    elif code in ACCEPTED:
        values = dict([_value(resource, code)])
    else:
        raise unprocessable(
            f"LOINC {code or '(none)'} is not a vital sign this server takes "
            f"(accepted: {', '.join(sorted([*ACCEPTED, BLOOD_PRESSURE_PANEL]))})."
        )
    systolic, diastolic = values.get("systolic_bp"), values.get("diastolic_bp")
    if systolic is not None and diastolic is not None and systolic <= diastolic:
        raise unprocessable(f"Systolic {systolic} is not above diastolic {diastolic}.")
    key = stable_key(str(device.pk), identifier.get("system", ""), identifier["value"])
    return Reading(
        external_id=f"device-{key}",
        recorded_at=recorded_at.astimezone(dt.UTC),
        values=values,
        code=code,
    )


def _codings(concept):
    return [(c.get("system", ""), c.get("code", "")) for c in (concept or {}).get("coding", [])]
