"""Change requests: waiting for review in the portal, accepted or declined by front desk."""

import pytest
from django.urls import reverse

from patients.models import EmergencyContact, Patient
from portal.models import ChangeRequest

pytestmark = pytest.mark.django_db


def ask(client, kind, data):
    return client.post(reverse("portal:change_request", kwargs={"kind": kind}), data)


def test_it_shows_a_request_as_waiting_for_review_and_changes_nothing_yet(portal, patient_record):
    old_phone = patient_record.phone

    response = ask(portal, "phone", {"phone": "+1 617 555 0142"})

    assert response.status_code == 302
    page = portal.get(reverse("portal:details")).content.decode()
    assert "Waiting for review" in page and "+1 617 555 0142" in page
    patient_record.refresh_from_db()
    assert patient_record.phone == old_phone


@pytest.mark.parametrize("phone", ["call me", "12", "+1 617 555 0142 ext. 9", "1" * 20])
def test_it_refuses_an_invalid_phone_with_a_message(portal, phone):
    response = ask(portal, "phone", {"phone": phone})

    assert response.status_code == 200
    assert "This is not a phone number we can call" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_it_refuses_a_second_request_of_the_same_kind_while_one_waits(portal):
    ask(portal, "phone", {"phone": "+1 617 555 0142"})

    response = ask(portal, "phone", {"phone": "+1 617 555 0143"})

    assert "already waiting for review" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


def test_it_answers_404_to_an_unknown_kind(portal):
    assert portal.get(reverse("portal:change_request", kwargs={"kind": "ssn"})).status_code == 404


def test_it_lands_in_the_review_queue(portal, client, front_desk, patient_record):
    ask(portal, "email", {"email": "ada@example.org"})
    client.force_login(front_desk)

    page = client.get(reverse("portal:review_queue")).content.decode()

    assert "Lovelace, Ada" in page and "ada@example.org" in page


def test_it_applies_an_accepted_request_with_history_naming_the_patient(
    portal, client, front_desk, patient_user, patient_record
):
    ask(portal, "phone", {"phone": "+1 617 555 0142"})
    change = ChangeRequest.objects.get()
    client.force_login(front_desk)

    response = client.post(
        reverse("portal:review", kwargs={"request_pk": change.pk}), {"decision": "accept"}
    )

    assert response.status_code == 302
    patient_record.refresh_from_db()
    assert patient_record.phone == "+1 617 555 0142"
    latest = Patient.history.filter(id=patient_record.pk).latest("history_date")
    assert latest.history_user == patient_user
    assert "Requested in the portal" in latest.history_change_reason
    change.refresh_from_db()
    assert change.status == "accepted" and change.reviewed_by == front_desk
    page = portal.get(reverse("portal:details")).content.decode()
    assert "Accepted" in page


def test_it_shows_the_patient_why_a_request_was_declined(
    portal, client, front_desk, patient_record
):
    ask(
        portal,
        "address",
        {"address_line": "1 Main St", "city": "Boston", "state": "MA", "postal_code": "02101"},
    )
    change = ChangeRequest.objects.get()
    client.force_login(front_desk)
    url = reverse("portal:review", kwargs={"request_pk": change.pk})

    no_reason = client.post(url, {"decision": "decline", "reason": ""})
    declined = client.post(url, {"decision": "decline", "reason": "Please bring proof of address."})

    assert "Tell the patient why" in no_reason.content.decode()
    assert declined.status_code == 302
    patient_record.refresh_from_db()
    assert patient_record.address_line != "1 Main St"
    page = portal.get(reverse("portal:details")).content.decode()
    assert "Declined" in page and "Please bring proof of address." in page


def test_it_adds_and_removes_emergency_contacts_once_accepted(
    portal, client, front_desk, patient_record
):
    ask(
        portal,
        "contact-add",
        {
            "first_name": "Ann",
            "last_name": "Byron",
            "relationship": "mother",
            "phone": "617-555-0100",
        },
    )
    existing = EmergencyContact.objects.filter(patient=patient_record).first()
    ask(portal, "contact-remove", {"contact": existing.pk})
    client.force_login(front_desk)

    for change in ChangeRequest.objects.all():
        client.post(
            reverse("portal:review", kwargs={"request_pk": change.pk}), {"decision": "accept"}
        )

    names = set(
        EmergencyContact.objects.filter(patient=patient_record).values_list("last_name", flat=True)
    )
    assert names == {"Byron"}


def test_it_refuses_to_remove_another_patients_contact(portal, other_patient_record):
    contact = EmergencyContact.objects.filter(patient=other_patient_record).first()

    response = ask(portal, "contact-remove", {"contact": contact.pk})

    assert response.status_code == 200
    assert "Choose one of your emergency contacts." in response.content.decode()


def test_it_does_not_review_a_request_twice(portal, client, front_desk):
    ask(portal, "phone", {"phone": "+1 617 555 0142"})
    change = ChangeRequest.objects.get()
    client.force_login(front_desk)
    url = reverse("portal:review", kwargs={"request_pk": change.pk})
    client.post(url, {"decision": "accept"})

    again = client.post(url, {"decision": "decline", "reason": "No."})

    assert again.status_code == 200
    assert "already reviewed" in again.content.decode()
    change.refresh_from_db()
    assert change.status == "accepted"


def test_it_refuses_the_review_page_to_clinicians(client, attending_doctor, portal):
    ask(portal, "phone", {"phone": "+1 617 555 0142"})
    client.force_login(attending_doctor)

    url = reverse("portal:review", kwargs={"request_pk": ChangeRequest.objects.get().pk})
    assert client.get(url).status_code == 403


def test_it_asks_for_a_state_from_the_list(portal):
    address = {"address_line": "1 Main St", "city": "Boston", "postal_code": "02101"}
    response = ask(portal, "address", {**address, "state": "Massachusetts"})

    assert response.status_code == 200
    assert "Choose a state from the list." in response.content.decode()
    assert not ChangeRequest.objects.exists()
