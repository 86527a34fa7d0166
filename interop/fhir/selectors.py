"""The rows behind each FHIR resource type: one patient's, or one row by id."""

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


def encounters_of(patient_pk):
    assignments = CareAssignment.objects.select_related("provider").order_by("pk")
    return (
        Encounter.objects.filter(patient_id=patient_pk)
        .select_related("organization")
        .prefetch_related(Prefetch("care_assignments", queryset=assignments))
        .order_by("-admitted_at", "-pk")
    )


def vital_signs_of(patient_pk):
    return (
        VitalSigns.objects.filter(encounter__patient_id=patient_pk)
        .select_related("encounter", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def lab_results_of(patient_pk):
    return (
        LabResult.objects.filter(encounter__patient_id=patient_pk)
        .select_related("encounter", "lab_test")
        .order_by("-observed_at", "-pk")
    )


def diagnoses_of(patient_pk):
    return (
        Diagnosis.objects.filter(encounter__patient_id=patient_pk)
        .select_related("encounter", "condition", "diagnosed_by")
        .order_by("-onset_date", "-pk")
    )


def prescriptions_of(patient_pk):
    return (
        Prescription.objects.filter(encounter__patient_id=patient_pk)
        .select_related("encounter", "medication", "prescriber")
        .order_by("-start_date", "-pk")
    )


def allergies_of(patient_pk):
    return Allergy.objects.filter(patient_id=patient_pk).order_by("-onset_date", "-pk")


def vaccinations_of(patient_pk) -> list[dict]:
    return vaccinations.vaccinations_for_patient(patient_pk)


def coverages_of(patient_pk):
    return (
        Coverage.objects.filter(patient_id=patient_pk)
        .select_related("payer")
        .order_by("-start_date", "-pk")
    )


def bills_of(patient_pk):
    return (
        Bill.objects.filter(patient_id=patient_pk)
        .select_related("encounter__organization", "payer")
        .prefetch_related("lines")
        .order_by("-issued_on", "-pk")
    )


def practitioners():
    return HealthcareProvider.objects.select_related("specialty").order_by("last_name", "pk")
