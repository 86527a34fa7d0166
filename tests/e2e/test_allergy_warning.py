"""The issue's allergy scenario: a doctor records an allergy, then prescribes a drug that
matches it, sees the warning, gives a reason, and the prescription shows the override."""

import re

import pytest
from playwright.sync_api import expect

from patients.tests.factories import MedicationFactory
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_warns_a_doctor_prescribing_a_drug_the_patient_is_allergic_to(page, care_team):
    patient = care_team["patient"]
    MedicationFactory(code="834061", name="Penicillin V Potassium 250 MG Oral Tablet")
    sign_in(page, "dr.house")
    page.goto(f"/patients/{patient.pk}/")
    allergies = page.get_by_test_id("section-allergies")
    expect(allergies).to_contain_text("Allergies not assessed")

    allergies.get_by_role("link", name="Record allergy").click()
    page.get_by_label("Substance", exact=True).select_option(label="Penicillin V (medication)")
    page.get_by_label("Reaction").fill("Hives")
    page.get_by_label("Severity").select_option(label="Severe")
    page.get_by_label("Verification").select_option(label="Confirmed")
    page.shot("allergy-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The allergy to Penicillin V is recorded.")).to_be_visible()
    expect(allergies).to_contain_text("Penicillin V")
    expect(allergies).to_contain_text("Severe")
    page.shot("allergy-on-chart")

    page.get_by_test_id("section-medications").get_by_role("link", name="Prescribe").click()
    expect(page.get_by_text("Recorded allergies: Penicillin V.")).to_be_visible()
    page.get_by_label("Medication").select_option(label="Penicillin V Potassium 250 MG Oral Tablet")
    page.get_by_label(re.compile(r"\bDose\b")).fill("250")
    page.get_by_label("Unit").select_option(label="mg")
    page.get_by_label("Route").select_option(label="Oral")
    page.get_by_label("Frequency").select_option(label="four times daily")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text(
            "Allergy warning: the patient has a recorded allergy to Penicillin V (severe)"
        )
    ).to_be_visible()
    page.shot("allergy-warning")

    page.get_by_label("Allergy override reason").fill("Tolerated an oral challenge in clinic")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The prescription is recorded.")).to_be_visible()
    medications = page.get_by_test_id("section-medications")
    expect(medications).to_contain_text("Penicillin V Potassium 250 MG Oral Tablet")
    expect(medications).to_contain_text("250 mg · oral · four times daily")
    expect(medications.get_by_test_id("allergy-override")).to_contain_text(
        "Allergy override: Tolerated an oral challenge in clinic"
    )
    page.goto(f"/patients/{patient.pk}/#medications-heading")
    page.shot("prescription-with-override")
