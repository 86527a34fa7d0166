"""Bulk export: manage.py fhir_export, and FHIR Bulk Data's kick-off, poll and download."""

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from fhir.resources import get_fhir_model_class

from access.api_tokens import api_token_create
from access.models import AccessLog
from interop.models import ExportJob

pytestmark = pytest.mark.django_db


def ndjson(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_command_writes_one_valid_ndjson_file_per_type(
    tmp_path, patient_record, other_patient_record, attending_doctor
):
    out = io.StringIO()
    call_command("fhir_export", str(tmp_path), "--no-progress", stdout=out)

    patients = ndjson(tmp_path / "Patient.ndjson")
    assert {p["id"] for p in patients} == {str(patient_record.pk), str(other_patient_record.pk)}
    for name in ("Patient", "Encounter", "Observation", "Condition", "Claim", "Practitioner"):
        rows = ndjson(tmp_path / f"{name}.ndjson")
        assert rows, name
        for row in rows:
            get_fhir_model_class(name).parse_obj(row)
    assert "Observation" in out.getvalue() and "total" in out.getvalue()


def test_the_command_refuses_an_unknown_type(tmp_path):
    with pytest.raises(CommandError, match="unknown resource type"):
        call_command("fhir_export", str(tmp_path), "--type", "Patient,Starship")


@pytest.fixture
def admin_client(administrator):
    _, secret = api_token_create(user=administrator, name="bulk", days=1)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_kick_off_poll_and_download(settings, tmp_path, admin_client, patient_record):
    settings.FHIR_EXPORT_DIR = tmp_path
    settings.FHIR_EXPORT_IN_THREAD = False

    kick_off = admin_client.get(
        "/fhir/$export", {"_type": "Patient,Observation"}, HTTP_PREFER="respond-async"
    )
    assert kick_off.status_code == 202
    status_url = kick_off["Content-Location"]
    manifest = admin_client.get(status_url)
    assert manifest.status_code == 200
    body = manifest.json()
    assert body["requiresAccessToken"] is True
    assert [(o["type"], o["count"]) for o in body["output"]][0] == ("Patient", 1)
    patient_file = admin_client.get(body["output"][0]["url"])
    assert patient_file["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(patient_file.streaming_content).decode().splitlines()
    assert json.loads(lines[0])["id"] == str(patient_record.pk)
    assert AccessLog.objects.filter(section="fhir", detail__startswith="$export").count() == 1

    assert admin_client.delete(status_url).status_code == 202
    assert admin_client.get(status_url).status_code == 404
    assert not (tmp_path / str(ExportJob.objects.get().pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_a_background_export_reports_progress_until_done(settings, tmp_path, administrator):
    from phms.tests import personas

    personas.patient_chart(first_name="Grace", last_name="Hopper", mrn="MRN-BULK-1")
    settings.FHIR_EXPORT_DIR = tmp_path
    settings.FHIR_EXPORT_IN_THREAD = True
    _, secret = api_token_create(user=administrator, name="bulk", days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    status_url = client.get("/fhir/$export", HTTP_PREFER="respond-async")["Content-Location"]
    for _ in range(100):
        answer = client.get(status_url)
        if answer.status_code != 202:
            break
        assert answer["X-Progress"]
        time.sleep(0.1)

    assert answer.status_code == 200
    assert {o["type"] for o in answer.json()["output"]} >= {"Patient", "Encounter", "Claim"}


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {}, 400),  # no Prefer: respond-async
        ({"_type": "Starship"}, {"HTTP_PREFER": "respond-async"}, 400),
        ({"_outputFormat": "text/csv"}, {"HTTP_PREFER": "respond-async"}, 400),
        ({"_since": "2020-01-01"}, {"HTTP_PREFER": "respond-async"}, 400),
    ],
)
def test_a_bad_kick_off_gets_an_operation_outcome(
    settings, tmp_path, admin_client, params, headers, status
):
    settings.FHIR_EXPORT_DIR = tmp_path
    response = admin_client.get("/fhir/$export", params, **headers)

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not ExportJob.objects.exists()


def test_only_administrators_export_and_only_their_own_jobs(
    settings, tmp_path, admin_client, attending_doctor, administrator
):
    settings.FHIR_EXPORT_DIR = tmp_path
    settings.FHIR_EXPORT_IN_THREAD = False
    _, secret = api_token_create(user=attending_doctor, name="nope", days=1)
    doctor = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert doctor.get("/fhir/$export", HTTP_PREFER="respond-async").status_code == 403
    status_url = admin_client.get("/fhir/$export", HTTP_PREFER="respond-async")["Content-Location"]
    assert doctor.get(status_url).status_code == 403
    from access.roles import Role
    from phms.tests import personas

    other_admin = personas.user_with_role(Role.ADMINISTRATOR, username="admin.two")
    _, other_secret = api_token_create(user=other_admin, name="other", days=1)
    other = Client(HTTP_AUTHORIZATION=f"Bearer {other_secret}")
    assert other.get(status_url).status_code == 404


def test_a_job_whose_worker_stopped_is_reported_failed(
    settings, tmp_path, admin_client, administrator
):
    import datetime as dt

    from django.utils import timezone

    settings.FHIR_EXPORT_DIR = tmp_path
    silent = timezone.now() - dt.timedelta(minutes=11)
    job = ExportJob.objects.create(
        requested_by=administrator, types="Patient", request_url="x",
        status=ExportJob.Status.RUNNING, created_at=silent, heartbeat_at=silent,
    )  # fmt: skip

    answer = admin_client.get(f"/fhir/$export-status/{job.pk}")

    assert answer.status_code == 500
    assert "restarted" in answer.json()["issue"][0]["diagnostics"]
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
