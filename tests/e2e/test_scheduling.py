"""Issue 13's browser scenario: the front desk books a newly registered patient with the
doctor for today and checks them in; the doctor sees them first on "My day", starts the
visit and records vitals into the new encounter."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import Role
from patients.models import Patient, VitalSigns
from patients.tests.factories import PatientFactory
from phms.tests import personas
from providers.tests.factories import DepartmentFactory
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from tests.e2e.conftest import sign_in, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOT = timedelta(minutes=15)


@pytest.fixture
def clinic_today(transactional_db):
    """The doctor works all day today in 15-minute slots; a patient booked for the current
    slot has not arrived yet."""
    now = timezone.localtime()
    if now.time() >= time(23, 25):
        pytest.skip("no bookable slot is left today")
    personas.ensure_roles()
    desk = with_password(personas.user_with_role(Role.FRONT_DESK, username="frontdesk"))
    doctor = with_password(personas.doctor_user(username="doctor", specialty="Cardiology"))
    department = DepartmentFactory(name="Cardiology clinic")
    doctor.provider.department = department
    doctor.provider.save()
    WorkingHoursFactory(
        provider=doctor.provider,
        department=department,
        weekday=now.weekday(),
        starts_at=time(0, 0),
        ends_at=time(23, 45),
    )
    current_slot = timezone.make_aware(
        datetime.combine(now.date(), time(now.hour, now.minute - now.minute % 15))
    )
    AppointmentFactory(
        patient=PatientFactory(first_name="Edsger", last_name="Dijkstra"),
        provider=doctor.provider,
        department=department,
        starts_at=current_slot,
        reason="Annual review",
    )
    return {"desk": desk, "doctor": doctor, "department": department}


def test_the_front_desk_books_and_checks_in_and_the_doctor_sees_the_patient_first(
    page, clinic_today
):
    doctor = clinic_today["doctor"]
    sign_in(page, "frontdesk")
    page.goto("/patients/register/")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1986-12-09")
    page.get_by_label("Administrative sex").select_option(label="Female")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(re.compile(r"Grace Hopper is registered as MRN"))).to_be_visible()
    page.shot("registered")

    page.get_by_role("link", name="Finish later").click()
    page.get_by_role("link", name="Book an appointment").click()
    department = clinic_today["department"]
    # Each choice refreshes the provider, day and time fields (htmx): wait for each answer.
    page.get_by_label("Department").select_option(
        label=f"{department.name} · {department.organization.name}"
    )
    page.wait_for_load_state("networkidle")
    page.get_by_label("Provider").select_option(
        label=f"{doctor.provider.display_name} · Cardiology"
    )
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Day")).to_have_value(f"{timezone.localdate():%Y-%m-%d}")
    page.shot("booking-choices")
    time_choice = page.get_by_role("combobox", name="Time")
    expect(time_choice.locator("option").nth(1)).to_be_attached()
    first_free = time_choice.locator("option").nth(1).get_attribute("value")
    time_choice.select_option(first_free)
    page.get_by_label("Type").select_option(label="Follow-up")
    page.get_by_label("Reason").fill("Persistent cough")
    page.shot("booking-form")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text(re.compile(r"Booked: Grace Hopper with Dr\."))).to_be_visible()
    page.shot("booked")

    page.get_by_role("link", name=re.compile("^Cardiology clinic, ")).click()
    column = page.get_by_test_id("provider-column")
    expect(column.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(column).to_contain_text("Booked")
    page.shot("department-day")
    page.get_by_role("link", name="Next day").click()
    expect(page.get_by_test_id("schedule-day")).not_to_contain_text(
        f"{timezone.localdate():%Y-%m-%d}"
    )
    page.shot("department-next-day")

    page.get_by_role("link", name="Arrivals").first.click()
    grace = page.get_by_test_id("arrival").filter(has_text="Grace Hopper")
    expect(grace).to_contain_text(first_free)
    page.shot("arrivals")
    grace.get_by_role("button", name="Check in").click()
    expect(page.get_by_text(re.compile(r"Grace Hopper is checked in"))).to_be_visible()
    page.shot("checked-in")

    page.context.clear_cookies()
    sign_in(page, "doctor")
    rows = page.get_by_test_id("my-day-appointment")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Hopper, Grace")
    expect(rows.first).to_contain_text("Arrived")
    expect(rows.nth(1)).to_contain_text("Dijkstra, Edsger")
    page.shot("my-day")
    rows.first.get_by_role("button", name="Start visit").click()
    expect(page.get_by_text(re.compile("Visit started"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopper")
    page.shot("chart")

    page.get_by_role("link", name="Record vitals").click()
    page.get_by_label("Heart rate").fill("88")
    page.get_by_label("Systolic BP").fill("124")
    page.get_by_label("Diastolic BP").fill("79")
    page.shot("vitals-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The vital signs are recorded.")).to_be_visible()
    page.shot("vitals-recorded")

    appointment = Appointment.objects.get(patient=Patient.objects.get(last_name="Hopper"))
    assert appointment.status == Appointment.Status.IN_PROGRESS
    vitals = VitalSigns.objects.get(encounter__patient=appointment.patient)
    assert vitals.encounter_id == appointment.encounter_id
    assert (vitals.systolic_bp, vitals.diastolic_bp) == (124, 79)
