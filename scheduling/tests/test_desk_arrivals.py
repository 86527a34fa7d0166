"""Today's arrivals, check-in, walk-ins and the queue of the patients' requests."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from access import permissions
from access.roles import Role
from patients.tests.factories import PatientFactory
from phms.tests.personas import user_with_role
from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling.models import Appointment, AppointmentRequest
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentRequestFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

ARRIVALS = reverse("scheduling:arrivals")
User = get_user_model()


@pytest.fixture
def clinic():
    department = DepartmentFactory(name="Cardiology clinic")
    doctor = DoctorFactory(first_name="Ngozi", last_name="Okafor", department=department)
    WorkingHoursFactory(
        provider=doctor, department=department, weekday=timezone.localdate().weekday()
    )
    return department, doctor


def today_at(hour, minute=0):
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0)


def appointment_today(clinic, patient, hour=9, **fields):
    department, doctor = clinic
    return AppointmentFactory(
        patient=patient, provider=doctor, department=department, starts_at=today_at(hour), **fields
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def check_in_url(appointment):
    return reverse("scheduling:check_in", kwargs={"pk": appointment.pk})


# check_in ----------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_sign_in_from_check_in(client, clinic, patient_record):
    appointment = appointment_today(clinic, patient_record)
    assert client.post(check_in_url(appointment)).status_code == 302


def test_it_refuses_a_get_to_check_in(client, front_desk, clinic, patient_record):
    appointment = appointment_today(clinic, patient_record)
    assert signed_in(client, front_desk).get(check_in_url(appointment)).status_code == 405


def test_it_refuses_check_in_to_a_doctor(client, attending_doctor, clinic, patient_record):
    appointment = appointment_today(clinic, patient_record)
    assert signed_in(client, attending_doctor).post(check_in_url(appointment)).status_code == 403


def test_it_hides_the_check_in_of_an_unseen_patient(client, outsider, clinic, patient_record):
    appointment = appointment_today(clinic, patient_record)
    assert signed_in(client, outsider).post(check_in_url(appointment)).status_code == 404


def test_it_checks_in_and_the_doctor_sees_the_patient_at_once(client, front_desk, clinic):
    department, doctor = clinic
    doctor.user = user_with_role(Role.DOCTOR, username="dr.okafor")
    doctor.save()
    newcomer = PatientFactory(first_name="Grace", last_name="Hopper")
    assert not permissions.is_patient_visible(User.objects.get(pk=doctor.user_id), newcomer)
    appointment = appointment_today(clinic, newcomer)
    response = signed_in(client, front_desk).post(
        check_in_url(appointment), {"department": department.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{ARRIVALS}?department={department.pk}"
    assert shown_messages(response) == [
        "Grace Hopper is checked in; Dr. Ngozi Okafor sees them now."
    ]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.encounter is not None
    assert permissions.is_patient_visible(User.objects.get(pk=doctor.user_id), newcomer)


def test_it_says_a_video_visit_is_checked_in_when_it_starts(
    client, front_desk, clinic, patient_record
):
    appointment = appointment_today(
        clinic,
        patient_record,
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://meet.example.org/x",
    )
    response = signed_in(client, front_desk).post(check_in_url(appointment))
    assert response["Location"] == ARRIVALS
    assert shown_messages(response) == ["A video visit is checked in when the clinician starts it."]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_it_says_a_cancelled_appointment_cannot_be_checked_in(
    client, front_desk, clinic, patient_record
):
    appointment = appointment_today(clinic, patient_record, status=Appointment.Status.CANCELLED)
    response = signed_in(client, front_desk).post(check_in_url(appointment))
    assert "cannot become arrived" in shown_messages(response)[0]


# arrivals ----------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_sign_in_from_arrivals(client):
    assert client.get(ARRIVALS).status_code == 302


def test_it_refuses_a_post_to_arrivals(client, front_desk):
    assert signed_in(client, front_desk).post(ARRIVALS).status_code == 405


def test_it_refuses_arrivals_to_a_nurse(client, ward_nurse):
    assert signed_in(client, ward_nurse).get(ARRIVALS).status_code == 403


def test_it_lists_todays_arrivals_arrived_first_with_check_in_buttons(
    client, front_desk, clinic, patient_record, other_patient_record
):
    expected = appointment_today(clinic, patient_record, hour=8)
    arrived = appointment_today(
        clinic,
        other_patient_record,
        hour=10,
        status=Appointment.Status.ARRIVED,
        arrived_at=timezone.now(),
    )
    AppointmentFactory(
        patient=PatientFactory(last_name="Tomorrow"),
        starts_at=today_at(9) + timedelta(days=1),
    )
    html = signed_in(client, front_desk).get(ARRIVALS).content.decode()
    assert html.index("Alan Turing") < html.index("Ada Lovelace")
    assert "08:00" in html and "Arrived" in html
    assert check_in_url(expected) in html
    assert check_in_url(arrived) not in html
    assert "Tomorrow" not in html
    assert reverse("scheduling:walk_in") in html


def test_it_filters_arrivals_by_department(client, front_desk, clinic, patient_record):
    appointment_today(clinic, patient_record)
    elsewhere = DepartmentFactory(name="Dermatology clinic")
    html = signed_in(client, front_desk).get(f"{ARRIVALS}?department={elsewhere.pk}")
    assert "Nobody is expected today in Dermatology clinic" in html.content.decode()


def test_it_answers_404_to_an_unknown_department_of_arrivals(client, front_desk):
    assert signed_in(client, front_desk).get(f"{ARRIVALS}?department=x").status_code == 404


def test_it_pages_arrivals_with_constant_queries(
    client, front_desk, clinic, django_assert_max_num_queries
):
    department, _ = clinic
    for minute in range(30):
        AppointmentFactory(department=department, starts_at=today_at(8) + timedelta(minutes=minute))
    signed_in(client, front_desk)
    with django_assert_max_num_queries(14):
        html = client.get(ARRIVALS).content.decode()
    assert html.count('data-testid="arrival"') == 25
    assert "Appointments 1–25 of 30" in html
    page_two = client.get(f"{ARRIVALS}?page=2").content.decode()
    assert page_two.count('data-testid="arrival"') == 5


# walk_in -----------------------------------------------------------------------------------


WALK_IN = reverse("scheduling:walk_in")


def test_it_refuses_walk_ins_to_billing(client, billing_clerk, patient_record):
    response = signed_in(client, billing_clerk).get(f"{WALK_IN}?patient={patient_record.pk}")
    assert response.status_code == 403


def test_it_sends_anonymous_users_to_sign_in_from_walk_in(client):
    assert client.get(WALK_IN).status_code == 302


def test_it_refuses_another_method_to_walk_in(client, front_desk):
    assert signed_in(client, front_desk).delete(WALK_IN).status_code == 405


def test_it_asks_for_the_patient_of_a_walk_in(client, front_desk):
    html = signed_in(client, front_desk).get(WALK_IN).content.decode()
    assert "To check in a walk-in patient, find the patient" in html


def test_it_answers_404_to_an_unknown_walk_in_patient(client, front_desk):
    assert signed_in(client, front_desk).get(f"{WALK_IN}?patient=0").status_code == 404


def test_it_checks_in_a_walk_in(client, front_desk, clinic, patient_record):
    department, doctor = clinic
    url = f"{WALK_IN}?patient={patient_record.pk}"
    signed_in(client, front_desk)
    assert "Walk-in check-in: Ada Lovelace" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "department": department.pk,
            "provider": doctor.pk,
            "kind": Appointment.Kind.URGENT,
            "reason": "Cut hand",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Ada Lovelace is checked in as a walk-in; Dr. Ngozi Okafor sees them now." in html
    appointment = Appointment.objects.get()
    assert appointment.walk_in and appointment.status == Appointment.Status.ARRIVED
    assert "Walk-in" in html


def test_it_keeps_the_walk_in_form_when_the_provider_is_missing(
    client, front_desk, clinic, patient_record
):
    department, _ = clinic
    response = signed_in(client, front_desk).post(
        f"{WALK_IN}?patient={patient_record.pk}",
        {"department": department.pk, "kind": Appointment.Kind.URGENT, "reason": "Cut hand"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "is-invalid" in html and "Cut hand" in html
    assert not Appointment.objects.exists()


# request_queue -----------------------------------------------------------------------------


QUEUE = reverse("scheduling:request_queue")


def test_it_refuses_the_request_queue_to_a_doctor(client, attending_doctor):
    assert signed_in(client, attending_doctor).get(QUEUE).status_code == 403


def test_it_sends_anonymous_users_to_sign_in_from_the_queue(client):
    assert client.get(QUEUE).status_code == 302


def test_it_refuses_a_post_to_the_queue(client, front_desk):
    assert signed_in(client, front_desk).post(QUEUE).status_code == 405


def test_it_lists_open_requests_oldest_first_with_book_and_decline(
    client, front_desk, patient_record, other_patient_record
):
    first = AppointmentRequestFactory(patient=other_patient_record, reason="Rash on the arm")
    AppointmentRequestFactory(patient=patient_record, reason="Knee pain")
    AppointmentRequestFactory(patient=patient_record, status=AppointmentRequest.Status.DECLINED)
    html = signed_in(client, front_desk).get(QUEUE).content.decode()
    assert html.index("Rash on the arm") < html.index("Knee pain")
    assert html.count('data-testid="request"') == 2
    assert f"?patient={other_patient_record.pk}&amp;request={first.pk}" in html
    assert reverse("scheduling:request_decline", kwargs={"request_pk": first.pk}) in html


def test_it_says_when_no_request_is_waiting(client, front_desk):
    assert "No requests are waiting" in signed_in(client, front_desk).get(QUEUE).content.decode()


# request_decline ---------------------------------------------------------------------------


def decline_url(wish):
    return reverse("scheduling:request_decline", kwargs={"request_pk": wish.pk})


def test_it_hides_a_request_from_a_doctor(client, attending_doctor, patient_record):
    wish = AppointmentRequestFactory(patient=patient_record)
    assert signed_in(client, attending_doctor).get(decline_url(wish)).status_code == 404


def test_it_refuses_another_method_to_decline(client, front_desk, patient_record):
    wish = AppointmentRequestFactory(patient=patient_record)
    assert signed_in(client, front_desk).put(decline_url(wish)).status_code == 405


def test_it_asks_for_the_reason_to_decline(client, front_desk, patient_record):
    wish = AppointmentRequestFactory(patient=patient_record)
    signed_in(client, front_desk)
    assert "Decline the request of Ada Lovelace" in client.get(decline_url(wish)).content.decode()
    response = client.post(decline_url(wish), {"reason": " "})
    assert "is-invalid" in response.content.decode()
    wish.refresh_from_db()
    assert wish.status == AppointmentRequest.Status.OPEN


def test_it_declines_a_request_with_a_reason(client, front_desk, patient_record):
    wish = AppointmentRequestFactory(patient=patient_record)
    response = signed_in(client, front_desk).post(
        decline_url(wish), {"reason": "Please see your GP first."}
    )
    assert response["Location"] == QUEUE
    assert shown_messages(response) == [
        "The request of Ada Lovelace is declined; they see why in the portal."
    ]
    wish.refresh_from_db()
    assert wish.status == AppointmentRequest.Status.DECLINED
    assert wish.decline_reason == "Please see your GP first."


def test_it_says_a_handled_request_is_already_handled(client, front_desk, patient_record):
    wish = AppointmentRequestFactory(
        patient=patient_record, status=AppointmentRequest.Status.BOOKED
    )
    response = signed_in(client, front_desk).get(decline_url(wish))
    assert response["Location"] == QUEUE
    assert shown_messages(response) == ["This request is already booked."]
