"""A doctor downloads a patient's FHIR record from the chart; makes an API token and a
program reads the record with it."""

import datetime as dt
import json

from fhir.resources.bundle import Bundle
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_a_doctor_downloads_the_patients_fhir_record_from_the_chart(page, care_team):
    patient = care_team["patient"]
    sign_in(page, care_team["doctor"].username)
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_test_id("download-fhir")).to_be_visible()
    page.shot("chart-with-download")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download record (FHIR)").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8") as file:
        bundle = json.load(file)

    assert download.suggested_filename == f"{patient.mrn}-fhir.json"
    Bundle.parse_obj(bundle)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "Encounter", "Observation", "Condition", "MedicationRequest"} <= kinds
    record = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert record["identifier"][0]["value"] == patient.mrn


def test_a_doctor_makes_an_api_token_that_a_program_uses_and_then_revokes_it(page, care_team):
    patient = care_team["patient"]
    sign_in(page, care_team["doctor"].username)
    page.goto("/access/api-tokens/")
    page.get_by_label("What is it for?").fill("Ward monitoring gateway")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token").locator(".font-monospace").inner_text().strip()
    page.shot("token-shown-once")

    program = page.context.request
    url = f"/fhir/Observation?patient={patient.pk}&category=vital-signs"
    answer = program.get(url, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["total"] > 0

    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("row", name="Ward monitoring gateway")).to_contain_text("revoked")
    page.shot("token-revoked")
    refused = program.get(url, headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401


def test_a_nurse_registers_a_home_monitor_and_its_alarming_reading_flags_the_chart(page, care_team):
    patient = care_team["patient"]
    sign_in(page, care_team["nurse"].username)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Remote monitoring").click()
    page.get_by_label("Device").fill("Home pulse oximeter")
    page.get_by_label("Serial number").fill("OX-2291")
    page.get_by_role("button", name="Register device").click()
    token = page.get_by_test_id("new-device-token").locator(".font-monospace").inner_text().strip()
    page.shot("device-registered")

    reading = {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:device:OX-2291", "value": "0001"}],
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
        "effectiveDateTime": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat(),
        "valueQuantity": {"value": 86, "unit": "%", "code": "%"},
    }
    answer = page.context.request.post(
        "/fhir/Observation",
        data=json.dumps(reading),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
    )
    assert answer.status == 201

    page.goto(f"/patients/{patient.pk}/")
    alert = page.get_by_test_id("banner-remote-alert")
    expect(alert).to_contain_text("SpO₂")
    expect(alert).to_contain_text("far outside the usual range")
    page.shot("chart-flagged")
