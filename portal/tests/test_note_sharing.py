"""A note marked "not shared in the portal" stays out of the portal; the chart says so."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.notes import note_create, notes_for_patient

pytestmark = pytest.mark.django_db


def write_note(client, patient, **data):
    values = {"encounter": patient.encounters.first().pk, "kind": "progress", "text": "Plain note."}
    values.update(data)
    return client.post(reverse("patients:note_add", kwargs={"pk": patient.pk}), values)


def test_it_lets_the_author_keep_a_note_out_of_the_portal_with_a_reason(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)

    response = write_note(
        client,
        patient_record,
        text="Suspected abuse; social work informed.",
        not_shared="on",
        not_shared_reason="Could put the patient at risk at home",
    )

    assert response.status_code == 302
    (note,) = notes_for_patient(patient_record.pk)
    assert note["shared_in_portal"] is False
    assert note["not_shared_reason"] == "Could put the patient at risk at home"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"not_shared": "on"}, "Say why the patient should not see this note."),
        ({"not_shared_reason": "Because"}, "Tick this box too"),
    ],
)
def test_it_asks_for_a_reason_with_the_choice(
    client, attending_doctor, patient_record, data, message
):
    client.force_login(attending_doctor)

    response = write_note(client, patient_record, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert notes_for_patient(patient_record.pk) == []


def test_it_shares_notes_by_default(attending_doctor, patient_record):
    note = note_create(patient=patient_record, author=attending_doctor, kind="progress", text="Hi.")

    assert note["shared_in_portal"] is True and note["not_shared_reason"] == ""


def test_it_limits_the_reason(attending_doctor, patient_record):
    with pytest.raises(ValidationError):
        note_create(
            patient=patient_record,
            author=attending_doctor,
            kind="progress",
            text="Hi.",
            not_shared_reason="x" * 501,
        )


def test_it_hides_the_note_from_the_portal_list_and_its_page(
    portal, attending_doctor, patient_record
):
    shared = note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="Shared text."
    )
    hidden = note_create(
        patient=patient_record,
        author=attending_doctor,
        kind="progress",
        text="Hidden text.",
        not_shared_reason="Pending a difficult conversation",
    )

    listing = portal.get(reverse("portal:notes")).content.decode()
    shared_page = portal.get(reverse("portal:note", kwargs={"note_id": shared["id"]}))
    hidden_page = portal.get(reverse("portal:note", kwargs={"note_id": hidden["id"]}))

    assert "Shared text." in listing and "Hidden text." not in listing
    assert shared_page.status_code == 200
    assert hidden_page.status_code == 404
    visit = reverse("portal:visit", kwargs={"encounter_pk": patient_record.encounters.first().pk})
    assert "Pending a difficult" not in portal.get(visit).content.decode()


def test_it_shows_the_clinician_which_notes_are_hidden_and_why(
    client, attending_doctor, patient_record
):
    note_create(
        patient=patient_record,
        author=attending_doctor,
        kind="progress",
        text="Hidden text.",
        not_shared_reason="Pending a difficult conversation",
    )
    note_create(patient=patient_record, author=attending_doctor, kind="progress", text="Shared.")
    client.force_login(attending_doctor)

    page = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk})).content.decode()

    assert page.count('data-testid="note-not-shared"') == 1
    assert "Not shared in the portal" in page and "Pending a difficult conversation" in page
