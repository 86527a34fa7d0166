"""The rows behind each FHIR resource type: of one patient (a pk) or of many (a list of pks,
for the bulk export)."""

from django.db.models import Prefetch

from billing.models import Bill
from patients import vaccinations
from patients.models import (
    Allergy,
    CareAssignment,
    Coverage,
    Diagnosis,
    Encounter,
    LabResult,
    Prescription,
    VitalSigns,
)
from providers.models import HealthcareProvider


def _of(path: str, patients) -> dict:
    if isinstance(patients, (list, tuple, set)):
        return {f"{path}__in": list(patients)}
    return {path: patients}


def encounters_of(patients):
    assignments = CareAssignment.objects.select_related("provider").order_by("pk")
    return (
        Encounter.objects.filter(**_of("patient_id", patients))
        .select_related("organization")
        .prefetch_related(Prefetch("care_assignments", queryset=assignments))
        .order_by("-admitted_at", "-pk")
    )


def vital_signs_of(patients):
    return (
        VitalSigns.objects.filter(**_of("encounter__patient_id", patients))
        .select_related("encounter", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def lab_results_of(patients):
    return (
        LabResult.objects.filter(**_of("encounter__patient_id", patients))
        .select_related("encounter", "lab_test")
        .order_by("-observed_at", "-pk")
    )


def diagnoses_of(patients):
    return (
        Diagnosis.objects.filter(**_of("encounter__patient_id", patients))
        .select_related("encounter", "condition", "diagnosed_by")
        .order_by("-onset_date", "-pk")
    )


def prescriptions_of(patients):
    return (
        Prescription.objects.filter(**_of("encounter__patient_id", patients))
        .select_related("encounter", "medication", "prescriber")
        .order_by("-start_date", "-pk")
    )


def allergies_of(patients):
    return Allergy.objects.filter(**_of("patient_id", patients)).order_by("-onset_date", "-pk")


def vaccinations_of(patient_pk) -> list[dict]:
    return vaccinations.vaccinations_for_patient(patient_pk)


def vaccinations_of_patients(patient_pks) -> dict[int, list[dict]]:
    return vaccinations.vaccinations_for_patients(patient_pks)


def coverages_of(patients):
    return (
        Coverage.objects.filter(**_of("patient_id", patients))
        .select_related("payer")
        .order_by("-start_date", "-pk")
    )


def bills_of(patients):
    return (
        Bill.objects.filter(**_of("patient_id", patients))
        .select_related("encounter__organization", "payer")
        .prefetch_related("lines")
        .order_by("-issued_on", "-pk")
    )


def practitioners():
    return HealthcareProvider.objects.select_related("specialty").order_by("last_name", "pk")
