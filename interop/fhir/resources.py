"""PHMS records as FHIR R4 resources (dicts), each validated by `fhir.resources`.

Every builder takes rows loaded with what it names (select_related by the selectors) and
makes no query of its own.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from fhir.resources import get_fhir_model_class

from patients import value_sets

from . import codes

R4_VERSION = "4.0.1"


class InvalidResource(Exception):
    """A resource PHMS built does not validate: a bug, never the caller's fault."""


def validated(resource: dict) -> dict:
    try:
        get_fhir_model_class(resource["resourceType"]).parse_obj(resource)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise InvalidResource(
            f"{resource['resourceType']}/{resource.get('id')}: {error}"
        ) from error
    return resource


def reference(resource_type: str, pk, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def instant(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def number(value) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def coded(system: str, code: str, display: str = "") -> dict:
    """A CodeableConcept: the coding when there is a code, and the text people read."""
    concept = {}
    if code:
        coding = {"system": system, "code": code}
        if display:
            coding["display"] = display
        concept["coding"] = [coding]
    if display or not code:
        concept["text"] = display or "unknown"
    return concept


def _profile(name: str) -> dict:
    return {"profile": [codes.US_CORE + name]}


def _compact(resource: dict) -> dict:
    """FHIR forbids empty elements: drop None, "" and empty lists and objects."""
    out = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _compact(value)
        elif isinstance(value, list):
            value = [_compact(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, "", {}, [])]
        if value not in (None, "", {}, []):
            out[key] = value
    return out


def _person_name(family: str, given: list[str], prefix: str = "", suffix: str = "") -> dict:
    return {
        "use": "official",
        "family": family,
        "given": [g for g in given if g],
        "prefix": [prefix] if prefix else [],
        "suffix": [suffix] if suffix else [],
    }


def _telecom(phone: str, email: str) -> list[dict]:
    entries = []
    if phone:
        entries.append({"system": "phone", "value": phone})
    if email:
        entries.append({"system": "email", "value": email})
    return entries


def _address(record, district: str = "") -> list[dict]:
    address = {
        "line": [record.address_line] if record.address_line else [],
        "city": record.city,
        "district": district,
        "state": record.state,
        "postalCode": record.postal_code,
    }
    return [address] if any(address.values()) else []


# Patient and practitioners ------------------------------------------------------------


def _value_set_system(value_set, code: str) -> str:
    return codes.NULL_FLAVOR if code in codes.NULL_FLAVOR_CODES else value_set.system


def _value_set_concept(name: str, code: str) -> dict | None:
    """A coded demographic as a CodeableConcept; a word kept from an import is text only."""
    if not code:
        return None
    value_set = value_sets.value_set(name)
    if code not in value_set.codes:
        return {"text": code}
    return coded(_value_set_system(value_set, code), code, value_set.display(code))


def _omb_extension(name: str, value_set_name: str, code: str) -> dict | None:
    """US Core's race or ethnicity extension: the OMB category when coded, and its text."""
    if not code:
        return None
    value_set = value_sets.value_set(value_set_name)
    inner = []
    if code in value_set.codes:
        category = {"system": _value_set_system(value_set, code), "code": code}
        category["display"] = value_set.display(code)
        inner.append({"url": "ombCategory", "valueCoding": category})
    inner.append({"url": "text", "valueString": value_set.display(code)})
    return {"url": codes.US_CORE + name, "extension": inner}


def patient_resource(patient) -> dict:
    identifiers = [
        {
            "use": "usual",
            "type": coded(codes.IDENTIFIER_TYPE, "MR", "Medical record number"),
            "system": settings.FHIR_MRN_SYSTEM,
            "value": patient.mrn,
        }
    ]
    if patient.external_id:
        identifiers.append({"system": codes.SYNTHEA, "value": patient.external_id})
    extensions = [
        _omb_extension("us-core-race", value_sets.RACE, patient.race),
        _omb_extension("us-core-ethnicity", value_sets.ETHNICITY, patient.ethnicity),
    ]
    if patient.gender_identity:
        extensions.append(
            {
                "url": codes.US_CORE + "us-core-genderIdentity",
                "valueCodeableConcept": _value_set_concept(
                    value_sets.GENDER_IDENTITY, patient.gender_identity
                ),
            }
        )
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": _profile("us-core-patient"),
        "extension": extensions,
        "identifier": identifiers,
        "active": True,
        "name": [
            _person_name(
                patient.last_name,
                [patient.first_name, patient.middle_name],
                patient.prefix,
                patient.suffix,
            )
        ],
        "telecom": _telecom(patient.phone, patient.email),
        "gender": codes.GENDER.get(patient.sex, "unknown"),
        "birthDate": day(patient.date_of_birth),
        "deceasedDateTime": day(patient.date_of_death),
        "address": _address(patient, patient.county),
        "maritalStatus": _value_set_concept(value_sets.MARITAL_STATUS, patient.marital_status),
        "communication": [
            {
                "language": _value_set_concept(value_sets.LANGUAGE, patient.preferred_language),
                "preferred": True,
            }
        ]
        if patient.preferred_language
        else None,
    }
    return validated(_compact(resource))


def practitioner_resource(provider) -> dict:
    identifiers = [{"system": settings.FHIR_PROVIDER_SYSTEM, "value": str(provider.pk)}]
    if provider.external_id:
        identifiers.append({"system": codes.SYNTHEA, "value": provider.external_id})
    resource = {
        "resourceType": "Practitioner",
        "id": str(provider.pk),
        "meta": _profile("us-core-practitioner"),
        "identifier": identifiers,
        "active": not provider.is_deleted,
        "name": [_person_name(provider.last_name, [provider.first_name])],
        "telecom": _telecom(provider.phone, provider.email),
        "gender": codes.GENDER.get(provider.gender, "unknown"),
        "qualification": (
            [{"code": {"text": provider.specialty.name}}] if provider.specialty_id else []
        ),
    }
    return validated(_compact(resource))


def _practitioner_ref(provider) -> dict | None:
    if provider is None:
        return None
    return reference("Practitioner", provider.pk, f"{provider.first_name} {provider.last_name}")


# Encounters and what happens in them ---------------------------------------------------


def encounter_resource(encounter, care_assignments=()) -> dict:
    act, act_display = codes.ENCOUNTER_CLASS.get(encounter.encounter_class, ("AMB", "ambulatory"))
    label = encounter.type_description or encounter.get_encounter_class_display()
    resource = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "meta": _profile("us-core-encounter"),
        "identifier": (
            [{"system": codes.SYNTHEA, "value": encounter.external_id}]
            if encounter.external_id
            else []
        ),
        "status": codes.ENCOUNTER_STATUS.get(encounter.status, "unknown"),
        "class": {"system": codes.ACT_CODE, "code": act, "display": act_display},
        "type": [coded(codes.SNOMED, encounter.type_code, label)],
        "subject": reference("Patient", encounter.patient_id),
        "participant": [
            {
                "type": [{"text": assignment.get_role_display()}],
                "individual": _practitioner_ref(assignment.provider),
            }
            for assignment in care_assignments
        ],
        "period": {
            "start": instant(encounter.admitted_at),
            "end": instant(encounter.discharged_at),
        },
        "reasonCode": (
            [coded(codes.SNOMED, encounter.reason_code, encounter.reason)]
            if encounter.reason or encounter.reason_code
            else []
        ),
        "serviceProvider": (
            {"display": encounter.organization.name} if encounter.organization_id else None
        ),
    }
    return validated(_compact(resource))


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _quantity(value, unit: str) -> dict:
    quantity = {"value": number(value)}
    if unit:
        quantity |= {"unit": unit, "system": codes.UCUM, "code": unit}
    return quantity


def vital_sign_observations(vitals) -> list[dict]:
    """One Observation per value of a VitalSigns row; blood pressure as one panel."""
    base = {
        "resourceType": "Observation",
        "meta": {"profile": [codes.VITAL_SIGNS_PROFILE]},
        "status": "final",
        "category": _category("vital-signs", "Vital Signs"),
        "subject": reference("Patient", vitals.encounter.patient_id),
        "encounter": reference("Encounter", vitals.encounter_id),
        "effectiveDateTime": instant(vitals.recorded_at),
        "performer": [_practitioner_ref(vitals.recorded_by)] if vitals.recorded_by_id else [],
    }
    observations = []
    for field, (loinc, display, unit, part) in codes.VITALS.items():
        value = getattr(vitals, field)
        if value is None:
            continue
        observations.append(
            base
            | {
                "id": f"vitals-{vitals.pk}-{part}",
                "code": coded(codes.LOINC, loinc, display),
                "valueQuantity": _quantity(value, unit),
            }
        )
    if vitals.systolic_bp is not None or vitals.diastolic_bp is not None:
        loinc, display, part = codes.BLOOD_PRESSURE
        components = []
        for (code, label), value in (
            (codes.SYSTOLIC, vitals.systolic_bp),
            (codes.DIASTOLIC, vitals.diastolic_bp),
        ):
            component = {"code": coded(codes.LOINC, code, label)}
            if value is None:
                component["dataAbsentReason"] = coded(codes.DATA_ABSENT, "unknown", "Unknown")
            else:
                component["valueQuantity"] = _quantity(value, "mm[Hg]")
            components.append(component)
        observations.append(
            base
            | {
                "id": f"vitals-{vitals.pk}-{part}",
                "code": coded(codes.LOINC, loinc, display),
                "component": components,
            }
        )
    return [validated(_compact(o)) for o in observations]


def lab_observation(result) -> dict:
    test = result.lab_test
    unit = result.unit or test.unit
    low, high = result.reference_low, result.reference_high
    flag, flag_display = codes.LAB_FLAG.get(result.abnormal_flag, ("N", "Normal"))
    resource = {
        "resourceType": "Observation",
        "id": f"lab-{result.pk}",
        "meta": _profile("us-core-observation-lab"),
        "status": "final",
        "category": _category("laboratory", "Laboratory"),
        "code": coded(codes.LOINC, test.loinc_code, test.name),
        "subject": reference("Patient", result.encounter.patient_id),
        "encounter": reference("Encounter", result.encounter_id),
        "effectiveDateTime": instant(result.observed_at),
        "valueQuantity": (
            _quantity(result.value_numeric, unit) if result.value_numeric is not None else None
        ),
        "valueString": result.value_text if result.value_numeric is None else None,
        "interpretation": [
            {"coding": [{"system": codes.INTERPRETATION, "code": flag, "display": flag_display}]}
        ],
        "referenceRange": (
            [
                {
                    "low": _quantity(low, unit) if low is not None else None,
                    "high": _quantity(high, unit) if high is not None else None,
                }
            ]
            if low is not None or high is not None
            else []
        ),
    }
    return validated(_compact(resource))


def condition_resource(diagnosis) -> dict:
    condition = diagnosis.condition
    in_error = diagnosis.status == "entered_in_error"
    clinical = codes.DIAGNOSIS_STATUS.get(diagnosis.status)
    resource = {
        "resourceType": "Condition",
        "id": str(diagnosis.pk),
        "meta": _profile("us-core-condition-encounter-diagnosis"),
        # FHIR: an entry in error carries no clinical status.
        "clinicalStatus": (
            None if in_error else coded(codes.CONDITION_CLINICAL, clinical, clinical.title())
        ),
        "verificationStatus": coded(
            codes.CONDITION_VERIFICATION,
            "entered-in-error" if in_error else "confirmed",
            "Entered in Error" if in_error else "Confirmed",
        ),
        "category": [coded(codes.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": coded(
            codes.CONDITION_SYSTEMS.get(condition.code_system, codes.SNOMED),
            condition.code,
            condition.name,
        ),
        "subject": reference("Patient", diagnosis.encounter.patient_id),
        "encounter": reference("Encounter", diagnosis.encounter_id),
        "onsetDateTime": day(diagnosis.onset_date),
        "abatementDateTime": day(diagnosis.resolved_date),
        "asserter": _practitioner_ref(diagnosis.diagnosed_by),
    }
    return validated(_compact(resource))


def _prescription_status(prescription, today: dt.date) -> str:
    if prescription.stopped_at is not None:
        return "stopped"
    if prescription.end_date and prescription.end_date < today:
        return "completed"
    return "active"


def medication_request_resource(prescription, *, today: dt.date | None = None) -> dict:
    medication = prescription.medication
    today = today or timezone.localdate()
    dosage = " ".join(p for p in (prescription.dosage, prescription.instructions) if p)
    resource = {
        "resourceType": "MedicationRequest",
        "id": str(prescription.pk),
        "meta": _profile("us-core-medicationrequest"),
        "status": _prescription_status(prescription, today),
        "statusReason": {"text": prescription.stop_reason} if prescription.stop_reason else None,
        "intent": "order",
        "medicationCodeableConcept": coded(codes.RXNORM, medication.code, medication.name),
        "subject": reference("Patient", prescription.encounter.patient_id),
        "encounter": reference("Encounter", prescription.encounter_id),
        "authoredOn": day(prescription.start_date),
        "requester": _practitioner_ref(prescription.prescriber),
        "reasonCode": [{"text": prescription.reason}] if prescription.reason else [],
        "dosageInstruction": [{"text": dosage}] if dosage else [],
        "dispenseRequest": {
            "validityPeriod": {
                "start": day(prescription.start_date),
                "end": day(prescription.end_date),
            },
            "numberOfRepeatsAllowed": max(prescription.dispenses - 1, 0),
        },
    }
    return validated(_compact(resource))


ALLERGY_SYSTEMS = {"RxNorm": codes.RXNORM, "SNOMED-CT": codes.SNOMED}
ALLERGY_CATEGORIES = {
    "food": "food",
    "medication": "medication",
    "drug": "medication",
    "environment": "environment",
    "biologic": "biologic",
}


def allergy_resource(allergy) -> dict:
    in_error = allergy.verification_status == "entered_in_error"
    verification = "entered-in-error" if in_error else allergy.verification_status
    category = ALLERGY_CATEGORIES.get(allergy.category.lower())
    resource = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.pk),
        "meta": _profile("us-core-allergyintolerance"),
        "clinicalStatus": (
            None
            if in_error
            else coded(
                codes.ALLERGY_CLINICAL,
                allergy.clinical_status,
                allergy.get_clinical_status_display(),
            )
        ),
        "verificationStatus": coded(
            codes.ALLERGY_VERIFICATION, verification, allergy.get_verification_status_display()
        ),
        "type": allergy.allergy_type
        if allergy.allergy_type in ("allergy", "intolerance")
        else None,
        "category": [category] if category else [],
        "code": coded(
            ALLERGY_SYSTEMS.get(allergy.code_system, codes.SNOMED),
            allergy.code,
            allergy.description,
        ),
        "patient": reference("Patient", allergy.patient_id),
        "encounter": reference("Encounter", allergy.encounter_id) if allergy.encounter_id else None,
        "onsetDateTime": day(allergy.onset_date),
        "lastOccurrence": day(allergy.resolved_date),
        "reaction": (
            [
                {
                    "manifestation": [{"text": allergy.reaction}],
                    "severity": allergy.severity or None,
                }
            ]
            if allergy.reaction
            else []
        ),
    }
    return validated(_compact(resource))


IMMUNIZATION_STATUS = {"completed": "completed", "refused": "not-done", "not_done": "not-done"}


def immunization_resource(patient_pk: int, event: dict) -> dict:
    """A vaccination event of the document store (`patients.vaccinations`); its id carries
    the patient's, since events live in the patient's document."""
    status = IMMUNIZATION_STATUS.get(event["status"], "completed")
    resource = {
        "resourceType": "Immunization",
        "id": f"{patient_pk}-{event['id']}",
        "meta": _profile("us-core-immunization"),
        "status": status,
        "statusReason": (
            {"text": "Refused by the patient"} if event["status"] == "refused" else None
        ),
        "vaccineCode": coded(codes.CVX, event["cvx_code"], event["vaccine"]),
        "patient": reference("Patient", patient_pk),
        "occurrenceDateTime": day(event["date"]),
        "recorded": instant(event.get("recorded_at")),
        "primarySource": not event.get("external_id"),
        "lotNumber": event.get("lot"),
        "site": {"text": event["site"]} if event.get("site") else None,
        "route": {"text": event["route"]} if event.get("route") else None,
        "performer": (
            [{"actor": {"display": event["administered_by"]}}]
            if event.get("administered_by")
            else []
        ),
        "protocolApplied": (
            [{"doseNumberPositiveInt": event["dose_number"]}] if event.get("dose_number") else []
        ),
    }
    return validated(_compact(resource))


# Coverage and claims -------------------------------------------------------------------


def coverage_resource(coverage, *, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    ended = coverage.end_date is not None and coverage.end_date < today
    resource = {
        "resourceType": "Coverage",
        "id": str(coverage.pk),
        "meta": _profile("us-core-coverage"),
        "status": "cancelled" if ended else "active",
        "subscriberId": coverage.member_id,
        "beneficiary": reference("Patient", coverage.patient_id),
        "relationship": coded(
            codes.SUBSCRIBER_RELATIONSHIP,
            codes.COVERAGE_RELATIONSHIP.get(coverage.ownership, "other"),
            coverage.get_ownership_display(),
        ),
        "period": {"start": day(coverage.start_date), "end": day(coverage.end_date)},
        "payor": [{"display": coverage.payer.name}],
        "order": 2 if coverage.is_secondary else 1,
    }
    return validated(_compact(resource))


def _money(amount) -> dict:
    return {"value": number(amount), "currency": settings.FHIR_CURRENCY}


def claim_resource(bill) -> dict:
    encounter = bill.encounter
    institutional = encounter.encounter_class in ("inpatient", "snf", "hospice")
    claim_type = "institutional" if institutional else "professional"
    provider = encounter.organization.name if encounter.organization_id else "PHMS"
    resource = {
        "resourceType": "Claim",
        "id": str(bill.pk),
        "identifier": (
            [{"system": codes.SYNTHEA, "value": bill.external_id}] if bill.external_id else []
        ),
        "status": codes.CLAIM_STATUS.get(bill.status, "active"),
        "type": coded(codes.CLAIM_TYPE, claim_type, claim_type.title()),
        "use": "claim",
        "patient": reference("Patient", bill.patient_id),
        "billablePeriod": {
            "start": instant(encounter.admitted_at),
            "end": instant(encounter.discharged_at),
        },
        "created": day(bill.issued_on),
        "provider": {"display": provider},
        "priority": coded(codes.PROCESS_PRIORITY, "normal", "Normal"),
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"display": bill.payer.name if bill.payer_id else "Self-pay"},
            }
        ],
        "item": [
            {
                "sequence": index,
                "encounter": [reference("Encounter", bill.encounter_id)],
                "productOrService": {
                    **({"coding": [{"code": line.code}]} if line.code else {}),
                    "text": line.description,
                },
                "quantity": {"value": number(line.quantity)},
                "unitPrice": _money(line.unit_price),
                "net": _money(line.amount),
            }
            for index, line in enumerate(bill.lines.all(), start=1)
        ],
        "total": _money(bill.total_amount),
    }
    return validated(_compact(resource))
