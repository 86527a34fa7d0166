import json
import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.management.commands.purge_deleted import soft_delete_models
from patients.models import Allergy, Condition, Patient
from phms.tests.records import make_doctor, make_patient, make_patient_record
from providers.models import Doctor, HealthcareProvider

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=400)
CUTOFF = (timezone.now() - timedelta(days=30)).date().isoformat()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def security_log(caplog):
    # phms.security does not propagate to the root logger, where caplog listens.
    logger = logging.getLogger("phms.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="phms.security")
    yield caplog
    logger.removeHandler(caplog.handler)


def delete_long_ago(row):
    """Soft-delete the row (and its cascade) and backdate that deletion."""
    row.delete()
    deletion_id = type(row).all_objects.get(pk=row.pk).deletion_id
    for model in soft_delete_models():
        model.all_objects.filter(deletion_id=deletion_id).update(deleted_at=LONG_AGO)


def purge(*args, answer=None, monkeypatch=None) -> str:
    out = StringIO()
    if answer is not None:
        monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command("purge_deleted", *args, stdout=out)
    return out.getvalue()


def stored(row) -> bool:
    return type(row).all_objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "31/01/2024", ""])
def test_it_rejects_a_bad_date_with_a_clear_message(bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_deleted", "--before", bad, "--yes")


def test_it_says_so_when_there_is_nothing_to_purge(var_dir):
    make_patient_record()
    output = purge("--before", CUTOFF, "--yes")
    assert "nothing to purge" in output
    assert not (var_dir / "purge-log.jsonl").exists()


def test_it_lists_counts_and_purges_nothing_unless_confirmed(monkeypatch):
    record = make_patient_record()
    delete_long_ago(record.patient)

    output = purge("--before", CUTOFF, answer="no", monkeypatch=monkeypatch)

    assert "patients.Patient: 1" in output and "billing.BillLine: 1" in output
    assert "cancelled" in output
    assert all(stored(row) for row in [record.patient, *record.dependants()])


def test_it_purges_a_deleted_patient_children_first_when_confirmed(monkeypatch):
    record = make_patient_record()
    kept = make_patient_record()
    delete_long_ago(record.patient)

    purge("--before", CUTOFF, answer="yes", monkeypatch=monkeypatch)

    assert not any(stored(row) for row in [record.patient, *record.dependants()])
    assert all(stored(row) for row in [kept.patient, *kept.dependants()])
    assert stored(record.doctor) and Condition.objects.exists()


def test_it_refuses_to_purge_without_a_terminal_to_ask_on(monkeypatch):
    record = make_patient_record()
    delete_long_ago(record.patient)

    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    with pytest.raises(CommandError, match="--yes"):
        call_command("purge_deleted", "--before", CUTOFF, stdout=StringIO())
    assert stored(record.patient)


def test_it_keeps_rows_deleted_after_the_cutoff():
    old, recent = make_patient(), make_patient()
    delete_long_ago(old)
    recent.delete()

    purge("--before", CUTOFF, "--yes")

    assert not stored(old)
    assert stored(recent) and Patient.all_objects.get(pk=recent.pk).is_deleted


def test_it_keeps_a_deleted_row_that_a_remaining_row_still_points_at():
    record = make_patient_record()
    allergy = Allergy.objects.create(
        patient=record.patient, encounter=record.encounter, description="Latex"
    )
    delete_long_ago(record.encounter)

    purge("--before", CUTOFF, "--yes")

    assert stored(record.encounter), "a live allergy still names this encounter"
    assert not stored(record.vitals) and not stored(record.line)
    assert stored(allergy) and stored(record.patient)


def test_it_purges_a_deleted_doctor_with_its_provider_row():
    doctor = make_doctor()
    delete_long_ago(doctor)

    output = purge("--before", CUTOFF, "--yes")

    assert not Doctor.all_objects.filter(pk=doctor.pk).exists()
    assert not HealthcareProvider.all_objects.filter(pk=doctor.pk).exists()
    assert "providers.Doctor 1" in output and "providers.HealthcareProvider 1" in output


def test_it_records_what_it_removed(var_dir, security_log):
    record = make_patient_record()
    delete_long_ago(record.patient)

    purge("--before", CUTOFF, "--yes")
    purge("--before", CUTOFF, "--yes")

    entries = [json.loads(line) for line in (var_dir / "purge-log.jsonl").read_text().splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["before"] == CUTOFF and entry["by"] and entry["at"]
    assert entry["removed"]["patients.Patient"] == 1
    assert entry["removed"]["patients.VitalSigns"] == 1
    assert entry["removed"]["billing.BillLine"] == 1
    messages = [r.getMessage() for r in security_log.records if r.name == "phms.security"]
    assert any("1 patients.Patient" in message for message in messages)
    assert len(messages) == len(entry["removed"])
