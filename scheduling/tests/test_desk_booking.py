"""Booking, the appointment page, rescheduling and cancelling."""

from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling import services
from scheduling.models import Appointment, AppointmentRequest
from scheduling.tests.factories import AppointmentRequestFactory, WorkingHoursFactory
from scheduling.tests.test_booking import at, next_weekday

pytestmark = pytest.mark.django_db

TUESDAY = 1


@pytest.fixture
def clinic():
    """Dr. Okafor works Tuesdays 08:00-12:00 in the cardiology clinic, 15-minute slots."""
    department = DepartmentFactory(name="Cardiology clinic")
    doctor = DoctorFactory(first_name="Ngozi", last_name="Okafor", department=department)
    WorkingHoursFactory(provider=doctor, department=department, weekday=TUESDAY)
    return department, doctor


@pytest.fixture
def tuesday():
    return next_weekday(TUESDAY)


def book_url(**query):
    url = reverse("scheduling:book")
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def signed_in(client, user):
    client.force_login(user)
    return client


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def booked(clinic, patient, starts_at, by, **options):
    department, doctor = clinic
    return services.appointment_book(
        patient=patient,
        provider=doctor,
        department=department,
        starts_at=starts_at,
        by=by,
        **options,
    )


# book --------------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_sign_in_from_booking(client):
    assert client.get(book_url()).status_code == 302


def test_it_refuses_another_method_to_booking(client, front_desk):
    assert signed_in(client, front_desk).put(book_url()).status_code == 405


def test_it_refuses_booking_to_a_doctor(client, attending_doctor, patient_record):
    response = signed_in(client, attending_doctor).get(book_url(patient=patient_record.pk))
    assert response.status_code == 403


def test_it_answers_404_to_an_unknown_patient(client, front_desk):
    assert signed_in(client, front_desk).get(book_url(patient=999999)).status_code == 404
    assert client.get(book_url(patient="abc")).status_code == 404


def test_it_asks_the_clerk_to_find_the_patient_first(client, front_desk):
    html = signed_in(client, front_desk).get(book_url()).content.decode()
    assert "find the patient in the patient directory" in html
    assert reverse("patients:list") in html


def test_it_prefills_a_slot_from_the_schedule_and_offers_the_free_times(
    client, front_desk, clinic, patient_record, tuesday
):
    department, doctor = clinic
    start = quote(at(tuesday, 9, 15).isoformat())
    url = book_url(patient=patient_record.pk, provider=doctor.pk, department=department.pk)
    html = signed_in(client, front_desk).get(f"{url}&start={start}").content.decode()
    assert "Book an appointment: Ada Lovelace" in html
    assert '<option value="09:15" selected>09:15</option>' in html
    assert '<option value="08:00">08:00</option>' in html
    assert "16 free times." in html
    assert f'value="{tuesday:%Y-%m-%d}"' in html


def test_it_refreshes_the_free_times_with_htmx(client, front_desk, clinic, patient_record, tuesday):
    department, doctor = clinic
    booked(clinic, patient_record, at(tuesday, 8), front_desk)
    url = book_url(
        patient=patient_record.pk, department=department.pk, provider=doctor.pk, day=tuesday
    )
    body = signed_in(client, front_desk).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body and 'id="booking-when"' in body
    assert '<option value="08:00">' not in body  # taken
    assert '<option value="08:15">08:15</option>' in body


def test_it_says_a_time_in_the_link_was_not_understood(client, front_desk, patient_record):
    response = signed_in(client, front_desk).get(
        book_url(patient=patient_record.pk, start="tomorrow-ish")
    )
    assert response.status_code == 200
    assert "The time in the link was not understood" in response.content.decode()


def test_it_books_and_says_so_on_the_appointment_page(
    client, front_desk, clinic, patient_record, tuesday
):
    department, doctor = clinic
    response = signed_in(client, front_desk).post(
        book_url(patient=patient_record.pk),
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "09:30",
            "kind": Appointment.Kind.NEW_PATIENT,
            "mode": Appointment.Mode.IN_PERSON,
            "reason": "Palpitations",
        },
        follow=True,
    )
    appointment = Appointment.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "scheduling:appointment", kwargs={"pk": appointment.pk}
    )
    html = response.content.decode()
    assert f"Booked: Ada Lovelace with Dr. Ngozi Okafor, {tuesday:%A %Y-%m-%d} 09:30." in html
    assert appointment.starts_at == at(tuesday, 9, 30)
    assert appointment.booked_by == front_desk
    assert "Palpitations" in html


def test_it_keeps_the_input_and_says_why_a_time_cannot_be_booked(
    client, front_desk, clinic, patient_record, tuesday
):
    department, doctor = clinic
    response = signed_in(client, front_desk).post(
        book_url(patient=patient_record.pk),
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "13:00",
            "kind": Appointment.Kind.FOLLOW_UP,
            "mode": Appointment.Mode.IN_PERSON,
            "reason": "Keep this reason",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "does not work in Cardiology clinic" in html
    assert "is-invalid" in html
    assert "Keep this reason" in html
    assert not Appointment.objects.exists()


def test_it_asks_for_the_meeting_link_of_a_video_visit(
    client, front_desk, clinic, patient_record, tuesday
):
    department, doctor = clinic
    response = signed_in(client, front_desk).post(
        book_url(patient=patient_record.pk),
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "09:00",
            "kind": Appointment.Kind.FOLLOW_UP,
            "mode": Appointment.Mode.VIDEO,
        },
    )
    assert "needs the meeting link" in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_books_a_portal_request_and_marks_it_booked(
    client, front_desk, clinic, patient_record, tuesday
):
    department, doctor = clinic
    wish = AppointmentRequestFactory(
        patient=patient_record, department=department, provider=doctor, earliest_on=tuesday
    )
    signed_in(client, front_desk)
    url = book_url(patient=patient_record.pk, request=wish.pk)
    html = client.get(url).content.decode()
    assert "Knee pain for two weeks" in html
    assert f'value="{tuesday:%Y-%m-%d}"' in html
    client.post(
        url,
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "10:00",
            "kind": Appointment.Kind.FOLLOW_UP,
            "mode": Appointment.Mode.IN_PERSON,
            "reason": wish.reason,
        },
    )
    wish.refresh_from_db()
    assert wish.status == AppointmentRequest.Status.BOOKED
    assert wish.appointment == Appointment.objects.get()


def test_it_answers_404_to_a_request_of_another_patient(
    client, front_desk, patient_record, other_patient_record
):
    wish = AppointmentRequestFactory(patient=other_patient_record)
    url = book_url(patient=patient_record.pk, request=wish.pk)
    assert signed_in(client, front_desk).get(url).status_code == 404


# appointment_detail ------------------------------------------------------------------------


def detail_url(appointment):
    return reverse("scheduling:appointment", kwargs={"pk": appointment.pk})


def test_it_shows_the_front_desk_an_appointment_with_its_actions_and_history(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), front_desk, reason="Chest pain")
    response = signed_in(client, front_desk).get(detail_url(appointment))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html and "Dr. Ngozi Okafor" in html
    assert f"{tuesday:%A %Y-%m-%d}, 09:00–09:15" in html
    for action in ("Reschedule", "Cancel", "Check in"):
        assert action in html
    assert "Start visit" not in html
    clerk = front_desk.get_full_name() or front_desk.get_username()
    assert f'Booked <span class="text-body-secondary">by {clerk}</span>' in html


def test_it_offers_the_appointments_doctor_to_start_the_visit_once_arrived(
    client, front_desk, patient_record, attending_doctor, tuesday
):
    department = DepartmentFactory()
    WorkingHoursFactory(provider=attending_doctor.provider, department=department, weekday=TUESDAY)
    appointment = services.appointment_book(
        patient=patient_record,
        provider=attending_doctor.provider,
        department=department,
        starts_at=at(tuesday, 9),
        by=front_desk,
    )
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.ARRIVED)
    html = signed_in(client, attending_doctor).get(detail_url(appointment)).content.decode()
    assert reverse("scheduling:start_visit", kwargs={"pk": appointment.pk}) in html
    assert "Open the chart" in html
    assert "Reschedule" not in html and "Check in" not in html


def test_it_shows_the_meeting_link_of_a_video_visit_and_no_check_in(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(
        clinic,
        patient_record,
        at(tuesday, 9),
        front_desk,
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://meet.example.org/ada",
    )
    html = signed_in(client, front_desk).get(detail_url(appointment)).content.decode()
    assert 'href="https://meet.example.org/ada"' in html
    assert ">Check in<" not in html


def test_it_hides_an_appointment_from_an_outsider(
    client, outsider, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert signed_in(client, outsider).get(detail_url(appointment)).status_code == 404


def test_it_refuses_the_staff_page_to_the_patient(
    client, patient_user, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert signed_in(client, patient_user).get(detail_url(appointment)).status_code == 403


def test_it_refuses_a_post_to_the_appointment_page(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert signed_in(client, front_desk).post(detail_url(appointment)).status_code == 405


def test_it_answers_404_to_a_bad_appointment_id(client, front_desk):
    assert signed_in(client, front_desk).get("/schedule/appointments/99999999/").status_code == 404


# reschedule --------------------------------------------------------------------------------


def reschedule_url(appointment):
    return reverse("scheduling:reschedule", kwargs={"pk": appointment.pk})


def test_it_moves_an_appointment(client, front_desk, clinic, patient_record, tuesday):
    department, doctor = clinic
    appointment = booked(clinic, patient_record, at(tuesday, 9), front_desk)
    signed_in(client, front_desk)
    assert (
        '<option value="09:00" selected>'
        in client.get(reschedule_url(appointment)).content.decode()
    )
    response = client.post(
        reschedule_url(appointment),
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "11:00",
        },
        follow=True,
    )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(tuesday, 11)
    assert "Moved: Ada Lovelace with Dr. Ngozi Okafor" in response.content.decode()
    assert "Moved to" in response.content.decode()  # the history says so


def test_it_keeps_the_appointment_when_the_new_time_is_taken(
    client, front_desk, clinic, patient_record, other_patient_record, tuesday
):
    department, doctor = clinic
    appointment = booked(clinic, patient_record, at(tuesday, 9), front_desk)
    booked(clinic, other_patient_record, at(tuesday, 10), front_desk)
    response = signed_in(client, front_desk).post(
        reschedule_url(appointment),
        {
            "department": department.pk,
            "provider": doctor.pk,
            "day": f"{tuesday:%Y-%m-%d}",
            "time": "10:00",
        },
    )
    assert "already has an appointment from 10:00 to 10:15" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == at(tuesday, 9)


def test_it_refuses_rescheduling_to_a_doctor(
    client, attending_doctor, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert signed_in(client, attending_doctor).get(reschedule_url(appointment)).status_code == 403


def test_it_hides_rescheduling_from_a_doctor_elsewhere(
    client, doctor_elsewhere, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert signed_in(client, doctor_elsewhere).get(reschedule_url(appointment)).status_code == 404


def test_it_says_only_a_booked_appointment_can_be_moved(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    services.appointment_cancel(appointment=appointment, by=front_desk, reason="Ill")
    response = signed_in(client, front_desk).get(reschedule_url(appointment), follow=True)
    assert "Only a booked appointment can be moved." in response.content.decode()


# cancel ------------------------------------------------------------------------------------


def cancel_url(appointment):
    return reverse("scheduling:cancel", kwargs={"pk": appointment.pk})


def test_it_asks_for_the_reason_of_a_cancellation(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    signed_in(client, front_desk)
    assert "Cancel the appointment of" in client.get(cancel_url(appointment)).content.decode()
    response = client.post(cancel_url(appointment), {"reason": ""})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_it_cancels_with_a_reason(client, front_desk, clinic, patient_record, tuesday):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    response = signed_in(client, front_desk).post(
        cancel_url(appointment), {"reason": "The patient phoned: travelling"}, follow=True
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancelled_by == front_desk
    html = response.content.decode()
    assert "Cancelled: Ada Lovelace with Dr. Ngozi Okafor" in html
    assert "Cancelled: The patient phoned: travelling" in html  # the history line


def test_it_says_a_cancelled_appointment_cannot_be_cancelled_again(
    client, front_desk, clinic, patient_record, tuesday
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    services.appointment_cancel(appointment=appointment, by=front_desk, reason="Ill")
    response = signed_in(client, front_desk).post(cancel_url(appointment), {"reason": "Again"})
    assert "cannot become cancelled" in response.content.decode()


def test_it_refuses_cancelling_to_a_nurse(client, ward_nurse, clinic, patient_record, tuesday):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    assert (
        signed_in(client, ward_nurse).post(cancel_url(appointment), {"reason": "x"}).status_code
        == 403
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_it_shows_times_in_local_time(
    client, front_desk, clinic, patient_record, tuesday, settings
):
    appointment = booked(clinic, patient_record, at(tuesday, 9), None)
    html = signed_in(client, front_desk).get(detail_url(appointment)).content.decode()
    assert f"{timezone.localtime(appointment.starts_at):%H:%M}" == "09:00"
    assert "09:00–09:15" in html
