"""The chart's change history: every clinical record kind, who, when, what changed and why;
every delete with its reason; note versions; constant queries."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import services
from patients.models import Diagnosis, Encounter
from patients.notes import note_amend, note_create
from patients.selectors import patient_change_history
from patients.tests.factories import (
    AllergyFactory,
    CoverageFactory,
    DiagnosisFactory,
    EmergencyContactFactory,
    EncounterFactory,
    LabResultFactory,
    PrescriptionFactory,
    SymptomFactory,
    VitalSignsFactory,
)

pytestmark = pytest.mark.django_db

KINDS = (
    "Patient record",
    "Emergency contact",
    "Coverage",
    "Encounter",
    "Care team",
    "Vital signs",
    "Symptom",
    "Diagnosis",
    "Lab result",
    "Prescription",
    "Allergy",
)


def _chart(patient):
    return reverse("patients:chart", kwargs={"pk": patient.pk})


def _kinds(entries) -> set[str]:
    return {kind for entry in entries for kind in KINDS if entry.what.startswith(kind)}


def test_it_shows_every_clinical_record_kind(patient_record, attending_doctor):
    CoverageFactory(patient=patient_record)
    AllergyFactory(patient=patient_record)

    assert _kinds(patient_change_history(patient_record, limit=100)) == set(KINDS)


def test_it_says_who_changed_what(patient_record, front_desk):
    services.patient_update(patient=patient_record, by=front_desk, phone="+1 617 555 0100")

    latest = patient_change_history(patient_record)[0]

    assert latest.what == "Patient record"
    assert latest.action == "Changed"
    assert latest.changed == ("phone",)
    assert latest.who == front_desk.get_username()


def test_each_change_names_only_what_that_change_touched(patient_record, front_desk):
    services.patient_update(patient=patient_record, by=front_desk, phone="+1 617 555 0100")
    services.patient_update(patient=patient_record, by=front_desk, email="ada@example.org")
    services.patient_update(
        patient=patient_record, by=front_desk, phone="+1 617 555 0199", city="Salem"
    )

    changes = [
        entry for entry in patient_change_history(patient_record) if entry.action == "Changed"
    ]

    assert [entry.changed for entry in changes[:3]] == [
        ("city", "phone"),
        ("email",),
        ("phone",),
    ]


def test_it_keeps_the_reason_of_every_delete_and_shows_the_restore(
    client, patient_record, attending_doctor
):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)
    url = reverse(
        "patients:record_delete",
        kwargs={"pk": patient_record.pk, "kind": "diagnosis", "record_pk": diagnosis.pk},
    )
    client.post(url, {"reason": "Entered in error: wrong patient"})

    deleted = patient_change_history(patient_record)[0]
    assert (deleted.action, deleted.reason) == ("Deleted", "Entered in error: wrong patient")
    assert deleted.what.startswith("Diagnosis") and deleted.changed == ()
    assert deleted.who == attending_doctor.get_username()
    html = client.get(_chart(patient_record)).content.decode()
    history = html.split('data-testid="change-history"')[1].split("</table>")[0]
    assert "Entered in error: wrong patient" in history

    services.record_restore(record=Diagnosis.all_objects.get(pk=diagnosis.pk), by=attending_doctor)
    assert patient_change_history(patient_record)[0].action == "Restored"


def test_it_needs_a_reason_within_the_history_column_to_delete(
    client, patient_record, attending_doctor
):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)
    url = reverse(
        "patients:record_delete",
        kwargs={"pk": patient_record.pk, "kind": "diagnosis", "record_pk": diagnosis.pk},
    )

    for reason, message in (
        ("", "Give the reason for the deletion."),
        ("   ", "Give the reason for the deletion."),
        ("x" * 101, "at most 100 characters"),
    ):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()
    assert client.post(url, {"reason": "x" * 100}).status_code == 302

    encounter = Encounter.objects.get(patient=patient_record)
    for reason in ("", "y" * 101):
        with pytest.raises(ValidationError) as refused:
            services.record_soft_delete(record=encounter, by=attending_doctor, reason=reason)
        assert "reason" in refused.value.message_dict
    assert Encounter.objects.filter(pk=encounter.pk).exists()


def test_it_shows_a_notes_original_text_and_every_amendment(
    client, patient_record, attending_doctor
):
    note = note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="BP 140/90"
    )
    for text, reason in (("BP 130/90", "Typo in systolic"), ("BP 130/85", "Diastolic misread")):
        note_amend(
            patient=patient_record,
            note_id=note["id"],
            author=attending_doctor,
            text=text,
            reason=reason,
        )
    client.force_login(attending_doctor)

    html = client.get(_chart(patient_record)).content.decode()

    versions = html.split('data-testid="note-versions"')[1].split("</details>")[0]
    assert "amended 2 times" in versions
    for text in ("BP 140/90", "BP 130/90", "BP 130/85", "Typo in systolic", "Diastolic misread"):
        assert text in versions


def _add_records(patient, count):
    encounter = EncounterFactory(patient=patient)
    for _ in range(count):
        EmergencyContactFactory(patient=patient)
        CoverageFactory(patient=patient)
        AllergyFactory(patient=patient)
        VitalSignsFactory(encounter=encounter)
        SymptomFactory(encounter=encounter)
        DiagnosisFactory(encounter=encounter)
        LabResultFactory(encounter=encounter)
        PrescriptionFactory(encounter=encounter)


def _history_queries(patient) -> int:
    with CaptureQueriesContext(connection) as captured:
        patient_change_history(patient)
    return len(captured.captured_queries)


def test_it_reads_the_history_in_as_many_queries_at_twenty_records_as_at_two(
    client, patient_record, attending_doctor, django_assert_max_num_queries
):
    _add_records(patient_record, 2)
    few = _history_queries(patient_record)
    client.force_login(attending_doctor)
    cache.clear()
    with CaptureQueriesContext(connection) as page_few:
        client.get(_chart(patient_record))

    _add_records(patient_record, 18)

    assert _history_queries(patient_record) == few
    cache.clear()
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert client.get(_chart(patient_record)).status_code == 200
