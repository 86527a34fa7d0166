"""manage.py import_synthea on the real sample export and on damaged / 2.x-shaped copies."""

import csv
import io
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.models import Bill, BillLine, LedgerEntry
from billing.services import ledger_totals
from interop.synthea.mappers import VITAL_LOINC
from patients import notes, vaccinations
from patients.models import (
    Allergy,
    CareAssignment,
    Coverage,
    Diagnosis,
    Encounter,
    LabResult,
    Patient,
    Payer,
    Prescription,
    VitalSigns,
)
from patients.mrn import is_valid_mrn
from providers.models import HealthcareProvider, Nurse, Organization

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "synthea"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/data/synthea")
CHART_PATIENT = "1cd7cc0a-2e2a-c167-1207-cad02d69328e"
PATIENT_COLUMNS = ("PATIENT", "PATIENTID")

pytestmark = pytest.mark.django_db


def read_csv(directory: Path, name: str) -> list[dict]:
    with (directory / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(directory: Path, name: str, rows: list[dict], columns=None) -> None:
    columns = columns or list(rows[0])
    with (directory / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def one_patient_copy(tmp_path: Path, patient_id: str = CHART_PATIENT) -> Path:
    """The sample cut down to one patient (catalog files kept whole): quick to import."""
    target = tmp_path / "export"
    target.mkdir()
    for path in SAMPLE.glob("*.csv"):
        rows = read_csv(SAMPLE, path.name)
        columns = ("Id",) if path.name == "patients.csv" else PATIENT_COLUMNS
        column = next((c for c in columns if rows and c in rows[0]), None)
        if column is None:
            shutil.copy(path, target / path.name)
            continue
        kept = [row for row in rows if row[column] == patient_id]
        write_csv(target, path.name, kept, columns=list(rows[0]))
    return target


def run_import(directory, *extra) -> tuple[str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_synthea", str(directory), "--no-progress", *extra, stdout=out, stderr=err)
    return out.getvalue(), [line for line in err.getvalue().splitlines() if line]


def summary_row(output: str, name: str) -> dict:
    header = output.splitlines()[0].split()
    for line in output.splitlines():
        if line.startswith(name + " "):
            values = line.split()
            return dict(zip(header[1:7], map(int, values[1:7]), strict=True))
    raise AssertionError(f"{name} not in summary")


def expected_counts(directory: Path) -> dict:
    payers = read_csv(directory, "payers.csv")
    no_insurance = {p["Id"] for p in payers if p["NAME"] == "NO_INSURANCE"}
    encounters = read_csv(directory, "encounters.csv")
    observations = read_csv(directory, "observations.csv")
    medications = read_csv(directory, "medications.csv")
    transactions = read_csv(directory, "claims_transactions.csv")
    return {
        Organization: len(read_csv(directory, "organizations.csv")),
        Payer: len(payers),
        HealthcareProvider: len(read_csv(directory, "providers.csv")),
        Nurse: sum("NURSE" in p["SPECIALITY"] for p in read_csv(directory, "providers.csv")),
        Patient: len(read_csv(directory, "patients.csv")),
        Coverage: sum(
            t["PAYER"] not in no_insurance for t in read_csv(directory, "payer_transitions.csv")
        ),
        Encounter: len(encounters),
        CareAssignment: len({(e["Id"], e["PROVIDER"]) for e in encounters if e["PROVIDER"]}),
        Allergy: len(read_csv(directory, "allergies.csv")),
        Diagnosis: len(read_csv(directory, "conditions.csv")),
        VitalSigns: len(
            {
                (o["ENCOUNTER"], o["DATE"])
                for o in observations
                if o["CATEGORY"] == "vital-signs" and o["CODE"] in VITAL_LOINC
            }
        ),
        LabResult: sum(o["CATEGORY"] == "laboratory" for o in observations),
        Prescription: len(
            {(m["PATIENT"], m["ENCOUNTER"], m["CODE"], m["START"]) for m in medications}
        ),
        Bill: len(read_csv(directory, "claims.csv")),
        BillLine: sum(t["TYPE"] == "CHARGE" for t in transactions),
    }


def documents_per_patient():
    care_plans = vaccines = 0
    for pk in Patient.objects.values_list("pk", flat=True):
        care_plans += sum(n["kind"] == "care_plan" for n in notes.notes_for_patient(pk, limit=500))
        vaccines += len(vaccinations.vaccinations_for_patient(pk))
    return care_plans, vaccines


def test_it_imports_every_table_of_the_sample_and_builds_the_patients_chart():
    output, report = run_import(SAMPLE)

    assert report == []
    for model, count in expected_counts(SAMPLE).items():
        assert model._base_manager.count() == count, model.__name__
    assert documents_per_patient() == (
        len(read_csv(SAMPLE, "careplans.csv")),
        len(read_csv(SAMPLE, "immunizations.csv")),
    )
    assert summary_row(output, "encounters.csv") == {
        "read": 604,
        "created": 604,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 0,
    }

    patient = Patient.objects.get(external_id=CHART_PATIENT)
    row = next(p for p in read_csv(SAMPLE, "patients.csv") if p["Id"] == CHART_PATIENT)
    assert is_valid_mrn(patient.mrn), patient.mrn
    assert (patient.race, patient.ethnicity, patient.marital_status) == ("2028-9", "2186-5", "M")
    assert patient.state == "MA"
    assert (patient.first_name, patient.last_name, str(patient.date_of_birth)) == (
        row["FIRST"],
        row["LAST"],
        row["BIRTHDATE"],
    )
    assert patient.reveal_ssn() == row["SSN"].replace("-", "")
    assert patient.ssn_last4 == row["SSN"][-4:]

    mine = lambda name, column="PATIENT": [  # noqa: E731
        r for r in read_csv(SAMPLE, name) if r[column] == CHART_PATIENT
    ]
    encounters = Encounter.objects.filter(patient=patient)
    assert set(encounters.values_list("external_id", flat=True)) == {
        e["Id"] for e in mine("encounters.csv")
    }
    assert sorted(
        Diagnosis.objects.filter(encounter__patient=patient).values_list(
            "condition__code", flat=True
        )
    ) == sorted(c["CODE"] for c in mine("conditions.csv"))

    vitals_rows = [o for o in mine("observations.csv") if o["CATEGORY"] == "vital-signs"]
    heights = {
        o["DATE"][:10]: Decimal(o["VALUE"]).quantize(Decimal("0.1"))
        for o in vitals_rows
        if o["CODE"] == "8302-2"
    }
    recorded = {
        str(v.recorded_at.date()): v.height_cm
        for v in VitalSigns.objects.filter(encounter__patient=patient)
    }
    assert heights and recorded == heights

    labs = {
        (o["CODE"], Decimal(o["VALUE"]).normalize() if o["TYPE"] == "numeric" else o["VALUE"])
        for o in mine("observations.csv")
        if o["CATEGORY"] == "laboratory"
    }
    stored = {
        (code, number.normalize() if number is not None else text)
        for code, number, text in LabResult.objects.filter(encounter__patient=patient).values_list(
            "lab_test__loinc_code", "value_numeric", "value_text"
        )
    }
    assert labs and stored == labs

    events = vaccinations.vaccinations_for_patient(patient.pk)
    assert sorted((e["cvx_code"], str(e["date"])) for e in events) == sorted(
        (i["CODE"], i["DATE"][:10]) for i in mine("immunizations.csv")
    )

    claims = mine("claims.csv", "PATIENTID")
    bills = Bill.objects.filter(patient=patient)
    assert set(bills.values_list("external_id", flat=True)) == {c["Id"] for c in claims}
    charges = Counter()
    for t in mine("claims_transactions.csv", "PATIENTID"):
        if t["TYPE"] == "CHARGE":
            charges[t["CLAIMID"]] += Decimal(t["AMOUNT"])
    for bill in bills:
        assert bill.total_amount == charges[bill.external_id]
        assert (
            bill.status == Bill.Status.PAID
        )  # every claim of this patient is CLOSED, nothing owed


def test_payments_adjustments_and_transfers_become_the_ledger_and_match_outstanding():
    run_import(SAMPLE)
    outstanding = {
        claim["Id"]: sum(
            (Decimal(claim[c] or "0") for c in ("OUTSTANDING1", "OUTSTANDING2", "OUTSTANDINGP")),
            Decimal("0"),
        )
        for claim in read_csv(SAMPLE, "claims.csv")
    }
    money_rows = [
        t
        for t in read_csv(SAMPLE, "claims_transactions.csv")
        if (t["TYPE"] == "PAYMENT" and Decimal(t["PAYMENTS"] or "0") > 0)
        or (t["TYPE"] == "ADJUSTMENT" and Decimal(t["ADJUSTMENTS"] or "0") > 0)
        or (
            t["TYPE"] == "TRANSFERIN"
            and t["TRANSFERTYPE"] == "p"
            and Decimal(t["AMOUNT"] or "0") > 0
        )
    ]

    assert LedgerEntry.objects.count() == len(money_rows)
    bills = list(Bill._base_manager.all())
    sums = ledger_totals([bill.pk for bill in bills])
    for bill in bills:
        assert bill.balance == outstanding[bill.external_id], bill.external_id
        stored = {name: getattr(bill, name) for name in sums[bill.pk].fields()}
        assert stored == sums[bill.pk].fields(), bill.external_id
    paid_by = Counter(LedgerEntry.objects.filter(kind="payment").values_list("party", flat=True))
    assert paid_by["payer"] > 0 and paid_by["patient"] > 0
    assert LedgerEntry.objects.filter(kind="transfer").exists()


def test_it_changes_nothing_when_the_same_export_is_imported_again():
    run_import(SAMPLE)
    counts = {model: model._base_manager.count() for model in expected_counts(SAMPLE)}
    history = Encounter.history.count()

    output, report = run_import(SAMPLE)

    assert report == []
    total = summary_row(output, "total")
    assert (total["created"], total["updated"]) == (0, 0)
    assert {model: model._base_manager.count() for model in counts} == counts
    assert Encounter.history.count() == history
    assert documents_per_patient() == (
        len(read_csv(SAMPLE, "careplans.csv")),
        len(read_csv(SAMPLE, "immunizations.csv")),
    )


def test_it_reports_each_damaged_row_with_file_line_and_reason_and_imports_the_rest(tmp_path):
    export = one_patient_copy(tmp_path)
    encounters = read_csv(export, "encounters.csv")
    orphan = {**encounters[0], "Id": "orphan-encounter", "PATIENT": "no-such-patient"}
    write_csv(export, "encounters.csv", [*encounters, orphan])
    with (export / "encounters.csv").open("a", encoding="utf-8") as handle:
        handle.write("truncated-encounter,2023-01-01T00:00:00Z,2023-01-01T01:00:00Z\n")
    conditions = read_csv(export, "conditions.csv")
    conditions[1]["START"] = "2023-13-45"
    write_csv(export, "conditions.csv", conditions)
    observations = read_csv(export, "observations.csv")
    pulse = next(i for i, o in enumerate(observations) if o["CODE"] == "8867-4")
    observations[pulse]["VALUE"] = "400.0"
    write_csv(export, "observations.csv", observations)

    with pytest.raises(CommandError, match=r"4 row\(s\) rejected"):
        run_import(export)
    _, report = run_import(export, "--allow-errors")

    orphan_line, truncated_line = len(encounters) + 2, len(encounters) + 3
    assert report == [
        f"encounters.csv:{orphan_line}: unknown patient 'no-such-patient'",
        f"encounters.csv:{truncated_line}: wrong number of fields (expected 15, got 3)",
        "conditions.csv:3: bad date in START: '2023-13-45'",
        f"observations.csv:{pulse + 2}: heart_rate 400 outside plausible range 20-250",
    ]
    assert Encounter.objects.count() == len(encounters)
    assert Diagnosis.objects.count() == len(conditions) - 1


def test_it_stops_before_any_write_when_a_required_column_or_file_is_missing(tmp_path):
    export = one_patient_copy(tmp_path)
    observations = read_csv(export, "observations.csv")
    write_csv(
        export,
        "observations.csv",
        observations,
        columns=[c for c in observations[0] if c != "CODE"],
    )

    with pytest.raises(CommandError) as error:
        run_import(export)

    assert str(error.value) == "observations.csv: missing column(s) CODE"
    assert Organization.objects.count() == 0 and Patient.objects.count() == 0

    (export / "patients.csv").unlink()
    with pytest.raises(CommandError, match="patients.csv: required file is missing"):
        run_import(export)


def test_it_imports_a_2x_shaped_export_and_a_newer_one(tmp_path):
    export = one_patient_copy(tmp_path)
    encounters = read_csv(export, "encounters.csv")
    for row in encounters:
        row["PROVIDER"] = row.pop("ORGANIZATION")
    write_csv(export, "encounters.csv", encounters)
    procedures = read_csv(export, "procedures.csv")
    for row in procedures:
        row["DATE"] = row.pop("START")
        del row["STOP"]
    write_csv(export, "procedures.csv", procedures)
    observations = read_csv(export, "observations.csv")
    expected_vitals = len(
        {(o["ENCOUNTER"], o["DATE"]) for o in observations if o["CATEGORY"] == "vital-signs"}
    )
    expected_labs = sum(o["CATEGORY"] == "laboratory" for o in observations)
    for row in observations:
        del row["CATEGORY"]
    write_csv(export, "observations.csv", observations)
    (export / "claims.csv").unlink()
    (export / "claims_transactions.csv").unlink()
    patients = read_csv(export, "patients.csv")
    for row in patients:
        row.update(MIDDLE="Quincy", FIPS="25017", INCOME="52000")
    write_csv(export, "patients.csv", patients)

    _, report = run_import(export)

    assert report == []
    assert Patient.objects.get().middle_name == "Quincy"
    organization_ids = {e["PROVIDER"] for e in encounters}
    assert (
        set(Encounter.objects.values_list("organization__external_id", flat=True))
        == organization_ids
    )
    assert CareAssignment.objects.count() == 0
    assert VitalSigns.objects.count() == expected_vitals
    assert LabResult.objects.count() == expected_labs
    assert BillLine.objects.count() == len(procedures)
    billed = {p["ENCOUNTER"] for p in procedures}
    assert set(Bill.objects.values_list("encounter__external_id", flat=True)) == billed
    for bill in Bill.objects.all():
        assert bill.total_amount == sum(line.amount for line in bill.lines.all())
        assert bill.status == Bill.Status.SUBMITTED


def test_it_gives_the_same_records_with_tiny_batches_that_split_vital_sign_groups(tmp_path):
    export = one_patient_copy(tmp_path)

    _, report = run_import(export, "--batch-size", "3")

    assert report == []
    for model, count in expected_counts(export).items():
        assert model._base_manager.count() == count, model.__name__
    output, _ = run_import(export, "--batch-size", "3")
    total = summary_row(output, "total")
    assert (total["created"], total["updated"]) == (0, 0)


# Columns the Synthea CSV data dictionary marks optional ("Required? false"), per file,
# and columns it marks required that real exports write empty (patient-level
# observations; claims of no encounter).
OPTIONAL_COLUMNS = {
    "allergies.csv": (
        "STOP", "TYPE", "CATEGORY", "REACTION1", "DESCRIPTION1", "SEVERITY1",
        "REACTION2", "DESCRIPTION2", "SEVERITY2",
    ),
    "careplans.csv": ("STOP", "ENCOUNTER"),
    "claims.csv": (
        "PRIMARYPATIENTINSURANCEID", "SECONDARYPATIENTINSURANCEID", "DIAGNOSIS1", "DIAGNOSIS2",
        "DIAGNOSIS3", "DIAGNOSIS4", "DIAGNOSIS5", "DIAGNOSIS6", "DIAGNOSIS7", "DIAGNOSIS8",
        "REFERRINGPROVIDERID", "APPOINTMENTID", "SUPERVISINGPROVIDERID", "STATUS1", "STATUS2",
        "STATUSP", "OUTSTANDING1", "OUTSTANDING2", "OUTSTANDINGP", "LASTBILLEDDATE1",
        "LASTBILLEDDATE2", "LASTBILLEDDATEP", "HEALTHCARECLAIMTYPEID1", "HEALTHCARECLAIMTYPEID2",
    ),
    "claims_transactions.csv": (
        "AMOUNT", "METHOD", "FROMDATE", "TODATE", "MODIFIER1", "MODIFIER2", "DIAGNOSISREF1",
        "DIAGNOSISREF2", "DIAGNOSISREF3", "DIAGNOSISREF4", "UNITS", "DEPARTMENTID", "NOTES",
        "UNITAMOUNT", "TRANSFEROUTID", "TRANSFERTYPE", "PAYMENTS", "ADJUSTMENTS", "TRANSFERS",
        "OUTSTANDING", "APPOINTMENTID", "LINENOTE", "PATIENTINSURANCEID", "FEESCHEDULEID",
        "SUPERVISINGPROVIDERID",
    ),
    "conditions.csv": ("STOP",),
    "devices.csv": ("STOP",),
    "encounters.csv": ("STOP", "REASONCODE", "REASONDESCRIPTION"),
    "medications.csv": ("STOP", "REASONCODE", "REASONDESCRIPTION"),
    "observations.csv": ("CATEGORY", "UNITS", "ENCOUNTER"),
    "organizations.csv": ("STATE", "ZIP", "LAT", "LON", "PHONE"),
    "patients.csv": (
        "DEATHDATE", "DRIVERS", "PASSPORT", "PREFIX", "MIDDLE", "SUFFIX", "MAIDEN", "MARITAL",
        "COUNTY", "FIPS", "ZIP", "LAT", "LON",
    ),
    "payer_transitions.csv": ("MEMBERID", "SECONDARY_PAYER", "OWNERSHIP", "OWNERNAME"),
    "payers.csv": ("ADDRESS", "CITY", "STATE_HEADQUARTERED", "ZIP", "PHONE"),
    "procedures.csv": ("STOP", "REASONCODE", "REASONDESCRIPTION"),
    "providers.csv": ("STATE", "ZIP", "LAT", "LON"),
}  # fmt: skip


def assert_every_file_adds_up(output: str) -> None:
    for name in [p.name for p in SAMPLE.glob("*.csv")] + ["total"]:
        row = summary_row(output, name)
        accounted = sum(row[c] for c in ("created", "updated", "unchanged", "skipped", "rejected"))
        assert row["read"] == accounted, (name, row)
    assert "not accounted for" not in output


def test_every_file_of_the_sample_adds_up_and_says_why_rows_were_skipped():
    output, _ = run_import(SAMPLE)

    assert_every_file_adds_up(output)
    observations = read_csv(SAMPLE, "observations.csv")
    metrics = sum(o["CODE"] in ("QALY", "DALY", "QOLS") for o in observations)
    assert metrics > 0
    assert f"observations.csv: {metrics} Synthea simulation metric (QALY, DALY, QOLS)" in output
    for name in ("devices.csv", "supplies.csv", "imaging_studies.csv"):
        rows = len(read_csv(SAMPLE, name))
        assert summary_row(output, name)["skipped"] == rows
        assert f"{name}: {rows} " in output

    again, _ = run_import(SAMPLE)
    assert_every_file_adds_up(again)


@pytest.mark.parametrize("name", sorted(OPTIONAL_COLUMNS))
def test_no_row_is_rejected_when_every_optional_column_of_a_file_is_empty(tmp_path, name):
    export = one_patient_copy(tmp_path)
    rows = read_csv(export, name)
    columns = list(rows[0]) if rows else list(read_csv(SAMPLE, name)[0])
    assert set(OPTIONAL_COLUMNS[name]) & set(columns), "the test blanks nothing"
    for row in rows:
        for column in OPTIONAL_COLUMNS[name]:
            if column in row:
                row[column] = ""
    write_csv(export, name, rows, columns=columns)

    output, report = run_import(export)

    assert report == []
    assert summary_row(output, name)["rejected"] == 0
    assert_every_file_adds_up(output)


def test_clinical_observations_without_an_encounter_go_to_an_encounter_labelled_as_imported(
    tmp_path,
):
    export = one_patient_copy(tmp_path)
    observations = read_csv(export, "observations.csv")
    pulse = next(o for o in observations if o["CODE"] == "8867-4")
    glucose = next(o for o in observations if o["CATEGORY"] == "laboratory")
    loose = [
        {**pulse, "ENCOUNTER": "", "DATE": "2024-02-03T10:00:00Z", "VALUE": "77"},
        {**glucose, "ENCOUNTER": "", "CATEGORY": "", "DATE": "2024-02-03T11:00:00Z"},
    ]
    write_csv(export, "observations.csv", [*observations, *loose])

    output, report = run_import(export)

    assert report == []
    imported = Encounter.objects.get(type_description__startswith="Recorded without an encounter")
    assert imported.patient.external_id == CHART_PATIENT
    assert str(imported.admitted_at.date()) == "2024-02-03"
    assert imported.vital_signs.get().heart_rate == 77
    assert imported.lab_results.get().lab_test.loinc_code == glucose["CODE"]
    assert_every_file_adds_up(output)

    again, _ = run_import(export)
    assert summary_row(again, "observations.csv")["created"] == 0
    assert Encounter.objects.filter(type_description=imported.type_description).count() == 1


def test_a_claim_without_an_encounter_is_billed_on_an_encounter_labelled_as_imported(tmp_path):
    export = one_patient_copy(tmp_path)
    claims = read_csv(export, "claims.csv")
    claims[0]["APPOINTMENTID"] = ""
    write_csv(export, "claims.csv", claims)

    output, report = run_import(export)

    assert report == []
    bill = Bill.objects.get(external_id=claims[0]["Id"])
    assert bill.encounter.type_description.startswith("Recorded without an encounter")
    assert bill.encounter.admitted_at.date() == bill.issued_on
    assert Bill.objects.count() == len(claims)
    assert_every_file_adds_up(output)
