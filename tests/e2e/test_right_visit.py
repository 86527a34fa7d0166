"""A nurse with no open encounter opens one and records vitals that land in it, flagged."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Encounter, VitalSigns
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_opens_a_nursing_visit_and_records_flagged_vitals_into_it(page, care_team):
    patient = care_team["patient"]
    finished = patient.encounters.get()
    finished.status = Encounter.Status.FINISHED
    finished.discharged_at = timezone.now() - timedelta(days=1)
    finished.save()
    sign_in(page, "nurse.joy")
    page.goto(patient.get_absolute_url())
    banner = page.get_by_test_id("patient-banner")
    expect(banner).to_contain_text("No open encounter")
    page.shot("chart-without-open-encounter")

    page.get_by_role("link", name="Record vitals").click()
    expect(page.get_by_test_id("no-open-encounter")).to_contain_text("No encounter is open")
    page.shot("vitals-form-offers-an-encounter")
    page.get_by_role("link", name="Open an encounter").click()
    encounter_class = page.get_by_label("Class")
    expect(encounter_class.locator("option")).to_have_count(2)
    encounter_class.select_option(label="Nursing visit")
    page.get_by_label("Reason").fill("Wound check")
    page.shot("open-nursing-visit")
    page.get_by_role("button", name="Open encounter").click()

    expect(page.get_by_text("The encounter is open. Record into it below.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Encounter")).to_have_value(
        str(Encounter.objects.get(patient=patient, discharged_at=None).pk)
    )
    page.get_by_label("Heart rate").fill("131")
    page.get_by_label("SpO₂").fill("95")
    page.shot("vitals-form-in-the-new-visit")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("The vital signs are recorded.")).to_be_visible()
    expect(page.get_by_test_id("patient-banner")).to_contain_text("Nursing visit")
    encounters = page.get_by_test_id("section-encounters")
    expect(encounters).to_contain_text("131")
    expect(encounters).to_contain_text("Critically high")
    page.shot("flagged-vitals-on-chart")
    vitals = VitalSigns.objects.get(heart_rate=131)
    assert vitals.encounter.encounter_class == Encounter.EncounterClass.NURSING
    assert not vitals.is_late_entry
