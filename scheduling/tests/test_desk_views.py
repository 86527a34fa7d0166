"""The schedule pages: the picker, day and week views per department and per provider."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from patients.tests.factories import PatientFactory
from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling.models import Appointment, ScheduleException
from scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from scheduling.tests.test_booking import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    """A department with Dr. Okafor working today 08:00-12:00 in 15-minute slots."""
    department = DepartmentFactory(name="Cardiology clinic")
    doctor = DoctorFactory(first_name="Ngozi", last_name="Okafor", department=department)
    WorkingHoursFactory(
        provider=doctor, department=department, weekday=timezone.localdate().weekday()
    )
    return department, doctor


def day_url(department, **query):
    url = reverse("scheduling:department_day", kwargs={"pk": department.pk})
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def signed_in(client, user):
    client.force_login(user)
    return client


# index -------------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_sign_in_from_the_picker(client):
    response = client.get(reverse("scheduling:index"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_refuses_a_post_to_the_picker(client, front_desk):
    assert signed_in(client, front_desk).post(reverse("scheduling:index")).status_code == 405


def test_it_refuses_the_picker_to_billing(client, billing_clerk):
    assert signed_in(client, billing_clerk).get(reverse("scheduling:index")).status_code == 403


def test_it_lists_every_department_for_the_front_desk(client, front_desk, clinic):
    department, _ = clinic
    DepartmentFactory(name="Dermatology clinic")
    response = signed_in(client, front_desk).get(reverse("scheduling:index"))
    html = response.content.decode()
    assert "Cardiology clinic" in html and "Dermatology clinic" in html
    assert day_url(department) in html
    assert "Today&#x27;s arrivals" in html or "Today's arrivals" in html
    assert "My schedule" not in html


def test_it_shows_a_clinician_their_own_schedule_and_department_only(
    client, attending_doctor, clinic
):
    department, _ = clinic
    DepartmentFactory(name="Dermatology clinic")
    attending_doctor.provider.department = department
    attending_doctor.provider.save()
    html = signed_in(client, attending_doctor).get(reverse("scheduling:index")).content.decode()
    assert html.index("My schedule") < html.index("Cardiology clinic")
    assert reverse("scheduling:provider_day", kwargs={"pk": attending_doctor.provider.pk}) in html
    assert "Dermatology clinic" not in html


def test_it_says_a_bad_date_of_the_picker_is_not_a_date(client, front_desk):
    response = signed_in(client, front_desk).get(reverse("scheduling:index") + "?date=31/02")
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


# department_day ----------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_sign_in_from_a_day(client, clinic):
    assert client.get(day_url(clinic[0])).status_code == 302


def test_it_refuses_a_post_to_a_day(client, front_desk, clinic):
    assert signed_in(client, front_desk).post(day_url(clinic[0])).status_code == 405


def test_it_hides_another_departments_day_from_a_clinician(client, attending_doctor, clinic):
    assert signed_in(client, attending_doctor).get(day_url(clinic[0])).status_code == 404


def test_it_refuses_a_day_to_billing(client, billing_clerk, clinic):
    assert signed_in(client, billing_clerk).get(day_url(clinic[0])).status_code == 403


def test_it_answers_404_to_an_unknown_department(client, front_desk):
    url = reverse("scheduling:department_day", kwargs={"pk": 999999})
    assert signed_in(client, front_desk).get(url).status_code == 404


def test_it_shows_the_front_desk_a_day_with_slots_appointments_and_leave(
    client, front_desk, clinic, patient_record
):
    department, doctor = clinic
    day = timezone.localdate() + timedelta(days=7)  # same weekday, every slot to come
    AppointmentFactory(
        patient=patient_record,
        provider=doctor,
        department=department,
        starts_at=at(day, 9, 0),
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://meet.example.org/abc",
    )
    ScheduleException.objects.create(
        provider=doctor, starts_at=at(day, 11, 0), ends_at=at(day, 12, 0)
    )
    response = signed_in(client, front_desk).get(day_url(department, date=f"{day:%Y-%m-%d}"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr. Ngozi Okafor" in html
    assert "09:00–09:15" in html
    assert "Ada Lovelace" in html and "MRN-CARE-0001" in html
    appointment = patient_record.appointments.get()
    assert reverse("scheduling:appointment", kwargs={"pk": appointment.pk}) in html
    assert ">Booked</span>" in html  # the status badge
    assert "Video" in html
    assert "Away (leave)" in html
    assert f"{reverse('scheduling:book')}?provider={doctor.pk}&amp;department={department.pk}" in (
        html
    )
    assert f"{day:%A %Y-%m-%d}" in html
    entry = AccessLog.objects.get(section=AccessLog.Section.SCHEDULE)
    assert list(entry.patients_shown.all()) == [patient_record]


def test_it_shows_a_colleague_only_booked_for_a_patient_they_may_not_see(
    client, attending_doctor, clinic, other_patient_record
):
    department, doctor = clinic
    attending_doctor.provider.department = department
    attending_doctor.provider.save()
    AppointmentFactory(
        patient=other_patient_record,
        provider=doctor,
        department=department,
        starts_at=at(timezone.localdate(), 9, 0),
    )
    html = signed_in(client, attending_doctor).get(day_url(department)).content.decode()
    assert "Alan Turing" not in html and "MRN-ELSE-0002" not in html
    assert "<span>Booked</span>" in html
    assert ">Book<" not in html  # clinicians do not book


def test_it_says_a_bad_date_is_not_a_date_and_shows_today(client, front_desk, clinic):
    html = signed_in(client, front_desk).get(day_url(clinic[0], date="2025-13-40")).content
    html = html.decode()
    assert "is not a date (write it as YYYY-MM-DD). Showing today." in html
    assert f"{timezone.localdate():%A %Y-%m-%d}" in html


def test_it_says_a_date_too_far_away_shows_today(client, front_desk, clinic):
    response = signed_in(client, front_desk).get(day_url(clinic[0], date="9999-12-31"))
    assert response.status_code == 200
    assert "too far away" in response.content.decode()


def test_it_moves_between_days_with_htmx_and_plain_links(client, front_desk, clinic):
    department, _ = clinic
    tomorrow = timezone.localdate() + timedelta(days=1)
    signed_in(client, front_desk)
    full = client.get(day_url(department)).content.decode()
    assert f'href="{day_url(department)}?date={tomorrow:%Y-%m-%d}"' in full
    assert f'hx-get="{day_url(department)}?date={tomorrow:%Y-%m-%d}"' in full
    partial = client.get(day_url(department, date=f"{tomorrow:%Y-%m-%d}"), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body
    assert 'id="schedule-body"' in body
    assert tomorrow.strftime("%A") in body


def test_it_says_so_when_nobody_works_that_day(client, front_desk, clinic):
    quiet_day = timezone.localdate() + timedelta(days=1)
    html = signed_in(client, front_desk).get(day_url(clinic[0], date=f"{quiet_day:%Y-%m-%d}"))
    assert "Nobody works here" in html.content.decode()


def _department_of(providers: int):
    department = DepartmentFactory()
    today = timezone.localdate()
    for index in range(providers):
        doctor = DoctorFactory(department=department)
        WorkingHoursFactory(
            provider=doctor,
            department=department,
            weekday=today.weekday(),
            starts_at=time(8, 0),
            ends_at=time(10, 0),
        )
        for hour in (8, 9):
            AppointmentFactory(
                patient=PatientFactory(),
                provider=doctor,
                department=department,
                starts_at=at(today, hour, 15 * (index % 4)),
            )
    return department


def _queries_for(client, department) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(day_url(department))
    assert response.status_code == 200
    return len(queries)


def test_it_answers_a_day_of_50_providers_with_as_many_queries_as_one_of_2(client, front_desk):
    signed_in(client, front_desk)
    small, large = _department_of(2), _department_of(50)
    client.get(day_url(small))  # a session's first page also reads whether it has a 2nd factor
    assert _queries_for(client, large) == _queries_for(client, small)
    html = client.get(day_url(large)).content.decode()
    assert html.count('data-testid="provider-column"') == 12
    assert "Providers 1–12 of 50" in html


def test_it_pages_a_departments_providers_keeping_the_day(client, front_desk):
    signed_in(client, front_desk)
    large = _department_of(50)
    first = client.get(day_url(large)).content.decode()
    day = timezone.localdate()
    assert f"?date={day:%Y-%m-%d}&amp;page=2" in first
    last = client.get(day_url(large), {"date": f"{day:%Y-%m-%d}", "page": 5}).content.decode()
    assert last.count('data-testid="provider-column"') == 2
    assert "Providers 49–50 of 50" in last
    beyond = client.get(day_url(large), {"page": "99"}).content.decode()
    assert "Providers 49–50 of 50" in beyond


# provider_day ------------------------------------------------------------------------------


def test_it_shows_a_doctor_their_own_day(client, attending_doctor):
    own = attending_doctor.provider
    url = reverse("scheduling:provider_day", kwargs={"pk": own.pk})
    response = signed_in(client, attending_doctor).get(url)
    assert response.status_code == 200
    assert own.display_name in response.content.decode()


def test_it_hides_another_providers_day_from_a_doctor(client, attending_doctor, clinic):
    url = reverse("scheduling:provider_day", kwargs={"pk": clinic[1].pk})
    assert signed_in(client, attending_doctor).get(url).status_code == 404


def test_it_offers_booking_in_the_department_of_the_hours_on_a_providers_day(
    client, front_desk, clinic
):
    department, doctor = clinic
    url = reverse("scheduling:provider_day", kwargs={"pk": doctor.pk})
    day = timezone.localdate() + timedelta(days=7)
    html = signed_in(client, front_desk).get(f"{url}?date={day:%Y-%m-%d}&patient=7").content
    html = html.decode()
    assert f"department={department.pk}" in html
    assert "&amp;patient=7" in html


# department_week / provider_week -----------------------------------------------------------


def test_it_counts_a_week_per_provider_and_day(client, front_desk, clinic, patient_record):
    department, doctor = clinic
    today = timezone.localdate()
    AppointmentFactory(
        patient=patient_record, provider=doctor, department=department, starts_at=at(today, 9)
    )
    url = reverse("scheduling:department_week", kwargs={"pk": department.pk})
    html = signed_in(client, front_desk).get(url).content.decode()
    assert "1 booked / 16 slots" in html
    assert f"{day_url(department)}?date={today:%Y-%m-%d}" in html
    assert "Week of" in html


def test_it_marks_a_week_day_of_leave_as_away(client, front_desk, clinic):
    department, doctor = clinic
    today = timezone.localdate()
    ScheduleException.objects.create(
        provider=doctor, starts_at=at(today, 0), ends_at=at(today + timedelta(days=1), 0)
    )
    url = reverse("scheduling:provider_week", kwargs={"pk": doctor.pk})
    html = signed_in(client, front_desk).get(url).content.decode()
    assert ">Away</a>" in html


def test_it_moves_between_weeks_with_htmx(client, front_desk, clinic):
    department, _ = clinic
    url = reverse("scheduling:department_week", kwargs={"pk": department.pk})
    body = signed_in(client, front_desk).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body and 'id="week-body"' in body
    assert "Next week" in body


def test_it_refuses_a_week_to_a_patient(client, patient_user, clinic):
    url = reverse("scheduling:department_week", kwargs={"pk": clinic[0].pk})
    assert signed_in(client, patient_user).get(url).status_code == 403


def test_it_says_a_bad_week_date_is_not_a_date(client, front_desk, clinic):
    url = reverse("scheduling:department_week", kwargs={"pk": clinic[0].pk})
    html = signed_in(client, front_desk).get(url + "?date=soon").content.decode()
    assert "is not a date" in html


def test_it_offers_no_booking_of_a_slot_already_past(client, front_desk, clinic):
    department, _ = clinic
    past = timezone.localdate() - timedelta(days=7)
    html = signed_in(client, front_desk).get(day_url(department, date=f"{past:%Y-%m-%d}"))
    html = html.content.decode()
    assert "Free" in html
    assert ">Book<" not in html


# the patient page --------------------------------------------------------------------------


def test_it_offers_booking_and_walk_in_on_the_patient_page_to_the_front_desk_only(
    client, front_desk, attending_doctor, patient_record
):
    book = f"{reverse('scheduling:book')}?patient={patient_record.pk}"
    walk_in = f"{reverse('scheduling:walk_in')}?patient={patient_record.pk}"
    html = signed_in(client, front_desk).get(patient_record.get_absolute_url()).content.decode()
    assert book in html and walk_in in html
    assert "Book an appointment" in html and "Walk-in check-in" in html
    html = signed_in(client, attending_doctor).get(patient_record.get_absolute_url())
    assert book not in html.content.decode()


def test_it_shows_schedule_and_arrivals_in_the_nav_by_role(client, front_desk, ward_nurse):
    html = signed_in(client, front_desk).get(reverse("scheduling:arrivals")).content.decode()
    nav = html.split("</nav>")[0]
    assert ">Schedule</a>" in nav
    assert 'aria-current="page">Arrivals</a>' in nav
    nav = signed_in(client, ward_nurse).get(reverse("home")).content.decode().split("</nav>")[0]
    assert ">Schedule</a>" in nav and "Arrivals" not in nav
