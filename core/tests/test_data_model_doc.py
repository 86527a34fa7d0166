import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.management.commands.data_model_doc import HAND_WRITTEN_BEGIN, HAND_WRITTEN_END

COMMITTED = Path(settings.BASE_DIR) / "docs" / "data-model.md"

ORIGINAL_ENTITIES = [
    "Patient", "PatientDemographic", "InsuranceProvider", "PatientEmergencyContact",
    "PatientEncounter", "VitalSigns", "Symptoms", "Diagnosis", "Prescription",
    "MedicationDetails", "LabResults", "Billing", "ServiceCharges", "Vaccination",
    "HealthcareProvider", "Assignment", "Doctor", "Nurse",
]


def regenerate(path: Path) -> str:
    call_command("data_model_doc", "--output", str(path), stdout=StringIO())
    return path.read_text(encoding="utf-8")


def test_it_has_the_committed_document_up_to_date(tmp_path):
    copy = tmp_path / "data-model.md"
    shutil.copy(COMMITTED, copy)
    assert regenerate(copy) == COMMITTED.read_text(encoding="utf-8"), (
        "docs/data-model.md is stale: run `python manage.py data_model_doc` and commit it"
    )


def test_it_draws_the_domain_relations_and_the_provider_specialization(tmp_path):
    text = regenerate(tmp_path / "data-model.md")
    assert "erDiagram" in text and "classDiagram" in text
    assert 'Patient ||--o{ Encounter : "patient"' in text
    assert 'Encounter ||--o{ VitalSigns : "encounter"' in text
    assert 'Bill ||--o{ BillLine : "bill"' in text
    assert "HealthcareProvider <|-- Doctor" in text and "HealthcareProvider <|-- Nurse" in text
    assert "HistoricalPatient" not in text and "HistoricalEncounter" not in text
    assert "    User {" not in text and "LogEntry" not in text


def test_it_keeps_the_hand_written_section(tmp_path):
    path = tmp_path / "data-model.md"
    regenerate(path)
    text = path.read_text(encoding="utf-8")
    before, _, after = text.partition(HAND_WRITTEN_BEGIN)
    _, _, tail = after.partition(HAND_WRITTEN_END)
    path.write_text(f"{before}{HAND_WRITTEN_BEGIN}\nMy notes | kept\n{HAND_WRITTEN_END}{tail}")
    assert "My notes | kept" in regenerate(path)


def test_it_refuses_to_drop_hand_written_text_without_markers(tmp_path):
    path = tmp_path / "data-model.md"
    path.write_text("# someone's notes, no markers\n")
    with pytest.raises(CommandError, match="markers"):
        call_command("data_model_doc", "--output", str(path), stdout=StringIO())
    assert path.read_text() == "# someone's notes, no markers\n"


def test_it_maps_every_entity_of_the_original_design():
    hand_written = COMMITTED.read_text(encoding="utf-8").split(HAND_WRITTEN_BEGIN)[1]
    table = [line for line in hand_written.splitlines() if line.startswith("| ")]
    rows = {line.split("|")[1].strip() for line in table}
    assert set(ORIGINAL_ENTITIES) <= rows
