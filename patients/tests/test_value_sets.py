"""The coded demographics' value sets: shipped with their source, used by the fields."""

import pytest

from patients import value_sets
from patients.models import Patient

VALUE_SETS = [
    value_sets.MARITAL_STATUS,
    value_sets.RACE,
    value_sets.ETHNICITY,
    value_sets.SEX,
    value_sets.GENDER_IDENTITY,
    value_sets.LANGUAGE,
    value_sets.STATE,
]


@pytest.mark.parametrize("name", VALUE_SETS)
def test_it_ships_each_value_set_with_its_source_and_system(name):
    loaded = value_sets.value_set(name)
    assert loaded.system.startswith(("http", "urn:")) and " " not in loaded.system
    assert "http" in loaded.source
    assert len(loaded.codes) >= 4
    assert all(code and display for code, display in loaded.codes.items())


def test_it_maps_what_imports_bring_to_codes():
    assert value_sets.code_for(value_sets.RACE, "white") == "2106-3"
    assert value_sets.code_for(value_sets.RACE, "Black or African American") == "2054-5"
    assert value_sets.code_for(value_sets.ETHNICITY, "nonhispanic") == "2186-5"
    assert value_sets.code_for(value_sets.MARITAL_STATUS, "S") == "S"
    assert value_sets.code_for(value_sets.MARITAL_STATUS, "single") == "S"
    assert value_sets.code_for(value_sets.STATE, "Massachusetts") == "MA"
    assert value_sets.code_for(value_sets.STATE, " ma ") == "MA"
    assert value_sets.code_for(value_sets.LANGUAGE, "Español") == "es"
    assert value_sets.code_for(value_sets.STATE, "Atlantis") == ""


def test_it_holds_administrative_sex_as_the_value_set_lists_it():
    assert dict(Patient.Sex.choices) == value_sets.value_set(value_sets.SEX).codes


def test_the_patient_fields_offer_the_value_sets():
    for field, name in [
        ("race", value_sets.RACE),
        ("ethnicity", value_sets.ETHNICITY),
        ("marital_status", value_sets.MARITAL_STATUS),
        ("gender_identity", value_sets.GENDER_IDENTITY),
        ("preferred_language", value_sets.LANGUAGE),
        ("state", value_sets.STATE),
    ]:
        offered = dict(Patient._meta.get_field(field).choices)
        assert offered == value_sets.value_set(name).codes, field
