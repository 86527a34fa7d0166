"""The imports list possible duplicates of patients already on file, and merge none."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from interop.tests.synthea_bundles import write_run
from interop.tests.test_import_synthea import CHART_PATIENT, one_patient_copy
from patients.models import Patient
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered_at_the_desk(db):
    # The sample's chart patient (Jarvis643 Miller503, born 1968-09-25, SSN ...9890),
    # registered by hand before the import, with the digits Synthea adds left off.
    return PatientFactory(
        first_name="Jarvis",
        last_name="Miller",
        date_of_birth=dt.date(1968, 9, 25),
        sex="M",
        ssn="999-22-9890",
    )


def _run(command, path):
    out = io.StringIO()
    call_command(command, str(path), "--allow-errors", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize("command", ["import_synthea", "import_fhir"])
def test_the_report_lists_a_possible_duplicate_and_merges_nothing(
    tmp_path, registered_at_the_desk, command
):
    if command == "import_synthea":
        source = one_patient_copy(tmp_path)
    else:
        source = tmp_path / "fhir"
        write_run(source, CHART_PATIENT)
    output = _run(command, source)
    imported = Patient.objects.get(external_id=CHART_PATIENT)
    assert "Possible duplicate patients (1), not merged; review them:" in output
    line = next(line for line in output.splitlines() if "may be" in line)
    assert imported.mrn in line and registered_at_the_desk.mrn in line
    assert "date of birth" in line and "SSN last four" in line
    assert Patient.objects.count() == 2  # both kept: a person decides
    again = _run(command, source)
    assert "Possible duplicate" not in again  # a re-import creates no one new


def test_an_import_without_matches_lists_none(tmp_path):
    output = _run("import_synthea", one_patient_copy(tmp_path))
    assert "Possible duplicate" not in output
