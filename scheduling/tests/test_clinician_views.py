"""The clinician's scheduling views: starting a visit, and their own schedule as .ics."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from access.models import AccessLog
from patients.models import CareAssignment, Encounter
from patients.tests.factories import PatientFactory
from providers.tests.factories import DepartmentFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

MY_CALENDAR = reverse("scheduling:my_calendar")


def today_at(hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


def start_url(appointment) -> str:
    return reverse("scheduling:start_visit", kwargs={"pk": appointment.pk})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def clinic():
    return DepartmentFactory(name="Cardiology clinic")


@pytest.fixture
def arrived(attending_doctor, front_desk, clinic):
    """A new patient (not on any care team yet) checked in for the doctor this morning."""
    appointment = AppointmentFactory(
        patient=PatientFactory(first_name="Mary", last_name="Shelley"),
        provider=attending_doctor.provider,
        department=clinic,
        starts_at=today_at(9),
    )
    return services.appointment_check_in(appointment=appointment, by=front_desk)


@pytest.fixture
def video_visit(attending_doctor, clinic):
    return AppointmentFactory(
        patient=PatientFactory(first_name="Charles", last_name="Babbage"),
        provider=attending_doctor.provider,
        department=clinic,
        starts_at=today_at(10),
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/4711",
    )


# start_visit ---------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, arrived):
    response = client.post(start_url(arrived))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_a_get(client, attending_doctor, arrived):
    client.force_login(attending_doctor)

    assert client.get(start_url(arrived)).status_code == 405
    arrived.refresh_from_db()
    assert arrived.status == Appointment.Status.ARRIVED


def test_it_answers_404_to_a_clinician_who_may_not_see_the_appointment(
    client, doctor_elsewhere, arrived
):
    client.force_login(doctor_elsewhere)

    assert client.post(start_url(arrived)).status_code == 404


@pytest.mark.parametrize("persona", ["ward_nurse", "front_desk"])
def test_it_refuses_who_sees_the_appointment_but_is_not_its_provider(
    request, client, patient_record, attending_doctor, front_desk, clinic, persona
):
    appointment = AppointmentFactory(
        patient=patient_record, provider=attending_doctor.provider, department=clinic
    )
    client.force_login(request.getfixturevalue(persona))

    assert client.post(start_url(appointment)).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_it_starts_the_visit_of_an_arrived_patient_and_opens_the_chart_at_it(
    client, attending_doctor, arrived
):
    client.force_login(attending_doctor)

    response = client.post(start_url(arrived))

    arrived.refresh_from_db()
    encounter = arrived.encounter
    assert arrived.status == Appointment.Status.IN_PROGRESS and arrived.started_at
    chart = reverse("patients:chart", kwargs={"pk": arrived.patient.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{chart}#encounter-{encounter.pk}-heading"
    (message,) = messages_of(response)
    assert message.startswith(f"Visit started: record into encounter {encounter}")
    page = client.get(chart)
    assert page.status_code == 200
    assert "Shelley" in page.content.decode()


def test_it_checks_in_a_video_visit_as_it_starts(client, attending_doctor, video_visit):
    client.force_login(attending_doctor)

    response = client.post(start_url(video_visit))

    video_visit.refresh_from_db()
    encounter = video_visit.encounter
    assert video_visit.status == Appointment.Status.IN_PROGRESS
    assert video_visit.arrived_at is not None
    assert encounter.encounter_class == Encounter.EncounterClass.VIRTUAL and encounter.is_open
    assert CareAssignment.objects.filter(
        encounter=encounter, provider=attending_doctor.provider, ended_at__isnull=True
    ).exists()
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_it_refuses_to_start_before_the_patient_is_checked_in(client, attending_doctor, clinic):
    appointment = AppointmentFactory(
        provider=attending_doctor.provider, department=clinic, starts_at=today_at(11)
    )
    client.force_login(attending_doctor)

    response = client.post(start_url(appointment), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "The visit was not started: The patient has not been checked in yet." in (
        response.content.decode()
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.encounter is None


def test_it_refuses_to_start_a_visit_twice(client, attending_doctor, arrived):
    client.force_login(attending_doctor)
    client.post(start_url(arrived))

    response = client.post(start_url(arrived))

    assert response["Location"] == reverse("home")
    assert any("cannot become in progress" in message for message in messages_of(response))


def test_it_answers_404_to_a_bad_id(client, attending_doctor):
    client.force_login(attending_doctor)

    assert client.post("/schedule/appointments/999999/start/").status_code == 404


# my_calendar ---------------------------------------------------------------------------------


def events_of(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_it_sends_anonymous_visitors_to_sign_in_for_the_calendar(client):
    response = client.get(MY_CALENDAR)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_a_post_to_the_calendar(client, attending_doctor):
    client.force_login(attending_doctor)

    assert client.post(MY_CALENDAR).status_code == 405


@pytest.mark.parametrize("persona", ["front_desk", "administrator", "patient_user", "outsider"])
def test_it_refuses_the_calendar_to_who_has_no_provider(request, client, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(MY_CALENDAR).status_code == 403


def test_it_exports_exactly_the_providers_own_appointments(
    client, attending_doctor, doctor_elsewhere, clinic
):
    own = attending_doctor.provider
    tomorrow = today_at(9) + timedelta(days=1)
    booked = AppointmentFactory(
        provider=own,
        department=clinic,
        starts_at=tomorrow,
        patient__first_name="Mary",
        patient__last_name="Shelley",
    )
    video = AppointmentFactory(
        provider=own,
        department=clinic,
        starts_at=tomorrow + timedelta(hours=1),
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/1",
        kind=Appointment.Kind.CHECKUP,
    )
    cancelled = AppointmentFactory(
        provider=own,
        department=clinic,
        starts_at=tomorrow + timedelta(hours=2),
        status=Appointment.Status.CANCELLED,
    )
    AppointmentFactory(provider=own, department=clinic, starts_at=tomorrow + timedelta(days=130))
    AppointmentFactory(provider=own, department=clinic, starts_at=tomorrow - timedelta(days=3))
    AppointmentFactory(provider=doctor_elsewhere.provider, department=clinic, starts_at=tomorrow)
    client.force_login(attending_doctor)

    response = client.get(MY_CALENDAR)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith('attachment; filename="phms-schedule-')
    assert response["Content-Disposition"].endswith('.ics"')
    assert "no-store" in response["Cache-Control"]
    events = events_of(response)
    assert set(events) == {
        f"appointment-{row.pk}@appointments.phms" for row in (booked, video, cancelled)
    }
    first = events[f"appointment-{booked.pk}@appointments.phms"]
    assert first["DTSTART"].dt == booked.starts_at
    assert first["DTSTART"].to_ical().endswith(b"Z")  # written in UTC
    assert first["DTEND"].dt == booked.ends_at
    assert str(first["SUMMARY"]) == "Follow-up: Mary Shelley"
    assert str(first["LOCATION"]) == "Cardiology clinic"
    assert str(first["STATUS"]) == "CONFIRMED"
    second = events[f"appointment-{video.pk}@appointments.phms"]
    assert str(second["LOCATION"]) == "https://video.example.org/room/1"
    assert str(second["SUMMARY"]).startswith("Check-up: ")
    assert str(events[f"appointment-{cancelled.pk}@appointments.phms"]["STATUS"]) == "CANCELLED"


def test_it_logs_the_export_naming_each_patient(client, ward_nurse, clinic):
    appointments = [
        AppointmentFactory(
            provider=ward_nurse.provider,
            department=clinic,
            starts_at=today_at(9) + timedelta(days=day),
        )
        for day in (1, 2)
    ]
    client.force_login(ward_nurse)

    assert client.get(MY_CALENDAR).status_code == 200

    entry = AccessLog.objects.get(section=AccessLog.Section.EXPORT)
    assert entry.user == ward_nurse
    assert set(entry.patients_shown.values_list("pk", flat=True)) == {
        appointment.patient_id for appointment in appointments
    }


def test_it_exports_an_empty_calendar_and_logs_no_patient(client, doctor_elsewhere):
    client.force_login(doctor_elsewhere)

    response = client.get(MY_CALENDAR)

    assert response.status_code == 200
    assert events_of(response) == {}
    assert not AccessLog.objects.filter(section=AccessLog.Section.EXPORT).exists()


def test_it_reads_the_calendar_in_as_many_queries_for_ten_appointments_as_for_one(
    client, attending_doctor, clinic
):
    def book(hours):
        for hour in hours:
            AppointmentFactory(
                provider=attending_doctor.provider,
                department=clinic,
                starts_at=today_at(hour) + timedelta(days=1),
            )

    def calendar_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MY_CALENDAR).status_code == 200
        return len(captured.captured_queries)

    book([8])
    client.force_login(attending_doctor)
    calendar_queries()
    one = calendar_queries()
    book(range(9, 18))

    assert len(events_of(client.get(MY_CALENDAR))) == 10
    assert calendar_queries() == one
