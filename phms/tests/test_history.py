import pytest
from django.contrib.auth import get_user_model

from patients.models import Encounter, Patient, VitalSigns
from phms.tests.records import make_doctor, make_patient, make_patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse_user():
    return get_user_model().objects.create_user("nurse.jo", password="x-long-pass-1")


def test_it_records_the_acting_user_on_a_change(nurse_user):
    patient = make_patient()
    patient.city = "Springfield"
    patient._history_user = nurse_user
    patient.save()

    latest = patient.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == nurse_user
    assert latest.city == "Springfield"
    assert patient.history.count() == 2


def test_it_records_history_of_provider_subclasses(nurse_user):
    doctor = make_doctor()
    doctor.board_certified = True
    doctor._history_user = nurse_user
    doctor.save()
    assert doctor.history.first().history_user == nurse_user
    assert doctor.history.first().board_certified is True


def test_it_keeps_the_ssn_ciphertext_out_of_history():
    patient = make_patient()
    patient.set_ssn("123456789")
    patient.save()
    assert not hasattr(patient.history.first(), "ssn_encrypted")
    assert patient.history.first().ssn_last4 == "6789"


def test_it_records_a_soft_delete_and_a_restore_with_the_user(nurse_user):
    record = make_patient_record()
    record.patient.delete(by=nurse_user)

    deletion = record.patient.history.first()
    assert deletion.deleted_at is not None and deletion.history_user == nurse_user
    vitals_deletion = VitalSigns.history.filter(id=record.vitals.pk).first()
    assert vitals_deletion.deleted_at is not None and vitals_deletion.history_user == nurse_user

    Patient.all_objects.get(pk=record.patient.pk).restore(by=nurse_user)

    restoration = record.patient.history.first()
    assert restoration.deleted_at is None and restoration.history_user == nurse_user
    encounter_history = Encounter.history.filter(id=record.encounter.pk)
    assert [row.deleted_at is None for row in encounter_history] == [True, False, True]
