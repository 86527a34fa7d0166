"""The whole document API against whatever MONGO_URL is set (embedded store when unset)."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from core import documents
from patients.document_schemas import MAX_NOTE_BYTES, NoteKind, VaccinationStatus
from patients.models import Encounter, Patient
from patients.notes import (
    note_amend,
    note_create,
    notes_for_patient,
    notes_import_many,
    notes_search,
)
from patients.vaccinations import (
    vaccination_correct,
    vaccination_delete,
    vaccination_record,
    vaccination_restore,
    vaccinations_for_patient,
    vaccinations_import_many,
)

pytestmark = [pytest.mark.documents, pytest.mark.django_db]


def make_patient(mrn="MRN-1", **fields) -> Patient:
    defaults = {"first_name": "Ada", "last_name": "Lovelace", "sex": "F",
                "date_of_birth": date(1980, 5, 1)}
    return Patient.objects.create(mrn=mrn, **{**defaults, **fields})


@pytest.fixture
def doctor():
    return get_user_model().objects.create_user(
        "dr_house", password="x", first_name="Greg", last_name="House"
    )


@pytest.fixture
def patient():
    return make_patient()


@pytest.fixture(autouse=True)
def _indexes():
    call_command("ensure_documents", stdout=io.StringIO())


def test_it_creates_and_lists_notes_newest_first(patient, doctor):
    encounter = Encounter.objects.create(patient=patient, admitted_at=timezone.now())
    old = note_create(patient=patient, author=doctor, kind=NoteKind.ADMISSION, text="Admitted.",
                      created_at=timezone.now() - timedelta(days=2))
    new = note_create(patient=patient, author=doctor, kind=NoteKind.PROGRESS, text="Better today",
                      tags=["Cardio", "cardio", " follow-up "], encounter=encounter)
    listed = notes_for_patient(patient.pk)
    assert [n["id"] for n in listed] == [new["id"], old["id"]]
    assert listed[0]["tags"] == ["cardio", "follow-up"]
    assert listed[0]["author_name"] == "Greg House"
    assert listed[0]["encounter_id"] == encounter.pk
    assert listed[0]["amendments"] == []
    assert listed[0]["created_at"].tzinfo is not None
    assert isinstance(listed[0]["id"], str)
    assert notes_for_patient(patient.pk, limit=1)[0]["id"] == new["id"]
    assert notes_for_patient(str(patient.pk))[0]["id"] == new["id"]
    with pytest.raises(ValidationError, match="not a patient id"):
        notes_for_patient("abc")
    with pytest.raises(ValidationError, match="not a patient id"):
        vaccinations_for_patient("abc")


def test_it_never_copies_demographics_into_note_documents(patient, doctor):
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Seen.")
    stored = documents.collection(documents.NOTES).find_one({"patient_id": patient.pk})
    flat = repr(stored)
    assert "Ada" not in flat and "Lovelace" not in flat and "1980" not in flat


def test_it_keeps_the_original_when_a_note_is_amended(patient, doctor):
    note = note_create(patient=patient, author=doctor, kind=NoteKind.PROGRESS, text="BP 140/90")
    amended = note_amend(patient=patient, note_id=note["id"], author=doctor,
                         text="BP 130/90", reason="Typo in systolic value")
    assert amended["text"] == "BP 130/90"
    assert amended["original_text"] == "BP 140/90"
    (amendment,) = amended["amendments"]
    assert amendment["previous_text"] == "BP 140/90"
    assert amendment["reason"] == "Typo in systolic value"
    assert amendment["author_name"] == "Greg House"
    assert amendment["amended_at"] <= timezone.now()
    assert notes_for_patient(patient.pk)[0]["amendments"][0]["text"] == "BP 130/90"


def test_it_refuses_bad_amendments(patient, doctor):
    note = note_create(patient=patient, author=doctor, kind=NoteKind.PROGRESS, text="Stable")
    other = make_patient(mrn="MRN-2")
    with pytest.raises(ValidationError, match="reason"):
        note_amend(patient=patient, note_id=note["id"], author=doctor, text="x", reason=" ")
    with pytest.raises(ValidationError, match="No such note"):
        note_amend(patient=other, note_id=note["id"], author=doctor, text="x", reason="r")
    with pytest.raises(ValidationError, match="No such note"):
        note_amend(patient=patient, note_id="not-an-id", author=doctor, text="x", reason="r")


def test_it_refuses_bad_notes(patient, doctor):
    with pytest.raises(ValidationError, match="64 KB"):
        note_create(patient=patient, author=doctor, kind=NoteKind.OTHER,
                    text="a" * (MAX_NOTE_BYTES + 1))
    with pytest.raises(ValidationError, match="kind"):
        note_create(patient=patient, author=doctor, kind="gossip", text="x")
    with pytest.raises(ValidationError, match="text"):
        note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="   ")
    with pytest.raises(ValidationError, match="future"):
        note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="x",
                    created_at=timezone.now() + timedelta(days=1))
    other_encounter = Encounter.objects.create(patient=make_patient(mrn="MRN-2"),
                                               admitted_at=timezone.now())
    with pytest.raises(ValidationError, match="another patient"):
        note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="x",
                    encounter=other_encounter)
    assert notes_for_patient(patient.pk) == []


def test_it_imports_a_note_once_by_external_id(patient):
    when = datetime(2020, 3, 4, 5, 6, 7, tzinfo=UTC)
    first = note_create(patient=patient, author=None, kind=NoteKind.OTHER, text="Imported",
                        created_at=when, external_id="synthea-1")
    again = note_create(patient=patient, author=None, kind=NoteKind.OTHER, text="Imported",
                        created_at=when, external_id="synthea-1")
    assert again["id"] == first["id"]
    assert len(notes_for_patient(patient.pk)) == 1
    assert notes_for_patient(patient.pk)[0]["created_at"] == when


def test_it_searches_keywords_literally_and_case_insensitively(patient, doctor):
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Chest PAIN at rest")
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Dose 2.5 mg (a+b)")
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Dose 215 mg")
    assert [n["text"] for n in notes_search("chest pain")] == ["Chest PAIN at rest"]
    assert [n["text"] for n in notes_search("2.5")] == ["Dose 2.5 mg (a+b)"]
    assert [n["text"] for n in notes_search("(a+b)")] == ["Dose 2.5 mg (a+b)"]
    assert notes_search(".*") == []
    assert len(notes_search("dose", limit=1)) == 1
    assert notes_search("dose", patient_ids=[make_patient(mrn="MRN-2").pk]) == []


def test_it_searches_validated_patterns(patient, doctor):
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Dose 215 mg")
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Headache")
    found = notes_search(r"dose \d+ MG", mode="pattern")
    assert [n["text"] for n in found] == ["Dose 215 mg"]
    assert len(notes_search("head|dose", mode="pattern")) == 2


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(unclosed", "not a valid regular expression"),
        ("(a+)+$", "repeats a group"),
        (r"(\w*)*x", "repeats a group"),
        (r"(a)\1", "backreference"),
        ("a" * 201, "limited to 200"),
        ("", "Enter something"),
    ],
)
def test_it_refuses_dangerous_or_broken_patterns(pattern, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        notes_search(pattern, mode="pattern")


def test_it_refuses_an_unknown_search_mode():
    with pytest.raises(ValidationError, match="mode"):
        notes_search("pain", mode="sql")


def test_it_hides_notes_of_a_soft_deleted_patient_until_restored(patient, doctor):
    note_create(patient=patient, author=doctor, kind=NoteKind.OTHER, text="Back pain")
    patient.delete(by=doctor)
    assert notes_for_patient(patient.pk) == []
    assert notes_search("pain") == []
    assert vaccinations_for_patient(patient.pk) == []
    Patient.all_objects.get(pk=patient.pk).restore(by=doctor)
    assert len(notes_for_patient(patient.pk)) == 1
    assert len(notes_search("pain")) == 1


def record(patient, **overrides):
    fields = {"vaccine": "Influenza, seasonal", "cvx_code": "140", "dose_number": 1,
              "date": date(2023, 10, 1), "lot": "L1", "site": "left deltoid",
              "administered_by": "Nurse Joy"}
    return vaccination_record(patient=patient, **{**fields, **overrides})


def test_it_records_and_lists_vaccinations_newest_first(patient, doctor):
    older = record(patient, date=date(2021, 1, 5), vaccine="COVID-19 mRNA", cvx_code="208")
    newer = record(patient, by=doctor)
    listed = vaccinations_for_patient(patient.pk)
    assert [v["id"] for v in listed] == [newer["id"], older["id"]]
    assert listed[0]["date"] == date(2023, 10, 1)
    assert listed[0]["status"] == VaccinationStatus.COMPLETED
    assert listed[0]["lot"] == "L1" and listed[0]["site"] == "left deltoid"
    assert listed[0]["administered_by"] == "Nurse Joy"
    assert listed[0]["corrections"] == []
    assert documents.collection(documents.VACCINATIONS).count_documents({}) == 1


def test_it_imports_a_vaccination_once_by_external_id(patient):
    first = record(patient, external_id="imm-1")
    again = record(patient, external_id="imm-1")
    assert again["id"] == first["id"]
    assert len(vaccinations_for_patient(patient.pk)) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": date.today() + timedelta(days=2)}, "date", "future"),
        ({"date": "yesterday"}, "date", "YYYY-MM-DD"),
        ({"status": "maybe"}, "status", "Unknown status"),
        ({"dose_number": 0}, "dose_number", "between 1 and 20"),
        ({"dose_number": "two"}, "dose_number", "not a whole number"),
        ({"cvx_code": "COVID"}, "cvx_code", "1 to 3 digits"),
        ({"vaccine": ""}, "vaccine", "Name the vaccine"),
    ],
)
def test_it_refuses_bad_vaccinations(patient, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        record(patient, **overrides)
    assert message in caught.value.message_dict[field][0]
    assert vaccinations_for_patient(patient.pk) == []


def test_it_keeps_earlier_values_when_a_vaccination_is_corrected(patient, doctor):
    event = record(patient)
    corrected = vaccination_correct(patient=patient, event_id=event["id"],
                                    changes={"lot": "L2", "date": date(2023, 10, 2)},
                                    reason="Wrong lot on the form", by=doctor)
    assert corrected["lot"] == "L2" and corrected["date"] == date(2023, 10, 2)
    (correction,) = vaccinations_for_patient(patient.pk)[0]["corrections"]
    assert correction["previous"] == {"lot": "L1", "date": date(2023, 10, 1)}
    assert correction["reason"] == "Wrong lot on the form"
    assert correction["by_name"] == "Greg House"
    with pytest.raises(ValidationError, match="cannot be corrected"):
        vaccination_correct(patient=patient, event_id=event["id"], changes={"id": "x"},
                            reason="r", by=doctor)
    with pytest.raises(ValidationError) as caught:
        vaccination_correct(patient=patient, event_id=event["id"],
                            changes={"status": "unknown"}, reason="r", by=doctor)
    assert "status" in caught.value.message_dict


def test_it_soft_deletes_a_vaccination_event(patient, doctor):
    kept = record(patient)
    gone = record(patient, date=date(2022, 1, 1))
    vaccination_delete(patient=patient, event_id=gone["id"], reason="Duplicate entry", by=doctor)
    assert [v["id"] for v in vaccinations_for_patient(patient.pk)] == [kept["id"]]
    stored = documents.collection(documents.VACCINATIONS).find_one({"patient_id": patient.pk})
    deleted = next(e for e in stored["events"] if e["id"] == gone["id"])
    assert deleted["delete_reason"] == "Duplicate entry" and deleted["deleted_at"] is not None
    with pytest.raises(ValidationError, match="No such vaccination"):
        vaccination_delete(patient=patient, event_id=gone["id"], reason="again", by=doctor)
    with pytest.raises(ValidationError, match="reason"):
        vaccination_delete(patient=patient, event_id=kept["id"], reason="", by=doctor)


def test_it_restores_a_deleted_vaccination_and_keeps_the_deletion_on_record(patient, doctor):
    event = record(patient)
    vaccination_delete(patient=patient, event_id=event["id"], reason="Wrong chart", by=doctor)
    nurse = get_user_model().objects.create_user("nurse_joy", first_name="Joy", last_name="Kim")
    restored = vaccination_restore(patient=patient, event_id=event["id"], by=nurse)
    assert restored["id"] == event["id"] and restored["lot"] == "L1"
    assert [v["id"] for v in vaccinations_for_patient(patient.pk)] == [event["id"]]
    stored = documents.collection(documents.VACCINATIONS).find_one({"patient_id": patient.pk})
    (kept,) = stored["events"]
    assert kept["deleted_at"] is None and "delete_reason" not in kept
    (restoration,) = kept["restorations"]
    assert restoration["delete_reason"] == "Wrong chart"
    assert restoration["deleted_by_name"] == "Greg House" and restoration["deleted_at"]
    assert restoration["by_name"] == "Joy Kim" and restoration["by_id"] == nurse.pk
    with pytest.raises(ValidationError, match="No deleted vaccination"):
        vaccination_restore(patient=patient, event_id=event["id"], by=nurse)  # live already
    vaccination_delete(patient=patient, event_id=event["id"], reason="Again", by=doctor)
    vaccination_restore(patient=patient, event_id=event["id"], by=doctor)
    stored = documents.collection(documents.VACCINATIONS).find_one({"patient_id": patient.pk})
    assert [r["delete_reason"] for r in stored["events"][0]["restorations"]] == [
        "Wrong chart",
        "Again",
    ]


def test_it_restores_only_the_patients_own_deleted_vaccinations(patient, doctor):
    other = make_patient(mrn="MRN-2")
    foreign = record(other)
    vaccination_delete(patient=other, event_id=foreign["id"], reason="Duplicate", by=doctor)
    record(patient)
    with pytest.raises(ValidationError, match="No deleted vaccination"):
        vaccination_restore(patient=patient, event_id=foreign["id"], by=doctor)
    with pytest.raises(ValidationError, match="No such vaccination"):
        vaccination_restore(patient=make_patient(mrn="MRN-3"), event_id=foreign["id"], by=doctor)
    assert vaccinations_for_patient(other.pk) == []


def test_it_creates_indexes_idempotently():
    call_command("ensure_documents", stdout=io.StringIO())
    names = {index["name"] for index in documents.collection(documents.NOTES).list_indexes()}
    assert {"patient_created", "external_id_unique"} <= names


@pytest.mark.skipif(bool(documents.settings.MONGO_URL), reason="the embedded store's indexes")
def test_on_the_embedded_store_an_earlier_unique_index_gives_way_to_uniqueness_by_id(doctor):
    notes = documents.collection(documents.NOTES)
    with documents.store_errors():
        notes.drop_index("external_id_unique")
        notes.create_index(
            [("external_id", 1)], name="external_id_unique", unique=True, sparse=True
        )

    documents.ensure_indexes()

    index = next(i for i in notes.list_indexes() if i["name"] == "external_id_unique")
    assert not index.get("unique")
    patient = make_patient()
    first = note_create(
        patient=patient, author=doctor, kind="progress", text="A", external_id="e-1"
    )
    again = note_create(
        patient=patient, author=doctor, kind="progress", text="B", external_id="e-1"
    )
    assert again["id"] == first["id"] and again["text"] == "A"
    with pytest.raises(documents.DuplicateKeyError), documents.store_errors():
        documents.insert_one(notes, {"_id": documents.keyed_id("clinical note", "e-1")})


def test_a_write_from_a_stale_read_of_the_vaccinations_is_refused(doctor):
    from patients.vaccinations import _replace_events

    patient = make_patient()
    vaccination_record(patient=patient, vaccine="Influenza", cvx_code="140", dose_number=1,
                       date=date(2024, 10, 1), by=doctor)  # fmt: skip
    collection = documents.collection(documents.VACCINATIONS)
    with documents.store_errors():
        stale = collection.find_one({"patient_id": patient.pk})
    vaccination_record(patient=patient, vaccine="Td (adult)", cvx_code="113", dose_number=1,
                       date=date(2024, 11, 1), by=doctor)  # fmt: skip

    with documents.store_errors():
        assert not _replace_events(collection, stale, [])
        fresh = collection.find_one({"patient_id": patient.pk})
        assert _replace_events(collection, fresh, fresh["events"])
    assert [e["cvx_code"] for e in vaccinations_for_patient(patient.pk)] == ["113", "140"]


def test_concurrent_compare_and_set_writers_lose_no_update():
    import threading

    collection = documents.collection("cas_contract")
    document_id = documents.keyed_id("cas contract", 1)
    with documents.store_errors():
        documents.insert_one(collection, {"_id": document_id, "count": 0, "version": 0})
    writers, increments = 4, 10

    def increment():
        for _ in range(increments):
            while True:
                with documents.store_errors():
                    current = collection.find_one({"_id": document_id})
                    changes = {"count": current["count"] + 1}
                    if documents.update_if_version(
                        collection, document_id, current["version"], changes
                    ):
                        break

    threads = [threading.Thread(target=increment) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with documents.store_errors():
        final = collection.find_one({"_id": document_id})
    assert final["count"] == writers * increments
    assert final["version"] == writers * increments


# Batch imports ----------------------------------------------------------------------


def imported_note(patient, number, **overrides):
    return {"patient": patient, "author": None, "kind": NoteKind.CARE_PLAN,
            "text": f"Care plan {number}", "tags": ("Synthea", "care plan"),
            "created_at": datetime(2020, 1, number, 8, 0, tzinfo=UTC),
            "external_id": f"cp-{number}", **overrides}


def imported_event(patient, number, **overrides):
    return {"patient": patient, "vaccine": "Influenza, seasonal", "cvx_code": "140",
            "dose_number": number, "date": date(2020, 1, number), "status": "completed",
            "external_id": f"imm-{number}", **overrides}


def test_it_imports_many_notes_once_in_the_shape_of_note_create(patient):
    other = make_patient(mrn="MRN-2")
    encounter = Encounter.objects.create(patient=patient, admitted_at=timezone.now())
    batch = [imported_note(patient, 1, encounter=encounter), imported_note(patient, 2),
             imported_note(other, 3), imported_note(patient, 1, encounter=encounter)]
    assert notes_import_many(notes=batch) == 3  # the repeated cp-1 is stored once
    assert notes_import_many(notes=batch) == 0
    assert notes_import_many(notes=[]) == 0
    single = note_create(**imported_note(patient, 4))
    listed = notes_for_patient(patient.pk)
    assert [n["external_id"] for n in listed] == ["cp-4", "cp-2", "cp-1"]
    assert listed[2]["encounter_id"] == encounter.pk
    assert listed[2]["created_at"] == datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
    assert listed[2]["tags"] == ["synthea", "care plan"]
    assert listed[2]["kind"] == NoteKind.CARE_PLAN and listed[2]["amendments"] == []
    shape = {key for key in single if key != "id"}
    assert all({key for key in note if key != "id"} == shape for note in listed)
    assert [n["external_id"] for n in notes_for_patient(other.pk)] == ["cp-3"]
    # note_create sees the batch's notes as already imported.
    assert note_create(**imported_note(patient, 2))["id"] == listed[1]["id"]


def test_it_refuses_a_bad_note_batch_naming_the_row_and_writing_nothing(patient):
    future = timezone.now() + timedelta(days=1)
    row = re.escape("Note 2 (external id 'cp-2'): ")
    cases = [
        (imported_note(patient, 2, text=" "), row + "A note needs some text"),
        (imported_note(patient, 2, kind="gossip"), row + "Unknown note kind"),
        (imported_note(patient, 2, created_at=future), row + ".*future"),
        (imported_note(patient, 2, external_id=None), "Note 2 .*needs an external id"),
        (imported_note(None, 2), row + ".*saved patient"),
    ]
    for bad, message in cases:
        with pytest.raises(ValidationError, match=message):
            notes_import_many(notes=[imported_note(patient, 1), bad])
    assert notes_for_patient(patient.pk) == []
    notes_import_many(notes=[imported_note(patient, 1)])
    with pytest.raises(ValidationError, match="Note 1 .*belongs to another patient"):
        notes_import_many(notes=[imported_note(make_patient(mrn="MRN-2"), 1)])


def test_it_imports_many_vaccinations_once_in_the_shape_of_vaccination_record(patient, doctor):
    other = make_patient(mrn="MRN-2")
    single = record(patient, external_id="imm-9", date=date(2019, 5, 5))
    batch = [imported_event(patient, 1), imported_event(other, 2), imported_event(patient, 3),
             imported_event(patient, 1), imported_event(patient, 9)]
    assert vaccinations_import_many(events=batch, by=doctor) == 3
    assert vaccinations_import_many(events=batch, by=doctor) == 0
    assert vaccinations_import_many(events=[]) == 0
    listed = vaccinations_for_patient(patient.pk)
    assert [v["external_id"] for v in listed] == ["imm-3", "imm-1", "imm-9"]
    assert listed[0]["cvx_code"] == "140" and listed[0]["dose_number"] == 3
    assert listed[0]["date"] == date(2020, 1, 3) and listed[0]["status"] == "completed"
    assert listed[0]["recorded_by_name"] == "Greg House" and listed[0]["corrections"] == []
    assert listed[2]["id"] == single["id"]
    assert all(set(v) == set(single) for v in listed)
    assert [v["external_id"] for v in vaccinations_for_patient(other.pk)] == ["imm-2"]
    assert documents.collection(documents.VACCINATIONS).count_documents({}) == 2
    # The documents keep the single-write shape: record, correct and delete still work on them.
    assert record(patient, external_id="imm-1")["id"] == listed[1]["id"]
    corrected = vaccination_correct(patient=patient, event_id=listed[0]["id"],
                                    changes={"lot": "L7"}, reason="Lot read later", by=doctor)
    assert corrected["lot"] == "L7"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": date.today() + timedelta(days=2)}, "date", "future"),
        ({"cvx_code": "COVID"}, "cvx_code", "1 to 3 digits"),
        ({"dose_number": 0}, "dose_number", "between 1 and 20"),
        ({"status": "maybe"}, "status", "Unknown status"),
    ],
)
def test_it_refuses_a_bad_vaccination_batch_naming_the_row(patient, overrides, field, message):
    batch = [imported_event(patient, 1), imported_event(patient, 2, **overrides)]
    with pytest.raises(ValidationError) as caught:
        vaccinations_import_many(events=batch)
    (text,) = caught.value.message_dict[field]
    assert text.startswith("Vaccination 2 (external id 'imm-2'): ") and message in text
    assert vaccinations_for_patient(patient.pk) == []
    with pytest.raises(ValidationError, match="Vaccination 1 .*needs an external id"):
        vaccinations_import_many(events=[imported_event(patient, 1, external_id=None)])


@pytest.fixture
def store_down(settings):
    original = settings.MONGO_URL, settings.MONGO_TIMEOUT_MS
    settings.MONGO_URL = "mongodb://127.0.0.1:9"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    yield
    settings.MONGO_URL, settings.MONGO_TIMEOUT_MS = original
    documents.reset_clients()


def test_it_raises_unavailable_from_batch_imports_when_the_store_is_down(patient, store_down):
    with pytest.raises(documents.DocumentStoreUnavailable):
        notes_import_many(notes=[imported_note(patient, 1)])
    with pytest.raises(documents.DocumentStoreUnavailable):
        vaccinations_import_many(events=[imported_event(patient, 1)])


def test_it_raises_unavailable_from_a_restore_when_the_store_is_down(patient, store_down):
    with pytest.raises(documents.DocumentStoreUnavailable):
        vaccination_restore(patient=patient, event_id="0" * 32, by=None)


class _BlindFinds:
    """A collection whose finds miss everything: as if another import wrote in between."""

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def find(self, *args, **kwargs):
        return iter(())

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


def test_it_keeps_the_first_write_when_another_import_wins_the_race(patient, monkeypatch):
    other = make_patient(mrn="MRN-2")
    notes_import_many(notes=[imported_note(patient, 1)])
    vaccinations_import_many(events=[imported_event(patient, 1)])
    real_collection = documents.collection
    monkeypatch.setattr(documents, "collection", lambda name: _BlindFinds(real_collection(name)))
    assert notes_import_many(notes=[imported_note(patient, 1), imported_note(patient, 2)]) == 1
    events = [imported_event(patient, 1), imported_event(patient, 2), imported_event(other, 3)]
    assert vaccinations_import_many(events=events) == 2
    monkeypatch.undo()
    assert [n["external_id"] for n in notes_for_patient(patient.pk)] == ["cp-2", "cp-1"]
    assert [v["external_id"] for v in vaccinations_for_patient(patient.pk)] == ["imm-2", "imm-1"]
    assert [v["external_id"] for v in vaccinations_for_patient(other.pk)] == ["imm-3"]
