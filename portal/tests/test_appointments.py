"""The portal's appointments: upcoming, past, requests to the front desk, cancelling."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling.models import Appointment, AppointmentRequest
from scheduling.selectors import open_requests
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentRequestFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

APPOINTMENTS = reverse("portal:appointments")
REQUEST = reverse("portal:appointment_request")


def cancel_url(appointment) -> str:
    return reverse("portal:appointment_cancel", kwargs={"appointment_pk": appointment.pk})


def withdraw_url(appointment_request) -> str:
    return reverse(
        "portal:appointment_request_withdraw", kwargs={"request_pk": appointment_request.pk}
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def in_hours(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def clinic():
    return DepartmentFactory(name="Cardiology clinic", organization__name="PHMS General")


@pytest.fixture
def doctor(clinic):
    doctor = DoctorFactory(first_name="Grace", last_name="Hopper", department=clinic)
    WorkingHoursFactory(provider=doctor, department=clinic)
    return doctor


@pytest.fixture
def booked(patient_record, doctor, clinic):
    return AppointmentFactory(
        patient=patient_record,
        provider=doctor,
        department=clinic,
        starts_at=in_hours(72),
        kind=Appointment.Kind.CHECKUP,
    )


# The appointments page -------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(APPOINTMENTS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["attending_doctor", "front_desk"])
def test_it_refuses_staff(request, client, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(APPOINTMENTS).status_code == 403
    assert client.get(REQUEST).status_code == 403


def test_it_refuses_a_post_to_the_page(portal):
    assert portal.post(APPOINTMENTS).status_code == 405


def test_it_shows_upcoming_past_and_requests(portal, patient_record, booked, doctor, clinic):
    video = AppointmentFactory(
        patient=patient_record,
        provider=doctor,
        department=clinic,
        starts_at=in_hours(100),
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/99",
    )
    AppointmentFactory(
        patient=patient_record,
        provider=doctor,
        department=clinic,
        starts_at=in_hours(-240),
        status=Appointment.Status.COMPLETED,
    )
    AppointmentRequestFactory(
        patient=patient_record, department=clinic, reason="Knee pain for two weeks"
    )
    AppointmentFactory(starts_at=in_hours(50), reason="Someone else's visit")

    page = portal.get(APPOINTMENTS).content.decode()

    upcoming = re.findall(r'data-testid="upcoming-appointment">.*?</div></div>', page, re.S)
    assert len(upcoming) == 2
    first, second = upcoming
    starts = timezone.localtime(booked.starts_at)
    assert f"{starts:%Y-%m-%d}, {starts:%H:%M}" in first
    assert "Check-up with Dr. Grace Hopper · Cardiology clinic" in first
    assert cancel_url(booked) in first
    assert 'href="https://video.example.org/room/99"' in second and "Video visit" in second
    assert cancel_url(video) in second
    assert page.count('data-testid="past-appointment"') == 1 and "Completed" in page
    assert "Knee pain for two weeks" in page and "Waiting for the front desk" in page
    assert "Someone else" not in page
    assert AccessLog.objects.filter(
        patient=patient_record, section=AccessLog.Section.APPOINTMENTS
    ).exists()


def test_it_says_what_to_do_without_appointments(portal):
    page = portal.get(APPOINTMENTS).content.decode()

    assert "No upcoming appointments." in page and REQUEST in page


def test_it_shows_the_next_appointment_on_the_portal_home(portal, booked):
    page = portal.get(reverse("portal:home")).content.decode()

    (shown,) = re.findall(r'data-testid="next-appointment">(.*?)</p>', page, re.S)
    assert (
        "Dr. Grace Hopper" in shown
        and timezone.localtime(booked.starts_at).strftime("%H:%M") in shown
    )


def test_it_shows_the_proxy_the_record_they_read(client, proxy_user, booked):
    client.force_login(proxy_user)

    page = client.get(APPOINTMENTS).content.decode()

    assert "Dr. Grace Hopper" in page and cancel_url(booked) in page


def test_it_lists_many_appointments_in_as_many_queries_as_one(
    portal, patient_record, doctor, clinic
):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert portal.get(APPOINTMENTS).status_code == 200
        return len(captured.captured_queries)

    AppointmentFactory(patient=patient_record, provider=doctor, department=clinic)
    AppointmentRequestFactory(patient=patient_record, department=clinic, provider=doctor)
    portal.get(APPOINTMENTS)
    one = page_queries()
    for day in range(1, 10):
        AppointmentFactory(
            patient=patient_record, department=clinic, starts_at=in_hours(24 * day + 80)
        )
        AppointmentFactory(
            patient=patient_record,
            department=clinic,
            starts_at=in_hours(-24 * day),
            status=Appointment.Status.NO_SHOW,
        )
        AppointmentRequestFactory(patient=patient_record, department=clinic, provider=doctor)

    assert page_queries() == one


# Cancelling ----------------------------------------------------------------------------------


def test_it_asks_to_confirm_a_cancellation(portal, booked):
    response = portal.get(cancel_url(booked))

    assert response.status_code == 200
    assert "Cancel this appointment?" in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


def test_it_cancels_with_the_patients_reason(portal, booked, patient_user):
    response = portal.post(cancel_url(booked), {"reason": "Feeling better"})

    assert response.status_code == 302 and response["Location"] == APPOINTMENTS
    starts = timezone.localtime(booked.starts_at)
    assert messages_of(response)[-1] == (
        f"Your appointment of {starts:%Y-%m-%d %H:%M} is cancelled."
    )
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert booked.cancelled_by == patient_user
    assert booked.cancel_reason == "Cancelled by the patient in the portal: Feeling better"


@pytest.mark.parametrize(
    ("notice_hours", "starts_in_hours", "may_cancel"),
    [
        (24, 24 + 1 / 12, True),  # five minutes before the notice period starts
        (24, 24 - 1 / 12, False),  # five minutes into it
        (48, 30, False),
        (0, 0.5, True),
    ],
)
def test_it_lets_the_patient_cancel_only_up_to_the_notice_period(
    portal, settings, patient_record, doctor, clinic, notice_hours, starts_in_hours, may_cancel
):
    settings.APPOINTMENT_CANCEL_NOTICE_HOURS = notice_hours
    appointment = AppointmentFactory(
        patient=patient_record,
        provider=doctor,
        department=clinic,
        starts_at=timezone.now() + dt.timedelta(hours=starts_in_hours),
    )

    listed = portal.get(APPOINTMENTS).content.decode()
    response = portal.post(cancel_url(appointment), {"reason": ""})

    appointment.refresh_from_db()
    assert response.status_code == 302
    if may_cancel:
        assert cancel_url(appointment) in listed
        assert appointment.status == Appointment.Status.CANCELLED
    else:
        assert cancel_url(appointment) not in listed
        assert "Please call the front desk." in listed
        assert appointment.status == Appointment.Status.BOOKED
        assert any(
            f"up to {notice_hours} hours before" in message for message in messages_of(response)
        )


def test_it_refuses_to_cancel_what_is_no_longer_booked(portal, booked):
    booked.status = Appointment.Status.ARRIVED
    booked.save()

    response = portal.post(cancel_url(booked), follow=True)

    assert "This appointment is arrived." in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.ARRIVED


def test_it_answers_404_to_another_patients_appointment(
    other_patient_user, other_patient_record, booked
):
    other = Client()
    other.force_login(other_patient_user)

    assert other.get(cancel_url(booked)).status_code == 404
    assert other.post(cancel_url(booked), {"reason": "mischief"}).status_code == 404
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


def test_it_answers_404_to_a_missing_appointment(portal):
    assert portal.get("/portal/appointments/999999/cancel/").status_code == 404


def test_it_refuses_other_methods_on_cancel(portal, booked):
    assert portal.put(cancel_url(booked)).status_code == 405


def test_it_keeps_a_too_long_reason_with_its_error(portal, booked):
    response = portal.post(cancel_url(booked), {"reason": "x" * 151})

    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


# Requests ------------------------------------------------------------------------------------


def request_data(clinic, **overrides) -> dict:
    data = {
        "department": clinic.pk,
        "provider": "",
        "mode": Appointment.Mode.VIDEO,
        "earliest_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "window": AppointmentRequest.Window.MORNING,
        "reason": "Palpitations at night",
    }
    return {**data, **overrides}


def test_it_offers_the_departments_and_providers(portal, clinic, doctor):
    page = portal.get(REQUEST).content.decode()

    assert "Cardiology clinic" in page and "Dr. Grace Hopper" in page
    assert "Mornings" in page and "Video visit" in page


def test_it_sends_a_request_to_the_front_desks_queue(portal, patient_record, patient_user, clinic):
    response = portal.post(REQUEST, request_data(clinic))

    assert response.status_code == 302 and response["Location"] == APPOINTMENTS
    assert "Your request is sent to the front desk" in messages_of(response)[-1]
    (queued,) = open_requests()
    assert queued.patient == patient_record and queued.requested_by == patient_user
    assert queued.department == clinic and queued.mode == Appointment.Mode.VIDEO
    assert queued.window == AppointmentRequest.Window.MORNING
    assert queued.reason == "Palpitations at night"


def test_it_sends_a_request_naming_a_provider(portal, clinic, doctor):
    portal.post(REQUEST, request_data(clinic, provider=doctor.pk))

    assert open_requests().get().provider.pk == doctor.pk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("earliest_on", "2001-01-01", "Choose today or a later day."),
        ("earliest_on", "next week", "Enter a date as YYYY-MM-DD"),
        ("reason", "   ", "This field is required."),
        ("department", "999999", "Choose one of the departments in the list."),
        ("provider", "999999", "Choose one of the providers in the list."),
    ],
)
def test_it_keeps_the_input_and_says_what_is_wrong(portal, clinic, field, value, message):
    response = portal.post(REQUEST, request_data(clinic, **{field: value}))

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page and "is-invalid" in page
    if field != "reason":
        assert "Palpitations at night" in page
    assert not AppointmentRequest.objects.exists()


def test_it_withdraws_an_open_request(portal, patient_record, clinic):
    asked = AppointmentRequestFactory(patient=patient_record, department=clinic)

    response = portal.post(withdraw_url(asked))

    assert response["Location"] == APPOINTMENTS
    assert messages_of(response)[-1] == "Your request is withdrawn."
    asked.refresh_from_db()
    assert asked.status == AppointmentRequest.Status.WITHDRAWN
    assert not open_requests().exists()


def test_it_refuses_to_withdraw_a_request_already_handled(portal, patient_record, clinic):
    asked = AppointmentRequestFactory(
        patient=patient_record, department=clinic, status=AppointmentRequest.Status.DECLINED
    )

    response = portal.post(withdraw_url(asked), follow=True)

    assert "This request is already declined." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == AppointmentRequest.Status.DECLINED


def test_it_answers_404_to_withdrawing_another_patients_request(
    portal, other_patient_record, clinic
):
    theirs = AppointmentRequestFactory(patient=other_patient_record, department=clinic)

    assert portal.post(withdraw_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentRequest.Status.OPEN


def test_it_refuses_a_get_to_withdraw(portal, patient_record, clinic):
    asked = AppointmentRequestFactory(patient=patient_record, department=clinic)

    assert portal.get(withdraw_url(asked)).status_code == 405
