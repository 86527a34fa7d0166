"""The issue's browser scenarios, end to end through the login page."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from access.roles import Role
from patients.models import VitalSigns
from patients.tests.factories import ConditionFactory, EncounterFactory
from patients.vaccinations import vaccination_record
from phms.tests import personas
from tests.e2e.conftest import PASSWORD, sign_in, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_doctor_search_open_a_chart_and_record_vitals_a_diagnosis_and_a_note(
    page, care_team
):
    ConditionFactory(code="J45", name="Asthma")
    sign_in(page, "dr.house")
    page.shot("signed-in")

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Name").fill("Lovel")
    results = page.get_by_test_id("patient-results")
    expect(results.get_by_role("link", name="Lovelace, Ada")).to_be_visible()
    page.shot("searched")
    results.get_by_role("link", name="Lovelace, Ada").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    page.shot("chart")

    page.get_by_role("link", name="Record vitals").click()
    page.get_by_label("Heart rate").fill("97")
    page.get_by_label("Systolic BP").fill("131")
    page.get_by_label("Diastolic BP").fill("84")
    page.shot("vitals-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The vital signs are recorded.")).to_be_visible()
    expect(page.get_by_test_id("section-encounters")).to_contain_text("131/84")
    page.shot("vitals-on-chart")

    page.get_by_role("link", name="Record diagnosis").click()
    page.get_by_label("Search conditions").fill("asth")
    condition = page.get_by_role("combobox", name=re.compile("^Condition"))
    expect(condition.locator("option", has_text="Asthma (ICD-10 J45)")).to_have_count(1)
    condition.select_option(label="Asthma (ICD-10 J45)")
    page.get_by_label("Onset date").fill("2024-03-01")
    page.shot("diagnosis-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The diagnosis is recorded.")).to_be_visible()
    expect(page.get_by_test_id("section-encounters")).to_contain_text("Asthma")
    page.shot("diagnosis-on-chart")

    page.get_by_role("link", name="Write note").click()
    page.get_by_label("Text").fill("Wheezing improved after salbutamol.")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("The note is saved.")).to_be_visible()
    expect(page.get_by_test_id("section-notes")).to_contain_text("Wheezing improved")
    page.shot("note-on-chart")


def test_it_lets_a_nurse_record_vitals_after_fixing_an_implausible_value(page, care_team):
    patient = care_team["patient"]
    sign_in(page, "nurse.joy")
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_role("link", name="Record diagnosis")).to_have_count(0)
    page.get_by_role("link", name="Record vitals").click()
    page.get_by_label("Heart rate").fill("400")
    page.get_by_label("SpO₂").fill("96")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("less than or equal to 250")).to_be_visible()
    page.shot("vitals-error")
    page.get_by_label("Heart rate").fill("72")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The vital signs are recorded.")).to_be_visible()
    expect(page.get_by_test_id("section-encounters")).to_contain_text("72")
    page.shot("vitals-recorded")

    recorded = VitalSigns.objects.get(encounter__patient=patient, heart_rate=72)
    page.goto(f"/patients/{patient.pk}/records/vitals/{recorded.pk}/delete/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete this set of vital signs")
    page.get_by_label("Reason for the deletion").fill("Recorded in the wrong chart")
    page.shot("delete-confirm")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The set of vital signs is deleted.")).to_be_visible()
    assert not VitalSigns.objects.filter(pk=recorded.pk).exists()
    page.shot("deleted-with-undo")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("The set of vital signs is restored.")).to_be_visible()
    assert VitalSigns.objects.filter(pk=recorded.pk).exists()
    page.shot("restored")


def test_it_lets_the_front_desk_register_a_patient_but_not_open_clinical_sections(page):
    personas.ensure_roles()
    with_password(personas.user_with_role(Role.FRONT_DESK, username="front.desk"))
    sign_in(page, "front.desk")
    page.goto("/patients/register/")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1986-12-09")
    page.get_by_label("Administrative sex").select_option(label="Female")
    page.get_by_label("SSN").fill("123-45-6789")
    page.shot("register-form")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(re.compile(r"Grace Hopper is registered as MRN"))).to_be_visible()
    page.get_by_role("link", name="Finish later").click()
    expect(page.get_by_test_id("registration-unfinished")).to_contain_text("contact")
    expect(page.get_by_test_id("ssn")).to_have_text("***-**-6789")
    expect(page.get_by_test_id("clinical-hidden")).to_be_visible()
    expect(page.get_by_role("link", name="Record vitals")).to_have_count(0)
    page.shot("registered-chart")

    chart_path = re.search(r"/patients/\d+/", page.url).group(0)
    response = page.goto(f"{chart_path}vitals/add/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.shot("vitals-forbidden")


def test_it_lets_a_doctor_outside_the_care_team_break_the_glass(page, care_team):
    patient = care_team["patient"]
    sign_in(page, "dr.elsewhere")
    response = page.goto(f"/patients/{patient.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.shot("not-found")

    page.get_by_role("link", name="Break the glass").click()
    page.get_by_label("Emergency treatment").check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("In your words").fill(
        "Unconscious in the emergency department; need allergies and medications."
    )
    page.shot("break-glass-form")
    page.get_by_role("button", name="Open emergency access").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    expect(page.get_by_test_id("break-glass-banner")).to_be_visible()
    page.shot("chart-with-banner")


def test_it_lets_a_nurse_correct_a_vaccination_and_undo_its_deletion(page, care_team):
    patient = care_team["patient"]
    vaccination_record(
        patient=patient,
        vaccine="Influenza, seasonal",
        cvx_code="140",
        dose_number=1,
        date=date(2024, 10, 1),
        lot="L1",
    )
    sign_in(page, "nurse.joy")
    page.goto(f"/patients/{patient.pk}/")
    section = page.get_by_test_id("section-vaccinations")
    section.get_by_role("link", name=re.compile("^Correct the Influenza")).click()
    expect(page.get_by_label("Lot")).to_have_value("L1")
    page.get_by_label("Lot").fill("L2")
    page.get_by_label("Reason for the correction").fill("Lot number misread")
    page.shot("vaccination-correct-form")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_text("The vaccination is corrected")).to_be_visible()
    expect(section).to_contain_text("L2")
    expect(section).to_contain_text("corrected 1 time")
    page.shot("vaccination-corrected")

    section.get_by_role("link", name=re.compile("^Delete the Influenza")).click()
    page.get_by_label("Reason for the deletion").fill("Recorded in the wrong chart")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The vaccination is deleted.")).to_be_visible()
    expect(section).to_contain_text("No vaccinations recorded.")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("The vaccination is restored.")).to_be_visible()
    expect(section).to_contain_text("L2")
    page.shot("vaccination-restored")


def test_it_lets_a_doctor_page_through_a_long_timeline_and_undo_a_deletion(page, care_team):
    patient = care_team["patient"]
    opened = personas.open_encounter(patient).admitted_at
    for day in range(1, 25):
        EncounterFactory(
            patient=patient,
            finished=True,
            admitted_at=opened - timedelta(days=day),
            reason=f"Visit {day}",
        )
    sign_in(page, "dr.house")
    page.goto(f"/patients/{patient.pk}/")
    pages = page.get_by_test_id("encounter-pages")
    expect(pages).to_contain_text("Encounters 1–20 of 25")
    page.shot("timeline-first-page")
    pages.get_by_role("link", name="Older encounters").click()
    expect(page.get_by_test_id("encounter-pages")).to_contain_text("Encounters 21–25 of 25")
    expect(
        page.get_by_test_id("encounter-pages").get_by_role("link", name="Newer encounters")
    ).to_be_visible()
    page.shot("timeline-second-page")

    section = page.get_by_test_id("section-encounters")
    section.get_by_role("link", name=re.compile("^Delete")).first.click()
    page.get_by_label("Reason for the deletion").fill("Entered in error")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text(re.compile("is deleted."))).to_be_visible()
    page.shot("deleted-with-undo")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text(re.compile("is restored."))).to_be_visible()
