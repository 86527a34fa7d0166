"""The front desk registers a patient who is already on file, with a typo in the name, and
is led to the existing record; a new patient is registered step by step on a tablet; an
administrator merges two records of one person and the survivor's chart shows both."""

import re

import pytest
from playwright.sync_api import expect

from access.roles import Role
from patients.models import Patient
from phms.tests import personas
from tests.e2e.conftest import sign_in, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def desk(care_team):
    return with_password(personas.user_with_role(Role.FRONT_DESK, username="front.desk"))


def _identity(page, *, first, last, born, sex):
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Administrative sex").select_option(label=sex)


def test_the_front_desk_is_led_to_the_record_a_typo_would_have_doubled(page, care_team, desk):
    ada = care_team["patient"]
    sign_in(page, "front.desk")
    page.get_by_role("link", name="Register a patient").click()
    expect(page.get_by_test_id("registration-steps")).to_contain_text("Identity")
    born, sex = f"{ada.date_of_birth:%Y-%m-%d}", ada.get_sex_display()
    _identity(page, first="Ada", last="Lovelase", born=born, sex=sex)
    page.shot("identity-with-a-typo")
    page.get_by_role("button", name="Check for a record and register").click()

    candidates = page.get_by_test_id("duplicate-candidates")
    expect(candidates).to_contain_text("This patient may already have a record")
    candidate = candidates.get_by_test_id("candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text("Ada Lovelace")
    expect(candidate).to_contain_text("MRN-E2E-0001")
    expect(candidate).to_contain_text("family name (similar)")
    expect(candidate).to_contain_text("date of birth")
    page.shot("candidate-shown")
    assert not Patient.objects.filter(last_name="Lovelase").exists()

    candidate.get_by_role("link", name=re.compile("This is the same person")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    assert page.url.endswith(f"/patients/{ada.pk}/")
    page.shot("existing-record-opened")
    assert not Patient.objects.filter(last_name="Lovelase").exists()


def test_a_new_patient_is_registered_step_by_step_on_a_tablet(page, care_team, desk):
    page.set_viewport_size(TABLET)
    sign_in(page, "front.desk")
    page.goto("/patients/register/")
    _identity(page, first="Katherine", last="Johnson", born="1918-08-26", sex="Female")
    page.get_by_label("Gender identity").select_option(label="Identifies as female gender")
    page.get_by_role("button", name="Check for a record and register").click()
    expect(
        page.get_by_text(re.compile(r"Katherine Johnson is registered as MRN\d{9}"))
    ).to_be_visible()

    expect(page.get_by_role("heading", level=1)).to_contain_text("contact")
    page.get_by_label("Address line").fill("1 Langley Road")
    page.get_by_label("City", exact=True).fill("Hampton")
    page.get_by_label("State", exact=True).select_option(label="Virginia")
    page.get_by_label("Preferred language").select_option(label="English")
    page.get_by_label("Race", exact=True).select_option(label="Black or African American")
    page.get_by_label("Ethnicity").select_option(label="Not Hispanic or Latino")
    page.shot("contact-step-on-a-tablet")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("emergency contacts")
    page.get_by_label("First name").fill("James")
    page.get_by_label("Last name").fill("Johnson")
    page.get_by_label("Relationship").fill("Spouse")
    page.get_by_label("Phone").fill("757-555-0100")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("on-file")).to_contain_text("James Johnson (Spouse)")
    page.shot("emergency-contact-added")
    page.get_by_test_id("step-continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("coverage")
    page.get_by_role("link", name="Finish later").click()
    notice = page.get_by_test_id("registration-unfinished")
    expect(notice).to_contain_text("coverage")
    expect(page.get_by_test_id("section-demographics")).to_contain_text("Black or African American")
    page.shot("chart-offers-the-next-step")
    notice.get_by_role("link", name="Continue registration").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("coverage")
    patient = Patient.objects.get(last_name="Johnson")
    assert (patient.state, patient.preferred_language) == ("VA", "en")
    assert patient.emergency_contacts.get().first_name == "James"


def test_an_administrator_merges_two_records_and_the_chart_shows_both_histories(page, care_team):
    ada = care_team["patient"]
    duplicate = personas.patient_chart(
        first_name="Ada", last_name="Lovelace", mrn="MRN-E2E-0099", date_of_birth=ada.date_of_birth
    )
    duplicate.encounters.update(reason="Broken wrist")
    with_password(
        personas.user_with_role(Role.ADMINISTRATOR, username="admin.merge", is_staff=True)
    )
    sign_in(page, "admin.merge")
    page.goto(f"/patients/{ada.pk}/")
    expect(page.get_by_test_id("section-encounters")).not_to_contain_text("Broken wrist")
    page.get_by_role("link", name="Merge a duplicate").click()
    page.get_by_label("MRN of the duplicate record").fill("MRN-E2E-0099")
    page.get_by_label("Why are these one person?").fill("Same person: registered twice in 2024")
    page.get_by_role("button", name="Show what would move").click()

    preview = page.get_by_test_id("merge-preview")
    expect(preview).to_contain_text("Merged in, then kept deleted: MRN-E2E-0099")
    expect(preview.get_by_test_id("rows-to-move")).to_contain_text("1 encounter")
    page.shot("what-would-move")
    page.get_by_role("button", name="Merge into this record").click()

    expect(page.get_by_text("MRN-E2E-0099 is merged into MRN-E2E-0001")).to_be_visible()
    encounters = page.get_by_test_id("section-encounters")
    expect(encounters).to_contain_text("Chest pain")
    expect(encounters).to_contain_text("Broken wrist")
    expect(page.get_by_test_id("merged-records")).to_contain_text("MRN-E2E-0099")
    page.shot("survivor-with-both-histories")

    page.goto("/patients/")
    page.get_by_label("MRN").fill("MRN-E2E-0099")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=re.compile("Lovelace, Ada"))).to_have_count(1)
    page.shot("old-mrn-finds-the-survivor")
