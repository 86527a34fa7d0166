"""The original PHMS design's sample SQL queries, as ORM selectors.

Each takes an optional `patients` scope (default: every patient) so callers pass
`Patient.objects.visible_to(user)`. Soft-deleted rows never count: a deleted patient,
encounter, bill, diagnosis or contact is left out even when the scope includes it.
"""

from django.db.models import Count, Q, QuerySet, Sum

from billing.models import Bill
from patients.models import Diagnosis, EmergencyContact, Encounter, Medication, Patient


def _scope(patients: QuerySet | None) -> QuerySet:
    """The living patients of the caller's scope, as a subquery of ids."""
    scope = Patient.objects.all() if patients is None else patients
    return scope.filter(deleted_at__isnull=True).values("pk")


def _encounters(patients: QuerySet | None) -> QuerySet:
    return Encounter.objects.filter(patient__in=_scope(patients))


def encounters_with_dates(*, patients: QuerySet | None = None) -> QuerySet:
    """Every encounter with its admit and discharge dates (discharge is None while open).

    SELECT encounter_id, patient_id, admit_date, discharge_date FROM PatientEncounter
    """
    return (
        _encounters(patients)
        .order_by("admitted_at", "pk")
        .values(
            "pk",
            "patient_id",
            "patient__mrn",
            "encounter_class",
            "admitted_at",
            "discharged_at",
        )
    )


def sanctioned_amount_per_encounter(*, patients: QuerySet | None = None) -> QuerySet:
    """Total sanctioned (payer-approved) claim amount per encounter that has bills.

    SELECT encounter_id, SUM(sanctioned_amount) FROM Billing GROUP BY encounter_id
    """
    return (
        Bill.objects.filter(encounter__in=_encounters(patients))
        .values("encounter_id")
        .annotate(total_sanctioned=Sum("sanctioned_amount"), bills=Count("pk"))
        .order_by("encounter_id")
    )


def distinct_diagnosis_code_count(*, patients: QuerySet | None = None) -> int:
    """How many different diagnosis codes (code system + code) have been recorded.

    SELECT COUNT(DISTINCT diagnosis_code) FROM Diagnosis
    """
    return (
        Diagnosis.objects.filter(encounter__in=_encounters(patients))
        .aggregate(codes=Count("condition", distinct=True))["codes"]
    )


def patients_diagnosed_with(condition: str, *, patients: QuerySet | None = None) -> QuerySet:
    """Patients with a diagnosis whose condition name or code is `condition` (any case).

    SELECT * FROM Patient WHERE patient_id IN
        (SELECT patient_id FROM Diagnosis WHERE diagnosis_name = 'Hypertension')
    """
    diagnosed = Diagnosis.objects.filter(
        Q(condition__name__iexact=condition) | Q(condition__code__iexact=condition),
        encounter__in=_encounters(patients),
    ).values("encounter__patient_id")
    return Patient.objects.filter(pk__in=diagnosed).order_by("last_name", "first_name", "pk")


def patients_with_emergency_contact_count(*, patients: QuerySet | None = None) -> int:
    """How many patients have at least one emergency contact.

    SELECT COUNT(DISTINCT patient_id) FROM PatientEmergencyContact
    """
    with_contact = EmergencyContact.objects.values("patient_id")
    return Patient.objects.filter(pk__in=_scope(patients)).filter(pk__in=with_contact).count()


def medications_by_price(*, patients: QuerySet | None = None) -> QuerySet:
    """Medications, highest unit price first. Without a scope, the whole formulary;
    with one, the medications prescribed to those patients.

    SELECT * FROM MedicationDetails ORDER BY price DESC
    """
    medications = Medication.objects.all()
    if patients is not None:
        medications = medications.filter(
            prescriptions__deleted_at__isnull=True,
            prescriptions__encounter__in=_encounters(patients),
        ).distinct()
    return medications.order_by("-unit_price", "name")


def emergency_contacts_by_last_name(*, patients: QuerySet | None = None) -> QuerySet:
    """Emergency contacts sorted by last name (then first name), with their patient.

    SELECT * FROM PatientEmergencyContact ORDER BY last_name
    """
    return (
        EmergencyContact.objects.filter(patient__in=_scope(patients))
        .select_related("patient")
        .order_by("last_name", "first_name", "pk")
    )
