import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from core import documents
from patients.models import CareAssignment, Encounter, VitalSigns
from patients.notes import note_create
from patients.tests.factories import (
    AllergyFactory,
    EncounterFactory,
    PatientFactory,
    VitalSignsFactory,
)
from phms.tests import personas
from providers.tests.factories import DepartmentFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")


@pytest.fixture
def adult_patient_record(patient_record):
    """patient_record of a fixed adult age: NEWS2 is for adults, the factory's ages vary."""
    patient_record.date_of_birth = dt.date(1970, 1, 1)
    patient_record.save()
    return patient_record


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_post(client, attending_doctor):
    client.force_login(attending_doctor)

    assert client.post(HOME).status_code == 405


def test_it_shows_a_doctor_their_patients_open_encounters_and_notes(
    client, attending_doctor, patient_record, other_patient_record
):
    note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="Doing well today."
    )
    client.force_login(attending_doctor)

    response = client.get(HOME)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="my-patients"' in page and "Lovelace, Ada" in page
    assert "Turing" not in page
    assert 'data-testid="my-encounters"' in page and "Attending" in page
    assert "Doing well today." in page


def test_it_shows_a_nurse_only_notes_she_wrote(
    client, ward_nurse, attending_doctor, patient_record
):
    note_create(patient=patient_record, author=attending_doctor, kind="progress", text="By doc.")
    client.force_login(ward_nurse)

    page = client.get(HOME).content.decode()

    assert "Lovelace, Ada" in page and "Nursing" in page
    assert "By doc." not in page


def test_it_says_when_notes_are_unavailable(client, settings, attending_doctor, patient_record):
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    client.force_login(attending_doctor)

    response = client.get(HOME)

    assert response.status_code == 200
    assert "Notes are unavailable right now" in response.content.decode()
    assert "Lovelace, Ada" in response.content.decode()
    settings.MONGO_URL = ""
    documents.reset_clients()


def test_it_offers_front_desk_to_find_or_register_a_patient(client, front_desk):
    client.force_login(front_desk)

    page = client.get(HOME).content.decode()

    assert reverse("patients:list") in page
    assert reverse("patients:register") in page
    assert 'data-testid="my-patients"' not in page


def test_it_points_billing_to_the_bills(client, billing_clerk):
    client.force_login(billing_clerk)

    page = client.get(HOME).content.decode()

    assert reverse("billing:list") in page
    assert reverse("patients:list") not in page


# The ward list: patients on the user's care teams with an open encounter ----------------


def ward_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="ward-patient">.*?</tr>', page, flags=re.DOTALL)


def recorded_hours_ago(encounter, hours: float, **values):
    return VitalSignsFactory(
        encounter=encounter, recorded_at=timezone.now() - dt.timedelta(hours=hours), **values
    )


COMPLETE_SET = {
    "respiratory_rate": 22,
    "spo2": 95,
    "supplemental_oxygen": False,
    "systolic_bp": 120,
    "diastolic_bp": 80,
    "heart_rate": 70,
    "consciousness": VitalSigns.Consciousness.ALERT,
    "temperature_c": Decimal("37.0"),
}


def test_it_lists_a_nurses_patients_with_an_open_encounter(
    client, ward_nurse, adult_patient_record, other_patient_record
):
    encounter = adult_patient_record.encounters.get()
    EncounterFactory(patient=adult_patient_record, finished=True, reason="Old sprain")
    client.force_login(ward_nurse)

    rows = ward_rows(client.get(HOME).content.decode())

    assert len(rows) == 1
    row = rows[0]
    assert "Lovelace, Ada" in row and "Chest pain" in row and "Nursing" in row
    assert "Old sprain" not in row
    last = encounter.vital_signs.get().recorded_at
    assert f"{timezone.localtime(last):%Y-%m-%d %H:%M}" in row
    assert "Allergies not assessed" in row
    assert "Not available: no complete set" in row


def test_it_leaves_out_discharged_and_ended_assignments(client, ward_nurse, patient_record):
    encounter = patient_record.encounters.get()
    encounter.discharged_at = encounter.admitted_at + dt.timedelta(days=1)
    encounter.status = Encounter.Status.FINISHED
    encounter.save()
    client.force_login(ward_nurse)

    page = client.get(HOME).content.decode()

    assert ward_rows(page) == []
    assert "No open encounters assigned to you." in page


def test_it_shows_active_allergies_and_the_no_known_allergies_assertion(
    client, ward_nurse, patient_record
):
    second = personas.patient_chart(first_name="Grace", last_name="Hopper", mrn="MRN-NKA-0003")
    personas.put_on_care_team(ward_nurse, second, CareAssignment.Role.NURSING)
    AllergyFactory(patient=patient_record, description="Allergy to penicillin")
    AllergyFactory(
        patient=patient_record, description="Latex allergy", resolved_date=dt.date(2020, 1, 1)
    )
    AllergyFactory(patient=second, code="716186003", description="No known allergies")
    client.force_login(ward_nurse)

    ada, grace = ward_rows(client.get(HOME).content.decode())[::-1]

    assert "Hopper, Grace" in grace and "No known allergies" in grace
    assert "Lovelace, Ada" in ada and "<strong>Allergy to penicillin</strong>" in ada
    assert "Latex" not in ada


def test_it_shows_news2_of_the_latest_complete_set_with_its_band(
    client, ward_nurse, adult_patient_record
):
    encounter = adult_patient_record.encounters.get()
    complete = recorded_hours_ago(encounter, 2, **COMPLETE_SET)
    recorded_hours_ago(encounter, 1, heart_rate=80)
    client.force_login(ward_nurse)

    (row,) = ward_rows(client.get(HOME).content.decode())

    # respiration 22 scores 2, SpO2 95 scores 1.
    assert '<strong>3</strong> <span class="badge news2-low">Low</span>' in row
    assert f"set of {timezone.localtime(complete.recorded_at):%Y-%m-%d %H:%M}" in row


@pytest.mark.parametrize(("hours_ago", "due"), [(3.5, False), (4.5, True)])
def test_it_says_vitals_are_due_after_the_set_hours(
    client, settings, ward_nurse, patient_record, hours_ago, due
):
    settings.VITALS_DUE_AFTER_HOURS = 4
    recorded_hours_ago(patient_record.encounters.get(), hours_ago, heart_rate=72)
    client.force_login(ward_nurse)

    (row,) = ward_rows(client.get(HOME).content.decode())

    assert ("Vitals due" in row) is due


def test_it_says_vitals_are_due_when_none_were_recorded(client, ward_nurse, patient_record):
    VitalSigns.objects.filter(encounter__patient=patient_record).delete()
    client.force_login(ward_nurse)

    (row,) = ward_rows(client.get(HOME).content.decode())

    assert "None recorded" in row and "Vitals due" in row


def test_it_lists_the_ward_in_as_many_queries_for_ten_patients_as_for_two(
    client, ward_nurse, patient_record
):
    def add_patient(number):
        patient = personas.patient_chart(mrn=f"MRN-WARD-{number:04d}")
        personas.put_on_care_team(ward_nurse, patient, CareAssignment.Role.NURSING)
        encounter = patient.encounters.get()
        for hours in (1, 3, 5):
            recorded_hours_ago(encounter, hours, **COMPLETE_SET)
        AllergyFactory(patient=patient)

    def home_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured.captured_queries)

    add_patient(1)
    client.force_login(ward_nurse)
    home_queries()  # warm per-process caches (content types, etc.)
    two_patients = home_queries()
    for number in range(2, 10):
        add_patient(number)

    page = client.get(HOME).content.decode()
    assert len(ward_rows(page)) == 10
    assert home_queries() == two_patients


# My day: the clinician's appointments of today --------------------------------------------


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def my_day_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="my-day-appointment">.*?</tr>', page, flags=re.DOTALL)


@pytest.fixture
def clinic():
    return DepartmentFactory(name="Cardiology clinic")


def book_today(provider, clinic, hour, **fields):
    return AppointmentFactory(
        provider=provider, department=clinic, starts_at=today_at(hour), **fields
    )


def test_it_shows_a_doctor_their_day_with_arrived_patients_first(
    client, attending_doctor, front_desk, clinic
):

    doctor = attending_doctor.provider
    expected = book_today(
        doctor, clinic, 8, patient=PatientFactory(last_name="Early", mrn="MRN-DAY-0001")
    )
    video = book_today(
        doctor,
        clinic,
        9,
        patient=PatientFactory(last_name="Online", mrn="MRN-DAY-0002"),
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/77",
    )
    arrived = services.appointment_check_in(
        appointment=book_today(
            doctor, clinic, 11, patient=PatientFactory(last_name="Here", mrn="MRN-DAY-0003")
        ),
        by=front_desk,
    )
    walk_in = services.walk_in_check_in(
        patient=PatientFactory(last_name="Walker", mrn="MRN-DAY-0004"),
        provider=doctor,
        department=clinic,
        by=front_desk,
    )
    seeing = services.appointment_start(
        appointment=services.appointment_check_in(
            appointment=book_today(doctor, clinic, 10, patient=PatientFactory(last_name="Seen")),
            by=front_desk,
        ),
        by=attending_doctor,
    )
    book_today(doctor, clinic, 12, status=Appointment.Status.CANCELLED, patient__last_name="Gone")
    AppointmentFactory(
        provider=doctor,
        department=clinic,
        starts_at=today_at(9) + dt.timedelta(days=1),
        patient__last_name="Later",
    )
    client.force_login(attending_doctor)

    page = client.get(HOME).content.decode()

    assert 'data-testid="my-day"' in page
    rows = my_day_rows(page)
    assert [row for row in rows if "Gone" in row or "Later" in row] == []
    here, walker, seen, early, online = rows
    assert "Here, " in here and "MRN-DAY-0003" in here and "Arrived" in here
    assert f'action="{reverse("scheduling:start_visit", kwargs={"pk": arrived.pk})}"' in here
    assert "Walker" in walker and "Walk-in" in walker and "Start visit" in walker
    assert walk_in.status == Appointment.Status.ARRIVED
    chart = reverse("patients:chart", kwargs={"pk": seeing.patient.pk})
    assert f'href="{chart}#encounter-{seeing.encounter_id}-heading"' in seen
    assert "Open chart" in seen and "In progress" in seen and "Start visit" not in seen
    assert "08:00" in early and "Booked" in early and "Not checked in yet" in early
    assert "Start visit" not in early and expected.patient.mrn in early
    assert "Video visit" in online and 'href="https://video.example.org/room/77"' in online
    assert f'action="{reverse("scheduling:start_visit", kwargs={"pk": video.pk})}"' in online
    assert reverse("scheduling:provider_day", kwargs={"pk": doctor.pk}) in page
    assert reverse("scheduling:my_calendar") in page
    assert page.index('data-testid="my-day"') < page.index('data-testid="my-encounters"')


def test_it_says_when_the_day_has_no_appointments(client, ward_nurse):
    client.force_login(ward_nurse)

    page = client.get(HOME).content.decode()

    assert 'data-testid="my-day-empty"' in page and "No appointments today" in page


def test_it_shows_no_day_to_who_has_no_provider(client, front_desk):
    client.force_login(front_desk)

    assert 'data-testid="my-day"' not in client.get(HOME).content.decode()


def test_it_logs_my_day_naming_the_patients_shown(client, attending_doctor, clinic):

    appointment = book_today(attending_doctor.provider, clinic, 9)
    client.force_login(attending_doctor)

    client.get(HOME)

    entry = AccessLog.objects.get(section=AccessLog.Section.SCHEDULE)
    assert entry.user == attending_doctor and entry.detail == "my day"
    assert list(entry.patients_shown.values_list("pk", flat=True)) == [appointment.patient_id]


def test_it_shows_my_day_in_as_many_queries_for_twelve_appointments_as_for_one(
    client, attending_doctor, front_desk, clinic
):

    def home_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured.captured_queries)

    book_today(attending_doctor.provider, clinic, 8)
    client.force_login(attending_doctor)
    home_queries()
    one = home_queries()
    for hour in range(9, 20):
        appointment = book_today(attending_doctor.provider, clinic, hour)
        if hour % 2:
            services.appointment_check_in(appointment=appointment, by=front_desk)

    assert len(my_day_rows(client.get(HOME).content.decode())) == 12
    assert home_queries() == one
