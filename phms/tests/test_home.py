import pytest
from django.urls import reverse

from core import documents
from patients.notes import note_create

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_post(client, attending_doctor):
    client.force_login(attending_doctor)

    assert client.post(HOME).status_code == 405


def test_it_shows_a_doctor_their_patients_open_encounters_and_notes(
    client, attending_doctor, patient_record, other_patient_record
):
    note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="Doing well today."
    )
    client.force_login(attending_doctor)

    response = client.get(HOME)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="my-patients"' in page and "Lovelace, Ada" in page
    assert "Turing" not in page
    assert 'data-testid="my-encounters"' in page and "Attending" in page
    assert "Doing well today." in page


def test_it_shows_a_nurse_only_notes_she_wrote(
    client, ward_nurse, attending_doctor, patient_record
):
    note_create(patient=patient_record, author=attending_doctor, kind="progress", text="By doc.")
    client.force_login(ward_nurse)

    page = client.get(HOME).content.decode()

    assert "Lovelace, Ada" in page and "Nursing" in page
    assert "By doc." not in page


def test_it_says_when_notes_are_unavailable(client, settings, attending_doctor, patient_record):
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    client.force_login(attending_doctor)

    response = client.get(HOME)

    assert response.status_code == 200
    assert "Notes are unavailable right now" in response.content.decode()
    assert "Lovelace, Ada" in response.content.decode()
    settings.MONGO_URL = ""
    documents.reset_clients()


def test_it_offers_front_desk_to_find_or_register_a_patient(client, front_desk):
    client.force_login(front_desk)

    page = client.get(HOME).content.decode()

    assert reverse("patients:list") in page
    assert reverse("patients:register") in page
    assert 'data-testid="my-patients"' not in page


def test_it_points_billing_to_the_bills(client, billing_clerk):
    client.force_login(billing_clerk)

    page = client.get(HOME).content.decode()

    assert reverse("billing:list") in page
    assert reverse("patients:list") not in page
