"""manage.py import_fhir: Synthea R4 bundles into the same records as the CSV import."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from interop.tests.synthea_bundles import write_run
from interop.tests.test_import_synthea import CHART_PATIENT, SAMPLE, one_patient_copy, read_csv
from patients import vaccinations
from patients.models import (
    Allergy,
    CareAssignment,
    Diagnosis,
    Encounter,
    LabResult,
    Patient,
    Prescription,
    VitalSigns,
)

pytestmark = pytest.mark.django_db


def run(path, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_fhir", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue(), [line for line in err.getvalue().splitlines() if line]


def row_of(output, name):
    header = output.splitlines()[0].split()
    for line in output.splitlines():
        if line.startswith(name + " "):
            return dict(zip(header[1:7], map(int, line.split()[1:7]), strict=True))
    raise AssertionError(f"{name} not in the summary")


def mine(name, column="PATIENT"):
    return [r for r in read_csv(SAMPLE, name) if r[column] == CHART_PATIENT]


@pytest.fixture
def run_folder(tmp_path):
    folder = tmp_path / "fhir"
    write_run(folder, CHART_PATIENT)
    return folder


def test_a_synthea_run_becomes_the_patients_chart(run_folder):
    output, report = run(run_folder)

    assert report == []
    patient = Patient.objects.get(external_id=CHART_PATIENT)
    csv_patient = next(p for p in read_csv(SAMPLE, "patients.csv") if p["Id"] == CHART_PATIENT)
    assert (patient.first_name, patient.last_name) == (csv_patient["FIRST"], csv_patient["LAST"])
    assert patient.reveal_ssn() == csv_patient["SSN"].replace("-", "")
    assert Encounter.objects.filter(patient=patient).count() == len(mine("encounters.csv"))
    assert CareAssignment.objects.filter(encounter__patient=patient).count() == len(
        mine("encounters.csv")
    )
    assert Diagnosis.objects.count() == len(mine("conditions.csv"))
    observations = mine("observations.csv")
    assert LabResult.objects.count() == sum(o["CATEGORY"] == "laboratory" for o in observations)
    vitals = VitalSigns.objects.get(systolic_bp__isnull=False, recorded_at__isnull=False)
    assert vitals.diastolic_bp is not None  # the panel's two components, in one set
    assert Prescription.objects.count() == len(
        {(m["ENCOUNTER"], m["CODE"], m["START"]) for m in mine("medications.csv")}
    )
    assert Allergy.objects.count() == len(mine("allergies.csv"))
    assert len(vaccinations.vaccinations_for_patient(patient.pk)) == len(mine("immunizations.csv"))
    for name in ("Claim", "ExplanationOfBenefit", "Procedure"):
        assert row_of(output, name)["skipped"] == 1
    assert "claims come from the CSV export's claims files" in output
    for line in output.splitlines()[2:]:
        if line.startswith("-") or not line.strip():
            break
        row = row_of(output, line.split()[0])
        assert row["read"] == sum(
            row[c] for c in ("created", "updated", "unchanged", "skipped", "rejected")
        )


def test_a_second_import_changes_nothing(run_folder):
    run(run_folder)
    history = Encounter.history.count()

    output, report = run(run_folder)

    assert report == []
    total = row_of(output, "total")
    assert (total["created"], total["updated"]) == (0, 0)
    assert Encounter.history.count() == history


def test_the_csv_and_the_fhir_export_of_one_run_give_one_patient(tmp_path, run_folder):
    call_command(
        "import_synthea", str(one_patient_copy(tmp_path)), "--no-progress", stdout=io.StringIO()
    )
    encounters = Encounter.objects.count()

    _, report = run(run_folder)

    assert report == []
    assert Patient.objects.filter(external_id=CHART_PATIENT).count() == 1
    assert Patient.objects.count() == 1
    assert Encounter.objects.count() == encounters


def test_damaged_entries_are_reported_by_file_and_entry_and_the_rest_imported(run_folder):
    bundle_path = run_folder / f"{CHART_PATIENT}.json"
    bundle = json.loads(bundle_path.read_text())
    condition = next(
        i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Condition"
    )
    bundle["entry"][condition]["resource"]["onsetDateTime"] = "2023-02-30"
    observation = next(
        i
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["category"][0]["coding"][0]["code"] == "laboratory"
    )
    bundle["entry"][observation]["resource"]["subject"] = {"reference": "urn:uuid:nobody"}
    bundle_path.write_text(json.dumps(bundle))
    (run_folder / "notes.json").write_text('{"resourceType": "Patient"}')
    (run_folder / "broken.json").write_text("{not json")

    with pytest.raises(CommandError, match=r"4 entries rejected"):
        run(run_folder)
    output, report = run(run_folder, "--allow-errors")

    assert any(line.startswith("broken.json: not a readable JSON file") for line in report)
    assert "notes.json: not a FHIR Bundle" in report
    assert len(report) == 4
    assert f"{CHART_PATIENT}.json: entry {condition + 1}: bad date in START: '2023-02-30'" in report
    assert f"{CHART_PATIENT}.json: entry {observation + 1}: unknown patient 'nobody'" in report
    assert Diagnosis.objects.count() == len(mine("conditions.csv")) - 1


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        run(tmp_path / "nowhere")
    with pytest.raises(CommandError, match="no bundle"):
        run(tmp_path)
