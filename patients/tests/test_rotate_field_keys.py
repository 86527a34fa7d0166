"""`manage.py rotate_field_keys`: SSNs move to the newest key while the old one still reads."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from patients.models import Patient
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def patient_with_ssn(ssn: str, **fields) -> Patient:
    patient = PatientFactory(**fields)
    patient.set_ssn(ssn)
    patient.save()
    return patient


def run(*args) -> str:
    out = StringIO()
    call_command("rotate_field_keys", *args, stdout=out)
    return out.getvalue()


def test_it_moves_every_ssn_to_the_new_key_deleted_patients_too(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    kept = patient_with_ssn("123-45-6789")
    deleted = patient_with_ssn("987-65-4321")
    deleted.delete()
    patient_with_ssn("")  # no SSN: nothing to rotate

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]  # the portal keeps reading during the run
    assert kept.reveal_ssn() == "123456789"
    assert "Re-encrypted 2 SSNs" in run()

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key can go
    assert Patient.objects.get(pk=kept.pk).reveal_ssn() == "123456789"
    assert Patient.all_objects.get(pk=deleted.pk).reveal_ssn() == "987654321"
    assert Patient.objects.get(pk=kept.pk).ssn_last4 == "6789"


def test_a_second_run_has_nothing_left_to_do(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    patient_with_ssn("123-45-6789")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    run()

    assert "Re-encrypted 0 SSNs" in run()
    assert "0 SSNs are not under the newest key" in run("--check")


def test_check_fails_while_values_wait_for_the_new_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    patient_with_ssn("123-45-6789")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    with pytest.raises(CommandError, match="without --check"):
        run("--check")
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(ValueError):
        Patient.objects.get().reveal_ssn()  # --check changed nothing


def test_it_names_values_no_configured_key_opens_and_rotates_the_rest(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    lost = patient_with_ssn("111-22-3333")
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    readable = patient_with_ssn("444-55-6666")

    with pytest.raises(CommandError, match=f"patients {lost.pk}"):
        run()
    assert Patient.objects.get(pk=readable.pk).reveal_ssn() == "444556666"
