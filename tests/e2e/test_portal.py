"""The patient portal end to end: invitation, activation, who looked, a change request."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import Role
from patients.models import LabResult
from patients.notes import note_create
from patients.tests.factories import AllergyFactory, LabTestFactory
from patients.vaccinations import vaccination_record
from phms.tests import personas
from scheduling.tests.factories import AppointmentFactory
from tests.e2e.conftest import PASSWORD, sign_in, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PORTAL_PAGES = [
    ("home", "/portal/"),
    ("appointments", "/portal/appointments/"),
    ("appointment-request", "/portal/appointments/request/"),
    ("visits", "/portal/visits/"),
    ("results", "/portal/results/"),
    ("medications", "/portal/medications/"),
    ("vaccinations", "/portal/vaccinations/"),
    ("notes", "/portal/notes/"),
    ("bills", "/portal/bills/"),
    ("who-looked", "/portal/who-looked/"),
    ("my-details", "/portal/my-details/"),
    ("print", "/portal/print/"),
    ("password", "/portal/password/"),
]


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def fill_the_record(patient, doctor) -> None:
    """Something on every portal page: an allergy, a trend of results, a note, a vaccination,
    an appointment."""
    AllergyFactory(patient=patient, description="Penicillin", reaction="Hives")
    encounter = patient.encounters.first()
    test = LabTestFactory(loinc_code="4548-4", name="Hemoglobin A1c", unit="%")
    for months, value in ((9, "6.1"), (6, "6.6"), (3, "7.2"), (0, "6.9")):
        LabResult.objects.create(
            encounter=encounter,
            lab_test=test,
            observed_at=encounter.admitted_at - dt.timedelta(days=30 * months),
            value_numeric=Decimal(value),
            unit="%",
            reference_low=Decimal("4.0"),
            reference_high=Decimal("6.4"),
            abnormal_flag="H" if Decimal(value) > Decimal("6.4") else "N",
        )
    note_create(
        patient=patient,
        author=doctor,
        kind="progress",
        text="Blood sugar is a little high. We agreed on more walking and a check in 3 months.",
        encounter=encounter,
    )
    vaccination_record(
        patient=patient,
        vaccine="Influenza, seasonal, injectable",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2024, 10, 1),
        lot="FLU24-7781",
        site="Left deltoid",
    )
    starts = (timezone.now() + dt.timedelta(days=3)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    AppointmentFactory(
        patient=patient,
        provider=doctor.provider,
        department__name="Diabetes clinic",
        starts_at=starts,
        reason="Blood sugar check",
    )


def screenshots_of_every_portal_page(page) -> None:
    for width, height in ((375, 812), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        for name, url in PORTAL_PAGES:
            response = page.goto(url)
            assert response.status == 200, url
            page.shot(f"portal-{name}-{width}")
    page.set_viewport_size({"width": 1024, "height": 900})


def test_it_takes_a_patient_from_invitation_to_an_accepted_phone_change(page, care_team):
    patient, doctor = care_team["patient"], care_team["doctor"]
    personas.ensure_roles()
    with_password(personas.user_with_role(Role.FRONT_DESK, username="front.desk"))
    fill_the_record(patient, doctor)

    # A doctor reads the chart first: the patient will see it in "who looked at my record".
    sign_in(page, "dr.house")
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    sign_out(page)

    sign_in(page, "front.desk")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Invite to the portal").click()
    page.get_by_role("button", name="Issue an invitation").click()
    link = page.get_by_test_id("activation-link").inner_text().strip()
    code = page.get_by_test_id("activation-code").inner_text().strip()
    page.shot("invitation-letter")
    sign_out(page)

    page.goto(link)
    page.get_by_label("Activation code").fill(code)
    page.get_by_label("Choose a username").fill("ada.lovelace")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.shot("activation-form")
    page.get_by_role("button", name="Activate my account").click()
    expect(page.get_by_text("Your portal account is ready.")).to_be_visible()
    expect(page.get_by_test_id("section-allergies")).to_contain_text("Penicillin")
    sign_out(page)
    page.goto(link)
    expect(page.get_by_test_id("activation-refused")).to_contain_text("already been used")

    sign_in(page, "ada.lovelace")
    assert page.url.endswith("/portal/")
    page.get_by_role("link", name="Who looked").click()
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text(doctor.get_full_name())
    expect(log).to_contain_text("Doctor")
    expect(log).to_contain_text("Looked at: Chart")
    expect(log).not_to_contain_text("dr.house")
    page.shot("who-looked")
    screenshots_of_every_portal_page(page)

    page.goto("/portal/my-details/")
    page.get_by_role("link", name="Ask to change").first.click()
    page.get_by_label("New phone number").fill("not a number")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("This is not a phone number we can call")).to_be_visible()
    page.shot("phone-refused")
    page.get_by_label("New phone number").fill("+1 617 555 0142")
    page.get_by_role("button", name="Send request").click()
    requests = page.get_by_test_id("change-requests")
    expect(requests).to_contain_text("Waiting for review")
    expect(requests).to_contain_text("+1 617 555 0142")
    page.shot("phone-waiting")
    sign_out(page)

    sign_in(page, "front.desk")
    page.get_by_role("link", name="Change requests").first.click()
    page.get_by_test_id("review-queue").get_by_role("link", name="Phone number").click()
    page.get_by_label("Accept and apply the change").check()
    page.shot("review")
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("The change is applied to Ada Lovelace.")).to_be_visible()
    sign_out(page)

    sign_in(page, "ada.lovelace")
    expect(page.get_by_test_id("phone")).to_have_text("+1 617 555 0142")
    page.get_by_role("link", name="My details").click()
    expect(page.get_by_test_id("change-requests")).to_contain_text("Accepted")
    page.shot("phone-accepted")
