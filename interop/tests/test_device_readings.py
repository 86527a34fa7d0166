"""Remote monitoring: a care-team clinician registers a device; the device posts vital-sign
Observations to /fhir/Observation; refusals are OperationOutcomes."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from fhir.resources import get_fhir_model_class

from access.api_tokens import api_token_create
from interop.devices import device_register, device_revoke
from interop.models import MonitoringDevice
from patients.models import REMOTE_MONITORING_REASON, VitalSigns

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def device(patient_record, attending_doctor):
    device, secret = device_register(
        patient=patient_record,
        name="Home pulse oximeter",
        serial_number="OX-1",
        by=attending_doctor,
    )
    device.secret = secret
    return device


def reading(code="8867-4", value=72, unit="/min", *, identifier="r-1", **changes):
    resource = {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:device:OX-1", "value": identifier}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }
    resource.update(changes)
    return resource


def post(device, resource, *, token=None):
    return Client().post(
        "/fhir/Observation",
        json.dumps(resource),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {token or device.secret}",
    )


def remote_vitals(patient):
    return VitalSigns.objects.filter(
        encounter__patient=patient, encounter__reason=REMOTE_MONITORING_REASON
    )


def test_a_reading_lands_as_vital_signs_in_a_remote_monitoring_encounter(device, patient_record):
    response = post(device, reading())

    assert response.status_code == 201
    stored = response.json()
    get_fhir_model_class("Observation").parse_obj(stored)
    assert stored["valueQuantity"]["value"] == 72
    assert response["Location"].endswith(f"/fhir/Observation/{stored['id']}")
    vitals = remote_vitals(patient_record).get()
    assert vitals.heart_rate == 72
    assert vitals.encounter.encounter_class == "home" and vitals.encounter.is_open
    device.refresh_from_db()
    assert device.readings == 1 and device.last_reading_at is not None


def test_the_same_reading_sent_twice_is_stored_once(device, patient_record):
    first = post(device, reading())
    again = post(device, reading())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert remote_vitals(patient_record).count() == 1


def test_a_blood_pressure_panel_stores_both_pressures_in_one_encounter(device, patient_record):
    panel = reading("85354-9", identifier="bp-1")
    del panel["valueQuantity"]
    panel["component"] = [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "valueQuantity": {
                "value": value,
                "unit": "mm[Hg]",
                "system": "http://unitsofmeasure.org",
                "code": "mm[Hg]",
            },
        }
        for code, value in (("8480-6", 128), ("8462-4", 81))
    ]

    assert post(device, panel).status_code == 201
    assert post(device, reading(identifier="hr-1")).status_code == 201

    rows = remote_vitals(patient_record)
    assert {(v.systolic_bp, v.diastolic_bp) for v in rows} == {(128, 81), (None, None)}
    assert len({v.encounter_id for v in rows}) == 1


@pytest.mark.parametrize(
    ("resource", "status", "says"),
    [
        (reading(value=400), 422, "heart_rate"),
        (reading(unit="beats"), 422, "send UCUM '/min'"),
        (reading(code="39156-5"), 422, "not a vital sign this server takes"),
        (reading(identifier=""), 400, "identifier"),
        (reading(status="preliminary"), 422, "final"),
        (reading(effectiveDateTime="2030-01-01T00:00:00Z"), 422, "future"),
        (reading(effectiveDateTime="2026-01-01"), 422, "time zone"),
        (reading(category=[{"text": "survey"}]), 422, "vital-sign"),
        (reading(subject={"reference": "Patient/999999"}), 403, "another patient"),
        ({"resourceType": "Patient"}, 400, "one Observation"),
        (reading(valueQuantity={"value": "lots"}), 400, "Not a valid FHIR R4 Observation"),
    ],
)
def test_a_bad_reading_is_refused_with_an_operation_outcome_and_nothing_stored(
    device, patient_record, resource, status, says
):
    response = post(device, resource)

    assert response.status_code == status
    outcome = response.json()
    get_fhir_model_class("OperationOutcome").parse_obj(outcome)
    assert says in outcome["issue"][0]["diagnostics"]
    assert not remote_vitals(patient_record).exists()


def test_a_body_that_is_not_json_is_refused(device):
    response = Client().post(
        "/fhir/Observation", "{nope", content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {device.secret}",
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


def test_only_a_registered_device_may_post(device, attending_doctor, patient_record):
    _, personal = api_token_create(user=attending_doctor, name="mine", days=1)
    session = Client()
    session.force_login(attending_doctor)

    assert post(device, reading(), token=personal).status_code == 401
    assert (
        session.post(
            "/fhir/Observation", json.dumps(reading()), content_type="application/fhir+json"
        ).status_code
        == 403  # a session POST, never accepted (no CSRF check here)
    )
    device_revoke(device=device, by=attending_doctor)
    assert post(device, reading()).status_code == 401
    assert not remote_vitals(patient_record).exists()


def test_readings_are_rate_limited_per_device(settings, device, patient_record, attending_doctor):
    settings.DEVICE_READINGS_RATE = "3/m"
    other, other_secret = device_register(patient=patient_record, name="Scale", by=attending_doctor)
    answers = [post(device, reading(identifier=f"r-{n}")).status_code for n in range(5)]
    other.secret = other_secret

    assert answers == [201, 201, 201, 429, 429]
    assert post(other, reading("29463-7", 80.2, "kg", identifier="w-1")).status_code == 201


def test_a_reading_far_outside_the_usual_range_flags_the_chart(
    device, patient_record, attending_doctor
):
    assert post(device, reading(value=150, identifier="fast")).status_code == 201
    browser = Client()
    browser.force_login(attending_doctor)

    page = browser.get(f"/patients/{patient_record.pk}/").content.decode()

    assert 'data-testid="banner-remote-alert"' in page
    assert "pulse</strong> far outside the usual range" in page


def test_a_usual_reading_does_not_flag_the_chart(device, patient_record, attending_doctor):
    post(device, reading(value=75))
    browser = Client()
    browser.force_login(attending_doctor)

    assert (
        "banner-remote-alert" not in browser.get(f"/patients/{patient_record.pk}/").content.decode()
    )


def test_the_care_team_registers_a_device_and_sees_its_token_once(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)

    page = client.post(
        f"/interop/devices/{patient_record.pk}/",
        {"name": "Home BP cuff", "serial_number": "BP-9"},
        follow=True,
    )
    token = page.context["new_token"]["token"]
    assert token.startswith("phmsdev_") and token in page.content.decode()
    assert token not in client.get(f"/interop/devices/{patient_record.pk}/").content.decode()
    device = MonitoringDevice.objects.get(patient=patient_record)
    assert device.serial_number == "BP-9" and device.digest != token

    client.post(f"/interop/devices/{patient_record.pk}/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_only_the_care_team_manages_devices(client, doctor_elsewhere, front_desk, patient_record):
    client.force_login(doctor_elsewhere)
    assert client.get(f"/interop/devices/{patient_record.pk}/").status_code == 404
    client.force_login(front_desk)
    assert client.get(f"/interop/devices/{patient_record.pk}/").status_code == 403


def test_the_banner_keeps_the_visit_as_the_current_encounter(device, patient_record):
    from patients.selectors import patient_banner

    visit = patient_record.encounters.get()
    post(device, reading())

    assert patient_banner(patient_record).encounter == visit


def test_a_clinician_records_into_the_visit_not_the_remote_monitoring_encounter(
    device, patient_record, doctor_elsewhere
):
    from patients.selectors import open_encounter_for

    visit = patient_record.encounters.get()
    post(device, reading())

    assert open_encounter_for(doctor_elsewhere, patient_record) == visit


def test_every_reading_stored_or_refused_is_logged(device, caplog):
    with caplog.at_level("INFO", logger="phms.devices"):
        post(device, reading())
        post(device, reading(unit="bpm", identifier="r-2"))
        post(device, reading(value=400, identifier="r-3"))

    lines = [r.getMessage() for r in caplog.records if r.name == "phms.devices"]
    assert lines[0].startswith(f"device reading stored: device={device.pk}")
    assert "refused" in lines[1] and "send UCUM '/min'" in lines[1]
    assert "refused" in lines[2] and "heart_rate" in lines[2]


def test_registering_a_device_without_a_name_says_so(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)

    page = client.post(f"/interop/devices/{patient_record.pk}/", {"name": " ", "serial_number": ""})

    assert page.status_code == 200 and "name" in page.context["form"].errors
    assert not MonitoringDevice.objects.exists()
