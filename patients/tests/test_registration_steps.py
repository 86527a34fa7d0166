"""Registration after identity: contact, emergency contacts, coverage, portal, check-in."""

import pytest
from django.urls import reverse

from patients.models import RegistrationStep
from patients.tests.factories import PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return PatientFactory(
        first_name="Grace", last_name="Hopper", registration_step=RegistrationStep.CONTACT
    )


def _step(patient, step):
    return reverse("patients:register_step", kwargs={"pk": patient.pk, "step": step})


CONTACT = {
    "address_line": "1 Navy Yard",
    "city": "Boston",
    "state": "MA",
    "postal_code": "02129",
    "phone": "617-555-0199",
    "email": "grace@example.org",
    "preferred_language": "en",
    "marital_status": "S",
    "race": "2106-3",
    "ethnicity": "2186-5",
}


def test_it_walks_every_step_and_saves_each_one(client, front_desk, newcomer):
    client.force_login(front_desk)
    bad = client.post(_step(newcomer, "contact"), {**CONTACT, "state": "Atlantis"})
    assert "valid choice" in " ".join(bad.context["form"].errors["state"])
    response = client.post(_step(newcomer, "contact"), CONTACT)
    assert response.url == _step(newcomer, "emergency_contacts")
    newcomer.refresh_from_db()
    assert (newcomer.state, newcomer.race, newcomer.preferred_language) == ("MA", "2106-3", "en")
    assert newcomer.registration_step == RegistrationStep.EMERGENCY_CONTACTS

    contact = {"first_name": "Mary", "last_name": "Hopper", "relationship": "Mother"}
    added = client.post(_step(newcomer, "emergency_contacts"), {**contact, "phone": "617-555-0100"})
    assert added.url == _step(newcomer, "emergency_contacts")
    page = client.get(_step(newcomer, "emergency_contacts")).content.decode()
    assert "Mary Hopper (Mother)" in page
    assert client.post(_step(newcomer, "emergency_contacts"), {"done": "1"}).url == _step(
        newcomer, "coverage"
    )

    payer = PayerFactory(name="Blue Cross")
    coverage = {"payer": payer.pk, "member_id": "BC-9", "start_date": "2026-01-01"}
    client.post(_step(newcomer, "coverage"), {**coverage, "ownership": "self"})
    assert newcomer.coverages.get().member_id == "BC-9"
    assert client.post(_step(newcomer, "coverage"), {"done": "1"}).url == _step(newcomer, "portal")

    portal = client.get(_step(newcomer, "portal")).content.decode()
    assert reverse("portal:invitation", kwargs={"pk": newcomer.pk}) in portal
    assert client.post(_step(newcomer, "portal"), {"done": "1"}).url == _step(newcomer, "check_in")
    check_in = client.get(_step(newcomer, "check_in")).content.decode()
    assert f"{reverse('scheduling:walk_in')}?patient={newcomer.pk}" in check_in
    finished = client.post(_step(newcomer, "check_in"), {"done": "1"})
    assert finished.url == reverse("patients:chart", kwargs={"pk": newcomer.pk})
    newcomer.refresh_from_db()
    assert newcomer.registration_step == RegistrationStep.DONE


def test_the_chart_offers_the_next_step_until_registration_is_finished(
    client, front_desk, newcomer
):
    client.force_login(front_desk)
    chart = client.get(reverse("patients:chart", kwargs={"pk": newcomer.pk})).content.decode()
    assert 'data-testid="registration-unfinished"' in chart
    assert _step(newcomer, "contact") in chart
    client.post(_step(newcomer, "contact"), CONTACT)
    chart = client.get(reverse("patients:chart", kwargs={"pk": newcomer.pk})).content.decode()
    assert _step(newcomer, "emergency_contacts") in chart
    # A step done earlier can be revisited without losing the progress.
    client.post(_step(newcomer, "contact"), CONTACT)
    newcomer.refresh_from_db()
    assert newcomer.registration_step == RegistrationStep.EMERGENCY_CONTACTS


def test_a_registered_patient_shows_no_registration_notice(client, front_desk, patient_record):
    client.force_login(front_desk)
    chart = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    assert 'data-testid="registration-unfinished"' not in chart.content.decode()


def test_the_steps_are_for_the_front_desk_only(
    client, newcomer, front_desk, attending_doctor, outsider
):
    url = _step(newcomer, "contact")
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(front_desk)
    assert client.put(url).status_code == 405
    assert client.get(_step(newcomer, "nonsense")).status_code == 404
    assert client.get(_step(newcomer, "done")).status_code == 404


def test_a_clinician_may_not_register(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    assert client.get(_step(patient_record, "contact")).status_code == 403
    assert client.post(_step(patient_record, "contact"), {"done": "1"}).status_code == 403
