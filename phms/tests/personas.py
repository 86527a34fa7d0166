"""The shared personas every test module uses, as plain builder functions.

`phms.tests.fixtures` wraps them as pytest fixtures; call these directly when a test
needs a second persona of the same kind.
"""

from decimal import Decimal

from django.contrib.auth.models import Group

from access.roles import Role
from access.services import roles_setup
from billing.tests.factories import BillFactory, BillLineFactory
from patients.models import CareAssignment
from patients.services import care_assignment_create
from patients.tests.factories import (
    ConditionFactory,
    DiagnosisFactory,
    EmergencyContactFactory,
    EncounterFactory,
    LabResultFactory,
    MedicationFactory,
    PatientFactory,
    PrescriptionFactory,
    SymptomFactory,
    VitalSignsFactory,
)
from providers.tests.factories import DoctorFactory, NurseFactory, SpecialtyFactory, UserFactory


def ensure_roles() -> None:
    """Role groups with their permissions exist (idempotent)."""
    # The groups come from a migration; their permissions only from roles_setup.
    if not Group.objects.filter(name=Role.DOCTOR.value, permissions__isnull=False).exists():
        roles_setup()


def user_with_role(role: Role | None, *, username: str, **fields):
    """A login holding `role` (None: an outsider with no role)."""
    ensure_roles()
    user = UserFactory(username=username, **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def doctor_user(*, username: str, specialty: str = "Cardiology"):
    """A doctor login; `user.provider` is the Doctor."""
    user = user_with_role(Role.DOCTOR, username=username)
    DoctorFactory(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        specialty=SpecialtyFactory(name=specialty),
    )
    return user


def nurse_user(*, username: str, ward: str = "Ward 3B"):
    """A nurse login; `user.provider` is the Nurse."""
    user = user_with_role(Role.NURSE, username=username)
    NurseFactory(user=user, first_name=user.first_name, last_name=user.last_name, ward=ward)
    return user


def patient_chart(**patient_fields):
    """A patient with an emergency contact and one open encounter holding vitals, a symptom,
    a Hypertension diagnosis, a lab result, a prescription and a bill with one line."""
    patient = PatientFactory(**patient_fields)
    EmergencyContactFactory(patient=patient)
    encounter = EncounterFactory(patient=patient, reason="Chest pain")
    VitalSignsFactory(encounter=encounter)
    SymptomFactory(encounter=encounter, description="Chest pain")
    DiagnosisFactory(encounter=encounter, condition=ConditionFactory())
    LabResultFactory(encounter=encounter)
    PrescriptionFactory(
        encounter=encounter,
        medication=MedicationFactory(
            code="197361", name="Amlodipine 5 MG Oral Tablet", unit_price=Decimal("0.50")
        ),
    )
    bill = BillFactory(encounter=encounter)
    BillLineFactory(bill=bill)
    return patient


def open_encounter(patient):
    return patient.encounters.filter(discharged_at__isnull=True).order_by("-admitted_at").first()


def put_on_care_team(user, patient, role=CareAssignment.Role.ATTENDING):
    """Assign the user's provider to the patient's open encounter (this grants access)."""
    return care_assignment_create(
        encounter=open_encounter(patient), provider=user.provider, role=role
    )


def proxy_login(patient, *, username: str, ends_on=None, relationship="parent"):
    """A portal login with no record of its own and proxy access to `patient` (a parent)."""
    import datetime as dt

    from django.utils import timezone

    from portal.models import ProxyAccess

    user = user_with_role(Role.PATIENT, username=username)
    ProxyAccess.objects.create(
        proxy=user,
        patient=patient,
        relationship=relationship,
        ends_on=ends_on or timezone.localdate() + dt.timedelta(days=365),
        granted_by=user_with_role(Role.FRONT_DESK, username=f"{username}.granter"),
    )
    return user


def patient_login(patient, *, username: str):
    """A portal login in the patient group, linked to `patient`."""
    user = user_with_role(
        Role.PATIENT,
        username=username,
        first_name=patient.first_name,
        last_name=patient.last_name,
    )
    patient.user = user
    patient.save(update_fields=["user"])
    return user
