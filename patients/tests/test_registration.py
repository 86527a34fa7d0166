"""Registering patients and keeping their demographics, contacts and coverage."""

import pytest
from django.urls import reverse

from patients.models import Coverage, EmergencyContact, Patient
from patients.mrn import is_valid_mrn
from patients.tests.factories import PayerFactory

pytestmark = pytest.mark.django_db

PATIENT_VIEWS = ["patients:edit", "patients:contact_add", "patients:coverage_add"]

NEW_PATIENT = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "date_of_birth": "1986-12-09",
    "sex": "F",
    "ssn": "123-45-6789",
}


def _url(name, patient):
    return reverse(name, kwargs={"pk": patient.pk})


def test_it_sends_anonymous_users_to_the_login_page(client, patient_record):
    for url in [reverse("patients:register")] + [_url(n, patient_record) for n in PATIENT_VIEWS]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_it_refuses_other_methods(client, front_desk, patient_record):
    client.force_login(front_desk)
    for url in [reverse("patients:register")] + [_url(n, patient_record) for n in PATIENT_VIEWS]:
        assert client.put(url).status_code == 405, url
        assert client.delete(url).status_code == 405, url


@pytest.mark.parametrize("name", PATIENT_VIEWS)
@pytest.mark.parametrize("stranger", ["outsider", "doctor_elsewhere"])
def test_it_hides_the_patient_from_strangers(client, request, patient_record, name, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get(_url(name, patient_record)).status_code == 404
    assert client.post(_url(name, patient_record), {}).status_code == 404


@pytest.mark.parametrize("name", PATIENT_VIEWS)
@pytest.mark.parametrize("reader", ["attending_doctor", "ward_nurse", "billing_clerk"])
def test_it_forbids_roles_that_may_only_read_demographics(
    client, request, patient_record, name, reader
):
    client.force_login(request.getfixturevalue(reader))
    assert client.get(_url(name, patient_record)).status_code == 403
    assert client.post(_url(name, patient_record), {}).status_code == 403


@pytest.mark.parametrize("persona", ["attending_doctor", "billing_clerk", "outsider"])
def test_it_lets_only_the_front_desk_register(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("patients:register")).status_code == 403
    assert client.post(reverse("patients:register"), NEW_PATIENT).status_code == 403
    assert not Patient.objects.filter(last_name="Hopper").exists()


def test_it_registers_a_patient_with_a_new_mrn_and_a_protected_ssn(client, front_desk):
    client.force_login(front_desk)
    page = client.get(reverse("patients:register"))
    assert page.status_code == 200
    assert page.content.decode().count("<h1") == 1
    response = client.post(reverse("patients:register"), NEW_PATIENT)
    patient = Patient.objects.get(last_name="Hopper")
    assert response.status_code == 302
    assert response.url == reverse(
        "patients:register_step", kwargs={"pk": patient.pk, "step": "contact"}
    )
    assert is_valid_mrn(patient.mrn), patient.mrn
    assert patient.ssn_last4 == "6789"
    assert patient.reveal_ssn() == "123456789"
    assert patient.history.latest().history_user == front_desk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "not a date"}, "date_of_birth", "Enter a valid date"),
        ({"ssn": "12345"}, "ssn", "nine digits"),
        ({"first_name": ""}, "first_name", "required"),
        ({"sex": "X"}, "sex", "valid choice"),
        ({"gender_identity": "made-up"}, "gender_identity", "valid choice"),
    ],
)
def test_it_shows_bad_registration_input_next_to_the_field(
    client, front_desk, change, field, message
):
    client.force_login(front_desk)
    response = client.post(reverse("patients:register"), {**NEW_PATIENT, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert not Patient.objects.filter(last_name="Hopper").exists()


def test_it_edits_demographics_and_keeps_the_ssn_when_left_empty(
    client, front_desk, patient_record
):
    patient_record.set_ssn("987-65-4321")
    patient_record.save()
    client.force_login(front_desk)
    page = client.get(_url("patients:edit", patient_record)).content.decode()
    assert "***-**-4321" in page
    assert "987654321" not in page
    data = {
        "first_name": patient_record.first_name,
        "last_name": "Byron",
        "date_of_birth": patient_record.date_of_birth.isoformat(),
        "sex": patient_record.sex,
    }
    for change, field, message in (
        ({"date_of_death": "1900-01-01"}, "date_of_death", "before the birth"),
        ({"email": "nope"}, "email", "valid email"),
        ({"state": "Atlantis"}, "state", "valid choice"),
    ):
        refused = client.post(_url("patients:edit", patient_record), {**data, **change})
        assert message in " ".join(refused.context["form"].errors[field])
    response = client.post(_url("patients:edit", patient_record), data)
    assert response.status_code == 302
    assert response.url.endswith("#demographics-heading")
    patient_record.refresh_from_db()
    assert patient_record.last_name == "Byron"
    assert patient_record.reveal_ssn() == "987654321"
    assert patient_record.history.latest().history_user == front_desk


def test_it_adds_an_emergency_contact(client, front_desk, patient_record):
    client.force_login(front_desk)
    url = _url("patients:contact_add", patient_record)
    bad = client.post(url, {"first_name": "Mary", "last_name": "Somerville"})
    assert "phone" in bad.context["form"].errors
    response = client.post(
        url,
        {
            "first_name": "Mary",
            "last_name": "Somerville",
            "relationship": "Friend",
            "phone": "617-555-0101",
        },
    )
    assert response.status_code == 302
    contact = EmergencyContact.objects.get(patient=patient_record, last_name="Somerville")
    assert contact.history.latest().history_user == front_desk


def test_it_adds_coverage_and_checks_the_period(client, front_desk, patient_record):
    payer = PayerFactory(name="Blue Cross")
    client.force_login(front_desk)
    url = _url("patients:coverage_add", patient_record)
    data = {"payer": payer.pk, "member_id": "BC-1", "start_date": "2024-01-01", "ownership": "self"}
    bad = client.post(url, {**data, "end_date": "2023-01-01"})
    assert bad.status_code == 200
    assert "end_date" in bad.context["form"].errors
    assert not Coverage.objects.filter(patient=patient_record).exists()
    response = client.post(url, data)
    assert response.status_code == 302
    coverage = Coverage.objects.get(patient=patient_record)
    assert (coverage.payer, coverage.member_id) == (payer, "BC-1")
    assert coverage.history.latest().history_user == front_desk


def test_it_undoes_a_deleted_emergency_contact(client, front_desk, patient_record):
    contact = patient_record.emergency_contacts.get()
    kwargs = {"pk": patient_record.pk, "kind": "emergency-contact", "record_pk": contact.pk}
    client.force_login(front_desk)
    client.post(reverse("patients:record_delete", kwargs=kwargs), {"reason": "Moved away"})
    assert not EmergencyContact.objects.filter(pk=contact.pk).exists()
    client.post(reverse("patients:record_restore", kwargs=kwargs))
    assert EmergencyContact.objects.filter(pk=contact.pk).exists()


def test_an_optional_coded_field_reads_not_recorded_and_a_required_one_does_not():
    from patients.forms import IdentityForm

    fields = IdentityForm().fields
    assert fields["gender_identity"].choices[0] == ("", "Not recorded")
    assert ("", "Not recorded") not in list(fields["sex"].choices)
