"""seed_demo: a coherent, deterministic demo hospital with one working login per role."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from access.roles import Role, roles_of
from billing.models import Bill
from demo.hospital import DEMO_LOGINS, DEMO_PASSWORD, DOCTOR_TEAM_SIZE, NURSE_TEAM_SIZE
from patients.models import (
    CareAssignment,
    Diagnosis,
    Encounter,
    LabResult,
    Patient,
    Prescription,
    VitalSigns,
)
from providers.models import Department, HealthcareProvider
from scheduling.models import Appointment, WorkingHours
from scheduling.selectors import my_day, upcoming_for_patient
from scheduling.services import booking_refusal, patient_cancel_refusal

PATIENTS = 24
AS_OF = "2025-06-30"


def seed(*extra: str, patients: int = PATIENTS, seed_value: int = 7) -> str:
    out = StringIO()
    call_command(
        "seed_demo",
        "--patients",
        str(patients),
        "--seed",
        str(seed_value),
        "--as-of",
        AS_OF,
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def fingerprint() -> str:
    """A hash of who and what was seeded (never database ids, which may differ)."""
    digest = hashlib.sha256()
    for row in Patient.objects.order_by("mrn").values_list(
        "mrn", "first_name", "last_name", "date_of_birth", "sex", "state", "ssn_last4"
    ):
        digest.update(repr(row).encode())
    for row in Encounter.objects.order_by("patient__mrn", "admitted_at").values_list(
        "patient__mrn", "encounter_class", "admitted_at", "discharged_at", "reason_code"
    ):
        digest.update(repr(row).encode())
    for row in Bill.objects.order_by("patient__mrn", "issued_on", "total_amount").values_list(
        "patient__mrn",
        "status",
        "total_amount",
        "sanctioned_amount",
        "insurance_paid",
        "patient_paid",
        "adjusted",
    ):
        digest.update(repr(row).encode())
    for model in (Diagnosis, LabResult, Prescription, VitalSigns, CareAssignment):
        digest.update(f"{model.__name__}={model.objects.count()}".encode())
    return digest.hexdigest()


class _Rollback(Exception):
    pass


def fingerprint_of_fresh_seed(seed_value: int) -> str:
    """Seed into an empty database, fingerprint it, and roll it all back."""
    assert not Patient.all_objects.exists()
    result = ""
    try:
        with transaction.atomic():
            seed(seed_value=seed_value)
            result = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    return result


@pytest.mark.django_db(transaction=False)
def test_it_is_deterministic_for_a_seed():
    first = fingerprint_of_fresh_seed(7)
    second = fingerprint_of_fresh_seed(7)
    other = fingerprint_of_fresh_seed(8)
    assert first == second
    assert first != other


@pytest.fixture
def demo(db):
    return seed()


def test_it_builds_a_coherent_population(demo):
    assert Patient.objects.count() == PATIENTS
    assert "Seeded 24 patients" in demo
    assert set(Bill.objects.values_list("status", flat=True)) == set(Bill.Status.values)
    codes = set(Diagnosis.objects.values_list("condition__code", flat=True))
    assert {"I10", "U07.1"} <= codes
    names = set(Diagnosis.objects.values_list("condition__name", flat=True))
    assert {"Hypertension", "COVID-19"} <= names
    assert {"CA", "MA"} & set(Patient.objects.values_list("state", flat=True))
    assert LabResult.objects.exclude(lab_test__loinc_code="").count() == LabResult.objects.count()
    assert LabResult.objects.exclude(abnormal_flag=LabResult.Flag.NORMAL).exists()
    assert all(patient.ssn_last4 and patient.reveal_ssn() for patient in Patient.objects.all())
    # Today's check-ins open encounters as the front desk does: billed once the visit is over.
    checked_in = Encounter.objects.filter(appointments__isnull=False)
    assert checked_in.exists()
    for encounter in Encounter.objects.exclude(pk__in=checked_in):
        assert encounter.bills.count() == 1
        assert encounter.care_assignments.filter(role="attending").exists()
    for encounter in checked_in:
        assert not encounter.bills.exists() and encounter.is_open
        assert encounter.care_assignments.exists()
    for bill in Bill.objects.all():
        assert bill.total_amount == sum(line.amount for line in bill.lines.all())
    # Each seeded row has its "created" history record.
    assert Patient.history.filter(history_type="+").count() == PATIENTS
    assert Encounter.history.count() == Encounter.objects.count()
    bill = Bill.objects.order_by("pk").last()
    created = bill.history.get()
    assert (created.history_type, created.total_amount, created.status) == (
        "+",
        bill.total_amount,
        bill.status,
    )
    assert created.instance.encounter == bill.encounter


def test_it_writes_rows_that_pass_model_validation(demo):
    models = (Patient, Encounter, VitalSigns, Diagnosis, LabResult, Prescription, Bill)
    for model in (*models, Department, WorkingHours, Appointment):
        for row in model.objects.all():
            row.full_clean()


def test_it_gives_every_role_a_login_that_signs_in(demo, client):
    users = {
        spec.role: get_user_model().objects.get(username=spec.username) for spec in DEMO_LOGINS
    }
    assert set(users) == set(Role)
    assert users[Role.ADMINISTRATOR].check_password(DEMO_PASSWORD)
    for role, user in users.items():
        assert roles_of(user) == {role}
        client.force_login(user)
        assert client.get(reverse("home"), follow=True).status_code == 200, role


def test_it_puts_the_demo_clinicians_on_care_teams(demo):
    doctor = get_user_model().objects.get(username="doctor")
    nurse = get_user_model().objects.get(username="nurse")
    patient = get_user_model().objects.get(username="patient")
    assert doctor.provider.specialty.name == "Cardiology"
    assert Patient.objects.visible_to(doctor).count() == min(DOCTOR_TEAM_SIZE, PATIENTS)
    assert Patient.objects.visible_to(nurse).count() == NURSE_TEAM_SIZE
    assert list(Patient.objects.visible_to(patient)) == [patient.patient]
    assert patient.patient in Patient.objects.visible_to(doctor)


def test_it_skips_a_database_that_has_patients_with_if_empty(demo):
    output = seed("--if-empty", "--print-logins")
    assert Patient.objects.count() == PATIENTS
    assert "demo data not seeded" in output
    assert DEMO_PASSWORD in output
    with pytest.raises(CommandError, match="already has 24 patient"):
        seed()


def test_it_prints_logins_without_seeding(db):
    out = StringIO()
    call_command("seed_demo", "--print-logins", stdout=out)
    assert "No demo logins" in out.getvalue()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--patients", "0", "at least 1"),
        ("--patients", "many", "not a whole number"),
        ("--seed", "x", "not a whole number"),
        ("--as-of", "30/06/2025", "YYYY-MM-DD"),
    ],
)
def test_it_rejects_bad_options_clearly(db, option, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", option, value, stdout=StringIO())
    assert not Patient.objects.exists()


def test_it_leaves_the_database_empty_when_seeding_fails(db, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("demo.hospital.demo_logins_create", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        seed()
    assert not Patient.all_objects.exists()
    assert not Encounter.history.exists()


# Schedules ---------------------------------------------------------------------------------


@pytest.fixture
def demo_today(db):
    """Seeded as of now (no --as-of): the appointments start today."""
    out = StringIO()
    call_command("seed_demo", "--patients", str(PATIENTS), "--seed", "3", stdout=out)
    return out.getvalue()


def test_it_gives_the_demo_doctor_a_day_to_work_with_patients_arrived(demo_today, client):
    doctor = get_user_model().objects.get(username="doctor")

    today = my_day(doctor)

    arrived = [a for a in today if a.status == Appointment.Status.ARRIVED]
    assert len(arrived) == 3 and today[:3] == arrived  # arrived patients first
    for appointment in arrived:
        assert appointment.encounter.is_open
        assert appointment.patient in Patient.objects.visible_to(doctor)
        assert appointment.encounter.care_assignments.filter(
            provider=doctor.provider, ended_at__isnull=True
        ).exists()
    client.force_login(doctor)
    page = client.get(reverse("home")).content.decode()
    assert page.count("Start visit") >= 3
    nurse = get_user_model().objects.get(username="nurse")
    assert any(a.status == Appointment.Status.ARRIVED for a in my_day(nurse))


def test_it_books_two_weeks_that_obey_the_booking_rules(demo_today):
    today = timezone.localdate()
    appointments = list(Appointment.objects.select_related("provider", "department"))
    assert len(appointments) > 50
    days = {timezone.localtime(a.starts_at).date() for a in appointments}
    assert min(days) == today and max(days) <= today + dt.timedelta(days=13)
    for appointment in appointments:
        refusal = booking_refusal(
            provider=appointment.provider,
            department=appointment.department,
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
        )
        assert refusal == "", refusal
        assert appointment.booked_by.username == "frontdesk"
    for key in ("provider_id", "patient_id"):
        taken = {}
        for appointment in sorted(appointments, key=lambda a: a.starts_at):
            previous = taken.get(getattr(appointment, key))
            assert previous is None or previous.ends_at <= appointment.starts_at, key
            taken[getattr(appointment, key)] = appointment
    assert Appointment.history.count() == len(appointments)


def test_it_puts_every_demo_provider_in_a_department_with_hours(demo_today):
    assert not HealthcareProvider.objects.filter(department__isnull=True).exists()
    for username in ("doctor", "nurse"):
        provider = get_user_model().objects.get(username=username).provider
        assert WorkingHours.objects.filter(provider=provider).count() == 12
    with_hours = WorkingHours.objects.values("provider_id").distinct().count()
    assert with_hours >= HealthcareProvider.objects.count() // 2


def test_it_books_a_video_visit_and_the_portal_records_upcoming_visits(demo_today):
    video = Appointment.objects.get(mode=Appointment.Mode.VIDEO)
    assert video.provider.user.username == "doctor"
    assert video.meeting_link.startswith("https://video.example.org/")
    patient = get_user_model().objects.get(username="patient").patient
    upcoming = list(upcoming_for_patient(patient))
    assert any(not patient_cancel_refusal(appointment) for appointment in upcoming)
