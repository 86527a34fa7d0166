"""The Patient resource carries the coded demographics as US Core expects them."""

import pytest

from interop.fhir import codes
from interop.fhir.resources import patient_resource
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _extension(resource, name):
    return next(e for e in resource["extension"] if e["url"] == codes.US_CORE + name)


def test_it_codes_race_ethnicity_gender_identity_marital_status_language_and_state():
    patient = PatientFactory(
        race="2054-5",
        ethnicity="2135-2",
        gender_identity="33791000087105",
        marital_status="M",
        preferred_language="es",
        state="PR",
    )
    resource = patient_resource(patient)  # validated by fhir.resources on the way
    race = {e["url"]: e for e in _extension(resource, "us-core-race")["extension"]}
    assert race["ombCategory"]["valueCoding"] == {
        "system": "urn:oid:2.16.840.1.113883.6.238",
        "code": "2054-5",
        "display": "Black or African American",
    }
    assert race["text"]["valueString"] == "Black or African American"
    ethnicity = _extension(resource, "us-core-ethnicity")["extension"]
    assert ethnicity[0]["valueCoding"]["code"] == "2135-2"
    identity = _extension(resource, "us-core-genderIdentity")["valueCodeableConcept"]
    assert identity["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "33791000087105",
        "display": "Identifies as nonbinary gender",
    }
    assert resource["maritalStatus"]["coding"][0]["code"] == "M"
    assert resource["communication"][0]["language"]["coding"][0] == {
        "system": "urn:ietf:bcp:47",
        "code": "es",
        "display": "Spanish",
    }
    assert resource["address"][0]["state"] == "PR"


def test_a_null_flavor_and_a_word_without_a_code_go_out_as_they_are():
    patient = PatientFactory(race="ASKU", ethnicity="martian", marital_status="")
    resource = patient_resource(patient)
    race = _extension(resource, "us-core-race")["extension"][0]["valueCoding"]
    assert race["system"] == codes.NULL_FLAVOR and race["code"] == "ASKU"
    ethnicity = _extension(resource, "us-core-ethnicity")["extension"]
    assert ethnicity == [{"url": "text", "valueString": "martian"}]
    assert "maritalStatus" not in resource and "communication" not in resource
