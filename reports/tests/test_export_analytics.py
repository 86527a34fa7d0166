"""manage.py export_analytics: every chart (SVG, PNG) and table (CSV) into a folder."""

import csv

import pytest
from django.core.management import CommandError, call_command

from patients.tests.factories import PayerFactory


def read_csv(path):
    with path.open(encoding="utf-8") as file:
        return list(csv.reader(file))


def test_it_writes_every_chart_and_table(tmp_path, patient_record, other_patient_record):
    call_command("export_analytics", "--out", str(tmp_path / "out"), stdout=None)

    files = {path.name for path in (tmp_path / "out").iterdir()}
    for stem in ("birth-years-year", "birth-years-decade", "top-diagnoses-patients", "claims"):
        assert {f"{stem}.svg", f"{stem}.png"} <= files
    for name in ("birth-years-by-decade", "top-diagnoses-by-diagnoses", "claims-by-status"):
        assert f"{name}.csv" in files
    svg = (tmp_path / "out" / "claims.svg").read_text()
    assert svg.startswith("<?xml") and "<desc" in svg
    assert (tmp_path / "out" / "claims.png").read_bytes().startswith(b"\x89PNG")
    top = read_csv(tmp_path / "out" / "top-diagnoses-by-patients.csv")
    assert top[0] == ["rank", "code", "condition", "patients", "diagnoses"]
    assert top[1][2:4] == ["Hypertension", "2"]


def test_it_suppresses_small_counts_when_asked_and_applies_the_filters(
    tmp_path, patient_record, other_patient_record
):
    call_command(
        "export_analytics", "--out", str(tmp_path), "--suppress", "--sex", patient_record.sex
    )

    top = read_csv(tmp_path / "top-diagnoses-by-patients.csv")
    assert top[1][3] == "<11"
    # Only patient_record's sex: one hypertensive patient, not two.
    assert top[1][4] == "<11"
    births = read_csv(tmp_path / "birth-years-by-year.csv")
    assert {row[0] for row in births[1:]} == {str(patient_record.date_of_birth.year)}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--payer", "No Such Payer"], "No payer named"),
        (["--date-from", "2026-02-30"], "is not a date"),
        (["--date-from", "2026-05-01", "--date-to", "2026-04-01"], "before --date-from"),
    ],
)
def test_bad_arguments_get_a_clear_message(tmp_path, db, arguments, message):
    PayerFactory(name="Acme")

    with pytest.raises(CommandError, match=message):
        call_command("export_analytics", "--out", str(tmp_path), *arguments)
