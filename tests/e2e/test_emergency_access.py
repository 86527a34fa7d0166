"""A doctor finds a patient outside her care teams by MRN, uses emergency access, reads the
chart, cannot delete anything, and ends the access early."""

import re

import pytest
from playwright.sync_api import expect

from access.models import BreakGlassAccess
from patients.models import Diagnosis
from tests.e2e.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_doctor_use_bounded_emergency_access_and_end_it(page, care_team):
    patient = care_team["patient"]
    sign_in(page, "dr.elsewhere")
    page.get_by_role("link", name="Patients").first.click()
    expect(page.get_by_test_id("emergency-search-help")).to_contain_text("whole MRN")

    page.get_by_label("Name").fill("Lovel")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No patient matches")).to_be_visible()
    expect(page.get_by_test_id("outside-care-team")).to_have_count(0)

    page.goto("/patients/")
    page.get_by_label("MRN").fill("MRN-E2E-0001")
    page.get_by_role("button", name="Search").click()
    outsider = page.get_by_test_id("outside-care-team")
    expect(outsider).to_contain_text("Not on your care team: emergency access")
    expect(outsider).to_contain_text("Lovelace, Ada")
    page.shot("found-by-mrn")

    outsider.get_by_role("link", name=re.compile("^Break the glass")).click()
    page.get_by_label("Emergency treatment").check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("In your words").fill("Unconscious on arrival, no relatives reachable")
    page.shot("reason")
    page.get_by_role("button", name="Open emergency access").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    banner = page.get_by_test_id("break-glass-banner")
    expect(banner).to_contain_text(re.compile(r"until \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(UTC\)"))
    expect(page.get_by_test_id("section-encounters")).to_contain_text("Chest pain")
    expect(page.get_by_role("link", name="Record vitals").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Delete"))).to_have_count(0)
    page.shot("chart-without-delete")

    diagnosis = Diagnosis.objects.get(encounter__patient=patient)
    response = page.goto(f"/patients/{patient.pk}/records/diagnosis/{diagnosis.pk}/delete/")
    assert response.status == 403
    page.shot("delete-refused")
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()

    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("break-glass-banner").get_by_role(
        "button", name=re.compile("^End emergency access")
    ).click()
    expect(page.get_by_text("Emergency access to patient MRN-E2E-0001 is ended.")).to_be_visible()
    expect(page.get_by_test_id("break-glass-banner")).to_have_count(0)
    page.shot("ended")
    assert BreakGlassAccess.objects.get(user=care_team["elsewhere"]).ended_at is not None
    assert page.goto(f"/patients/{patient.pk}/").status == 404
