"""FHIR Bulk Data export: kick-off (`GET /fhir/$export`), status (poll, cancel), files."""

import uuid

from django.http import FileResponse
from django.urls import reverse

from access import permissions
from access.audit import Section, access_log_record_aggregate
from interop.models import ExportJob

from .auth import fhir_user
from .export import EXPORT_TYPES
from .export_jobs import (
    export_directory,
    export_job_cancel,
    export_job_refresh,
    export_job_start,
    jobs_of,
)
from .responses import error_response, fhir_response
from .search import FhirError, invalid
from .views import fhir_endpoint

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
KICK_OFF_PARAMS = {"_type", "_outputFormat"}


def _administrator(request):
    user = fhir_user(request)
    if not permissions.can_export_all_records(user):
        raise FhirError(403, "forbidden", "Only administrators export every record.")
    return user


def _job(request, job_id) -> ExportJob:
    job = jobs_of(request.user).filter(pk=job_id).first() if _uuid(job_id) else None
    if job is None:
        raise FhirError(404, "not-found", "No such export (or not yours).")
    return export_job_refresh(job)


def _uuid(text) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


@fhir_endpoint
def kick_off(request):
    """Permission: administrators. Starts an export of every record; answers 202 + status URL."""
    user = _administrator(request)
    unknown = sorted(set(request.GET) - KICK_OFF_PARAMS)
    if unknown:
        raise invalid(
            f"Not supported here: {', '.join(unknown)} (supported: _type, _outputFormat)."
        )
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise invalid("A bulk export needs the header 'Prefer: respond-async'.")
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in NDJSON_FORMATS:
        raise invalid(f"_outputFormat {output_format!r} is not supported (NDJSON only).")
    types = [t for t in request.GET.get("_type", ",".join(EXPORT_TYPES)).split(",") if t]
    unknown_types = sorted(set(types) - set(EXPORT_TYPES))
    if unknown_types or not types:
        raise invalid(
            f"_type {', '.join(unknown_types) or '(empty)'} is not exported; "
            f"choose from {', '.join(EXPORT_TYPES)}."
        )
    access_log_record_aggregate(
        request, section=Section.FHIR, detail=f"$export of every patient: {','.join(types)}"
    )
    job = export_job_start(user=user, types=types, request_url=request.build_absolute_uri())
    status_url = request.build_absolute_uri(reverse("fhir:export_status", args=[job.pk]))
    return fhir_response(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": "Export started.",
                }
            ],
        },
        status=202,
        headers={"Content-Location": status_url},
    )


@fhir_endpoint(methods=("GET", "HEAD", "DELETE"))
def status(request, job_id):
    """Permission: the administrator who started the export. GET polls, DELETE cancels."""
    _administrator(request)
    job = _job(request, job_id)
    if request.method == "DELETE":
        export_job_cancel(job)
        return fhir_response({}, status=202)
    if job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
        return fhir_response(
            {}, status=202, headers={"X-Progress": job.progress, "Retry-After": "5"}
        )
    if job.status == ExportJob.Status.FAILED:
        return error_response(500, "exception", job.error or "The export failed.")
    if job.status == ExportJob.Status.CANCELLED:
        raise FhirError(404, "not-found", "This export was cancelled.")
    manifest = {
        "transactionTime": job.created_at.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": name,
                "url": request.build_absolute_uri(reverse("fhir:export_file", args=[job.pk, name])),
                "count": job.counts.get(name, 0),
            }
            for name in job.type_list
        ],
        "error": [],
    }
    response = fhir_response(manifest)
    response["Content-Type"] = "application/json"
    return response


@fhir_endpoint
def download(request, job_id, resource_type):
    """Permission: the administrator who started the export."""
    _administrator(request)
    job = _job(request, job_id)
    if job.status != ExportJob.Status.COMPLETED or resource_type not in job.type_list:
        raise FhirError(404, "not-found", f"No {resource_type} file in this export.")
    path = export_directory(job) / f"{resource_type}.ndjson"
    if not path.exists():
        raise FhirError(404, "not-found", "The export's files are gone; start it again.")
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
