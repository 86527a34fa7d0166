"""A database from before coded demographics migrates forward: the words stored become
codes, a word with no code is kept, and the phonetic name keys are filled in."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from patients import matching

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0009_directory_indexes")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_words_become_codes_and_names_get_their_keys():
    old = _migrate(BEFORE)
    try:
        Patient = old.get_model("patients", "Patient")
        common = {"date_of_birth": dt.date(1968, 9, 25), "sex": "M"}
        synthea = Patient.objects.create(
            mrn="SYN1CD7CC0A2E", first_name="Jarvis643", last_name="Miller503", race="asian",
            ethnicity="nonhispanic", marital_status="married", state="Massachusetts", **common,
        )  # fmt: skip
        typed = Patient.objects.create(
            mrn="MRN000000001", first_name="Ada", last_name="Lovelace", race="Martian",
            ethnicity="", marital_status="single", state="Ontario", **common,
        )  # fmt: skip
    finally:
        new = _migrate()

    Patient = new.get_model("patients", "Patient")
    imported = Patient.objects.get(pk=synthea.pk)
    assert (imported.race, imported.ethnicity, imported.marital_status, imported.state) == (
        "2028-9", "2186-5", "M", "MA",
    )  # fmt: skip
    assert (imported.family_name_key, imported.given_name_key) == (
        matching.name_key("Miller"),
        matching.name_key("Jarvis"),
    )
    kept = Patient.objects.get(pk=typed.pk)
    assert (kept.race, kept.marital_status, kept.state) == ("Martian", "S", "Ontario")
    assert kept.mrn == "MRN000000001" and kept.registration_step == "done"
