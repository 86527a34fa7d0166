"""The patient views' layout: each family of pages in its own module, sharing only
patients/views/common.py, and the helpers each view needs from below it."""

import ast
from pathlib import Path

import pytest

from patients import notes
from patients.models import Patient

VIEWS = Path(__file__).resolve().parents[1] / "views"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda path: path.name)
def test_it_keeps_view_modules_from_importing_each_other(path):
    view_modules = {f"patients.views.{p.stem}" for p in VIEWS.glob("*.py")} - {
        "patients.views.common",
        "patients.views.__init__",
    }
    assert not _imported_modules(path) & view_modules


@pytest.mark.django_db
def test_it_addresses_the_chart_of_a_patient(patient_record):
    assert patient_record.get_absolute_url() == f"/patients/{patient_record.pk}/"


@pytest.mark.django_db
def test_it_finds_a_note_by_its_id_within_its_patient_only(patient_record, other_patient_record):
    mine = notes.note_create(patient=patient_record, author=None, kind="progress", text="Mine.")
    theirs = notes.note_create(
        patient=other_patient_record, author=None, kind="progress", text="Theirs."
    )
    found = notes.note_of_patient(patient_record, mine["id"])
    assert (found["id"], found["text"]) == (mine["id"], "Mine.")
    assert notes.note_of_patient(patient_record, theirs["id"]) is None
    assert notes.note_of_patient(patient_record, "not-an-id") is None
    assert notes.note_of_patient(Patient(pk=patient_record.pk), "0" * 24) is None
