import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError

from billing.models import Bill, BillLine
from patients.models import (
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    Patient,
    VitalSigns,
)
from phms.tests.records import make_encounter, make_patient, make_patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return get_user_model().objects.create_user("clerk", password="x-long-pass-1")


def live(row) -> bool:
    return type(row).objects.filter(pk=row.pk).exists()


def test_it_blocks_a_hard_delete_of_a_patient_with_encounters():
    record = make_patient_record()
    with pytest.raises(ProtectedError):
        record.patient.hard_delete()
    assert Patient.all_objects.filter(pk=record.patient.pk).exists()


def test_it_hides_a_patient_and_everything_that_goes_with_it_in_one_go(clerk):
    record = make_patient_record()
    other = make_patient_record()

    record.patient.delete(by=clerk)

    assert not live(record.patient)
    for row in record.dependants():
        assert not live(row), type(row).__name__
        stored = type(row).all_objects.get(pk=row.pk)
        assert stored.deleted_by == clerk
        assert stored.deletion_id == Patient.all_objects.get(pk=record.patient.pk).deletion_id
    assert all(live(row) for row in [other.patient, *other.dependants()])
    assert not Encounter.objects.filter(patient=record.patient).exists()
    assert not VitalSigns.objects.filter(encounter__patient=record.patient).exists()
    assert not Diagnosis.objects.filter(encounter__patient=record.patient).exists()
    assert not Bill.objects.filter(patient=record.patient).exists()
    assert not BillLine.objects.filter(bill__patient=record.patient).exists()
    assert not EmergencyContact.objects.filter(patient=record.patient).exists()
    assert not Coverage.objects.filter(patient=record.patient).exists()


def test_it_restores_exactly_what_the_deletion_hid(clerk):
    record = make_patient_record()
    earlier = make_encounter(record.patient)
    earlier_vitals = VitalSigns.objects.create(
        encounter=earlier, recorded_at=earlier.admitted_at, heart_rate=80
    )
    earlier.delete(by=clerk)

    record.patient.delete(by=clerk)
    Patient.all_objects.get(pk=record.patient.pk).restore(by=clerk)

    assert live(record.patient)
    assert all(live(row) for row in record.dependants())
    assert not live(earlier)
    assert not live(earlier_vitals)
    assert Encounter.all_objects.get(pk=earlier.pk).deletion_id is not None


def test_it_restores_an_encounter_deleted_on_its_own_with_its_records():
    record = make_patient_record()
    record.encounter.delete()
    assert not live(record.vitals) and not live(record.line)
    Encounter.all_objects.get(pk=record.encounter.pk).restore()
    assert live(record.encounter) and live(record.vitals) and live(record.line)
    assert live(record.patient)


def test_it_soft_deletes_through_a_queryset(clerk):
    first, second, kept = make_patient_record(), make_patient_record(), make_patient()

    count, per_model = Patient.objects.filter(
        pk__in=[first.patient.pk, second.patient.pk]
    ).delete(by=clerk)

    assert count == 2 and per_model == {"patients.Patient": 2}
    assert Patient.all_objects.filter(pk__in=[first.patient.pk, second.patient.pk]).count() == 2
    assert list(Patient.objects.all()) == [kept]
    assert not live(first.vitals) and not live(second.line)
    assert Patient.all_objects.get(pk=first.patient.pk).deleted_by == clerk


def test_it_restores_through_a_queryset():
    record = make_patient_record()
    Patient.objects.filter(pk=record.patient.pk).delete()
    assert Patient.all_objects.filter(pk=record.patient.pk).restore() == 1
    assert live(record.patient) and live(record.line)


def test_it_records_when_and_by_whom(clerk):
    patient = make_patient()
    patient.delete(by=clerk)
    stored = Patient.all_objects.get(pk=patient.pk)
    assert stored.is_deleted and stored.deleted_at is not None and stored.deleted_by == clerk


def test_it_lets_all_objects_see_deleted_rows():
    record = make_patient_record()
    record.patient.delete()
    assert Patient.all_objects.deleted().get() == Patient.all_objects.get(pk=record.patient.pk)
    assert VitalSigns.all_objects.filter(pk=record.vitals.pk).exists()
    assert not Patient.objects.exists()


def test_it_ignores_a_second_delete_of_the_same_row():
    patient = make_patient()
    patient.delete()
    first_stamp = Patient.all_objects.get(pk=patient.pk).deletion_id
    assert Patient.all_objects.get(pk=patient.pk).delete() == (0, {})
    assert Patient.all_objects.get(pk=patient.pk).deletion_id == first_stamp


def test_it_restores_one_encounter_of_a_deleted_patient_with_only_its_own_records():
    record = make_patient_record()
    other = make_encounter(record.patient)
    other_vitals = VitalSigns.objects.create(
        encounter=other, recorded_at=other.admitted_at, heart_rate=90
    )
    record.patient.delete()

    Encounter.all_objects.get(pk=record.encounter.pk).restore()

    assert live(record.encounter) and live(record.vitals) and live(record.line)
    assert not live(other) and not live(other_vitals), "the sibling encounter's rows stay hidden"

    Patient.all_objects.get(pk=record.patient.pk).restore()
    assert live(record.patient) and live(other) and live(other_vitals)
