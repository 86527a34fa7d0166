"""Correcting and deleting a vaccination from the chart, with Undo of a deletion."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse

from core import documents
from core.documents import DocumentStoreUnavailable
from patients import vaccinations

pytestmark = pytest.mark.django_db

RECORDED = {
    "vaccine": "Influenza, seasonal",
    "cvx_code": "140",
    "dose_number": 1,
    "date": date(2024, 10, 1),
    "lot": "L1",
    "site": "left deltoid",
    "administered_by": "Nurse Joy",
}


@pytest.fixture
def event(patient_record, ward_nurse):
    return vaccinations.vaccination_record(patient=patient_record, by=ward_nurse, **RECORDED)


def _url(name, patient, event_id):
    return reverse(f"patients:{name}", kwargs={"pk": patient.pk, "event_id": event_id})


def _form_data(**changes):
    data = {**RECORDED, "date": "2024-10-01", "status": "completed", "reason": "Lot misread"}
    return {**data, **changes}


def _message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _stored_event(patient, event_id):
    stored = documents.collection(documents.VACCINATIONS).find_one({"patient_id": patient.pk})
    return next(e for e in stored["events"] if e["id"] == event_id)


def _store_down(*args, **kwargs):
    raise DocumentStoreUnavailable("down")


# The chart's vaccination rows --------------------------------------------------------------


def _rows(patient, events, *, vitals):
    context = {
        "patient": patient,
        "vaccinations": events,
        "actions": {
            "vitals": vitals,
            "clinical": False,
            "notes": vitals,
            "demographics": False,
            "delete": vitals,
        },
    }
    return render_to_string("patients/partials/chart_documents.html", context)


def test_it_links_each_vaccination_row_to_correct_and_delete_for_clinicians(
    patient_record, event, ward_nurse
):
    vaccinations.vaccination_correct(
        patient=patient_record,
        event_id=event["id"],
        changes={"lot": "L2"},
        reason="r",
        by=ward_nurse,
    )
    events = vaccinations.vaccinations_for_patient(patient_record.pk)
    html = _rows(patient_record, events, vitals=True)
    assert f'href="{_url("vaccination_correct", patient_record, event["id"])}"' in html
    assert f'href="{_url("vaccination_delete", patient_record, event["id"])}"' in html
    assert "corrected 1 time" in html
    assert "csrfmiddlewaretoken" not in html  # the section may be cached: no per-request data
    read_only = _rows(patient_record, events, vitals=False)
    assert "/correct/" not in read_only and "/delete/" not in read_only
    assert "corrected 1 time" in read_only


def test_it_shows_no_correction_count_on_rows_never_corrected(patient_record, event):
    events = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert "corrected" not in _rows(patient_record, events, vitals=True)


# Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vaccination_correct", "vaccination_delete"])
def test_it_sends_anonymous_users_to_sign_in(client, patient_record, event, name):
    response = client.get(_url(name, patient_record, event["id"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name", ["vaccination_correct", "vaccination_delete", "vaccination_restore"]
)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("front_desk", 403), ("billing_clerk", 403), ("doctor_elsewhere", 404), ("outsider", 404)],
)
def test_it_refuses_who_may_not_record_vaccinations(
    client, request, patient_record, event, ward_nurse, name, persona, status
):
    if name == "vaccination_restore":
        vaccinations.vaccination_delete(
            patient=patient_record, event_id=event["id"], reason="Duplicate", by=ward_nurse
        )
    client.force_login(request.getfixturevalue(persona))
    url = _url(name, patient_record, event["id"])
    if name != "vaccination_restore":
        assert client.get(url).status_code == status
    assert client.post(url, _form_data(lot="HACKED")).status_code == status
    stored = _stored_event(patient_record, event["id"])
    assert stored["lot"] == "L1" and stored["corrections"] == []
    assert (stored["deleted_at"] is None) == (name != "vaccination_restore")


def test_it_takes_only_posts_to_restore(client, ward_nurse, patient_record, event):
    client.force_login(ward_nurse)
    assert client.get(_url("vaccination_restore", patient_record, event["id"])).status_code == 405


# Correcting ----------------------------------------------------------------------------------


def test_it_prefills_the_correction_form_with_the_recorded_values(
    client, ward_nurse, patient_record, event
):
    client.force_login(ward_nurse)
    response = client.get(_url("vaccination_correct", patient_record, event["id"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="L1"' in html and 'value="2024-10-01"' in html and 'value="140"' in html
    assert "Reason for the correction" in html
    assert response.context["form"].initial["administered_by"] == "Nurse Joy"


def test_it_corrects_only_the_changed_fields_and_keeps_the_earlier_values(
    client, attending_doctor, patient_record, event, monkeypatch
):
    sent = []
    real = vaccinations.vaccination_correct

    def spy(**kwargs):
        sent.append(kwargs["changes"])
        return real(**kwargs)

    monkeypatch.setattr(vaccinations, "vaccination_correct", spy)
    client.force_login(attending_doctor)
    response = client.post(
        _url("vaccination_correct", patient_record, event["id"]),
        _form_data(lot="L2", dose_number="2", reason="Lot and dose misread"),
    )
    assert response.status_code == 302
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    assert response.url == f"{chart}#vaccinations-heading"
    assert sent == [{"lot": "L2", "dose_number": 2}]
    (corrected,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert corrected["lot"] == "L2" and corrected["dose_number"] == 2
    (correction,) = corrected["corrections"]
    assert correction["previous"] == {"lot": "L1", "dose_number": 1}
    assert correction["reason"] == "Lot and dose misread"
    assert correction["by_id"] == attending_doctor.pk
    assert "corrected" in _message_texts(response)[0]


def test_it_shows_earlier_corrections_on_the_correction_page(
    client, ward_nurse, patient_record, event
):
    vaccinations.vaccination_correct(
        patient=patient_record,
        event_id=event["id"],
        changes={"dose_number": 2},
        reason="Second dose",
        by=ward_nurse,
    )
    client.force_login(ward_nurse)
    html = client.get(_url("vaccination_correct", patient_record, event["id"])).content.decode()
    assert "Earlier corrections" in html and "Second dose" in html and "dose number 1" in html


def test_it_treats_a_cvx_code_without_its_leading_zero_as_unchanged(
    client, ward_nurse, patient_record
):
    hep_b = vaccinations.vaccination_record(
        patient=patient_record, **{**RECORDED, "vaccine": "Hep B", "cvx_code": "08"}
    )
    client.force_login(ward_nurse)
    response = client.post(
        _url("vaccination_correct", patient_record, hep_b["id"]),
        _form_data(vaccine="Hep B", cvx_code="8"),
    )
    assert response.status_code == 200
    assert "Nothing is changed" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Give a reason for the change."),
        ({"lot": "L2", "reason": ""}, "reason", "Give a reason for the change."),
        ({"cvx_code": "ABC"}, "cvx_code", "1 to 3 digits"),
        ({"date": "2999-01-01"}, "date", "cannot be in the future"),
        ({"dose_number": "0"}, "dose_number", "Dose number must be between 1 and 20."),
        ({"status": "maybe"}, "status", "Select a valid choice"),
        ({}, None, "Nothing is changed"),
    ],
)
def test_it_shows_bad_corrections_next_to_the_field_and_changes_nothing(
    client, ward_nurse, patient_record, event, changes, field, message
):
    client.force_login(ward_nurse)
    response = client.post(
        _url("vaccination_correct", patient_record, event["id"]), _form_data(**changes)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    shown = errors[field] if field else response.context["form"].non_field_errors()
    assert message in " ".join(shown)
    stored = _stored_event(patient_record, event["id"])
    assert stored["corrections"] == [] and stored["lot"] == "L1"


def test_it_keeps_the_correction_when_the_document_store_is_down(
    client, ward_nurse, patient_record, event, monkeypatch
):
    monkeypatch.setattr(vaccinations, "vaccination_correct", _store_down)
    client.force_login(ward_nurse)
    response = client.post(
        _url("vaccination_correct", patient_record, event["id"]),
        _form_data(lot="L-KEEP-ME", reason="Keep this reason"),
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert "The vaccination was not changed: the document store is unavailable" in html
    assert 'value="L-KEEP-ME"' in html and "Keep this reason" in html


@pytest.mark.parametrize("name", ["vaccination_correct", "vaccination_delete"])
def test_it_says_so_when_the_vaccination_cannot_be_read(
    client, ward_nurse, patient_record, event, monkeypatch, name
):
    monkeypatch.setattr(vaccinations, "vaccinations_for_patient", _store_down)
    client.force_login(ward_nurse)
    url = _url(name, patient_record, event["id"])
    response = client.get(url)
    assert response.status_code == 503
    assert "The vaccination cannot be shown" in response.content.decode()
    posted = client.post(url, _form_data(lot="L9", reason="Typed while the store was down"))
    assert posted.status_code == 503
    assert "Typed while the store was down" in posted.content.decode()


# Deleting and Undo ---------------------------------------------------------------------------


def test_it_deletes_with_a_reason_and_undoes(client, ward_nurse, patient_record, event):
    client.force_login(ward_nurse)
    url = _url("vaccination_delete", patient_record, event["id"])
    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "You are about to delete this vaccination" in page and "Influenza, seasonal" in page
    assert "Reason for the deletion" in page

    response = client.post(url, {"reason": "Recorded in the wrong chart"})
    assert response.status_code == 302
    assert response.url.endswith("#vaccinations-heading")
    assert vaccinations.vaccinations_for_patient(patient_record.pk) == []
    stored = _stored_event(patient_record, event["id"])
    assert stored["delete_reason"] == "Recorded in the wrong chart"
    assert stored["deleted_by_id"] == ward_nurse.pk
    (message,) = _message_texts(response)
    restore_url = _url("vaccination_restore", patient_record, event["id"])
    assert message.startswith("The vaccination is deleted.")
    assert f'<form method="post" action="{restore_url}"' in message and ">Undo</button>" in message

    undone = client.post(restore_url)
    assert undone.status_code == 302 and undone.url.endswith("#vaccinations-heading")
    assert _message_texts(undone)[-1] == "The vaccination is restored."
    (back,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert back["id"] == event["id"] and back["lot"] == "L1"
    (restoration,) = _stored_event(patient_record, event["id"])["restorations"]
    assert restoration["delete_reason"] == "Recorded in the wrong chart"
    assert restoration["by_id"] == ward_nurse.pk
    assert client.post(restore_url).status_code == 404  # nothing deleted to bring back


def test_it_asks_for_a_reason_before_deleting(client, ward_nurse, patient_record, event):
    client.force_login(ward_nurse)
    response = client.post(_url("vaccination_delete", patient_record, event["id"]), {"reason": " "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert len(vaccinations.vaccinations_for_patient(patient_record.pk)) == 1


def test_it_keeps_the_reason_when_the_store_is_down_while_deleting(
    client, ward_nurse, patient_record, event, monkeypatch
):
    monkeypatch.setattr(vaccinations, "vaccination_delete", _store_down)
    client.force_login(ward_nurse)
    response = client.post(
        _url("vaccination_delete", patient_record, event["id"]), {"reason": "Duplicate entry"}
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert "The vaccination was not changed: the document store is unavailable" in html
    assert "Duplicate entry" in html


def test_it_offers_to_try_the_undo_again_when_the_store_is_down(
    client, ward_nurse, patient_record, event, monkeypatch
):
    vaccinations.vaccination_delete(
        patient=patient_record, event_id=event["id"], reason="Duplicate", by=ward_nurse
    )
    monkeypatch.setattr(vaccinations, "vaccination_restore", _store_down)
    client.force_login(ward_nurse)
    restore_url = _url("vaccination_restore", patient_record, event["id"])
    response = client.post(restore_url)
    assert response.status_code == 302
    (message,) = _message_texts(response)
    assert "was not restored" in message
    assert f'action="{restore_url}"' in message and ">Try again</button>" in message


# Id tampering --------------------------------------------------------------------------------


def test_it_answers_404_to_another_patients_vaccination(
    client, ward_nurse, doctor_elsewhere, patient_record, other_patient_record, event
):
    theirs = vaccinations.vaccination_record(patient=other_patient_record, **RECORDED)
    client.force_login(ward_nurse)
    for name in ("vaccination_correct", "vaccination_delete"):
        url = _url(name, patient_record, theirs["id"])
        assert client.get(url).status_code == 404
        assert client.post(url, _form_data(lot="HACKED")).status_code == 404
    vaccinations.vaccination_delete(
        patient=other_patient_record, event_id=theirs["id"], reason="Dup", by=doctor_elsewhere
    )
    restore = _url("vaccination_restore", patient_record, theirs["id"])
    assert client.post(restore).status_code == 404
    stored = _stored_event(other_patient_record, theirs["id"])
    assert stored["deleted_at"] is not None and stored["lot"] == "L1"
    assert stored["corrections"] == [] and "restorations" not in stored


def test_it_answers_404_to_an_unknown_or_deleted_vaccination(
    client, ward_nurse, patient_record, event
):
    client.force_login(ward_nurse)
    for name in ("vaccination_correct", "vaccination_delete"):
        assert client.get(_url(name, patient_record, "no-such-event")).status_code == 404
    assert client.post(_url("vaccination_restore", patient_record, "nope")).status_code == 404
    vaccinations.vaccination_delete(
        patient=patient_record, event_id=event["id"], reason="Dup", by=ward_nurse
    )
    assert client.get(_url("vaccination_correct", patient_record, event["id"])).status_code == 404
