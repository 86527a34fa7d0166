"""The FHIR R4 endpoints. Thin: authentication, the chart's access getter and predicates,
the access log, and OperationOutcome for every error."""

import functools
import logging

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from access.audit import Section, access_log_record, access_log_record_list
from core.documents import DocumentStoreUnavailable
from patients.access import get_patient_for_user

from . import resources, selectors
from .auth import fhir_user
from .capability import capability_statement
from .device_views import observation_create
from .responses import error_response, fhir_response, operation_outcome, searchset
from .search import FhirError, not_found, parse_query
from .types import PATIENT_COMPARTMENT, RESOURCE_TYPES, PatientType, PractitionerType, patient_id_of

log = logging.getLogger(__name__)
security_log = logging.getLogger("phms.security")
EVERYTHING_PARAMS = {"download"}


def fhir_endpoint(view=None, *, methods=("GET", "HEAD")):
    """Errors as OperationOutcome (never an HTML page); only `methods` are answered."""
    if view is None:
        return functools.partial(fhir_endpoint, methods=methods)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in methods:
            return error_response(405, "not-supported", f"{request.method} is not supported here.")
        try:
            return view(request, *args, **kwargs)
        except FhirError as error:
            _log_refusal(request, error.status)
            return error_response(error.status, error.code, error.diagnostics)
        except Http404:
            _log_refusal(request, 404)
            return error_response(404, "not-found", "No such resource, or not one you may see.")
        except PermissionDenied as error:
            _log_refusal(request, 403)
            return error_response(403, "forbidden", str(error) or "Not allowed.")
        except DocumentStoreUnavailable:
            return error_response(
                503, "transient", "The document store is not answering; try again shortly."
            )
        except (OperationalError, InterfaceError):
            log.warning("fhir: database unavailable", exc_info=True)
            return error_response(503, "transient", "The database is not answering; try again.")
        except Exception:  # a bug: logged with its traceback, answered as FHIR, not HTML
            log.exception("fhir: unexpected error at %s", request.path[:80])
            return error_response(500, "exception", "An unexpected error (logged); sorry.")

    return wrapper


def _log_refusal(request, status: int) -> None:
    user = request.user
    if status not in (403, 404) or not getattr(user, "is_authenticated", False):
        return
    if not getattr(user, "phms_refusal_logged", False):  # the access getter logs its own
        security_log.warning("refused: user=%s %s status=%s", user.pk, request.path[:80], status)


def _resource_type(name: str):
    resource_type = RESOURCE_TYPES.get(name)
    if resource_type is None:
        raise FhirError(404, "not-supported", f"Resource type {name!r} is not supported here.")
    return resource_type


def _readable_patient(request, resource_type, patient_id):
    patient = get_patient_for_user(request.user, patient_id)
    if not resource_type.may_read(request.user, patient):
        raise FhirError(403, "forbidden", f"Your role may not read {resource_type.name}.")
    return patient


@fhir_endpoint
def metadata(request):
    """Permission: public (the FHIR capability statement holds no patient data)."""
    return fhir_response(capability_statement(request.build_absolute_uri(reverse("fhir:base"))))


@fhir_endpoint
def unknown(request, path=""):
    """Permission: public (answers that nothing is here)."""
    raise FhirError(404, "not-supported", f"Nothing is served at /fhir/{path}.")


@csrf_exempt  # a POST is accepted with a device token only, never with a session
@fhir_endpoint(methods=("GET", "HEAD", "POST"))
def search(request, resource_type):
    """Permission: GET: the user's patients (`visible_to`) and, per type, the chart's
    predicates. POST (Observation only): a registered device, for its own patient."""
    if request.method == "POST":
        return observation_create(request, resource_type)
    user = fhir_user(request)
    kind = _resource_type(resource_type)
    query = parse_query(request.GET, set(kind.params))
    start = (query.page - 1) * query.count
    if isinstance(kind, (PatientType, PractitionerType)):
        rows = kind.search(user, query)
        total = rows.count()
        page_rows = list(rows[start : start + query.count])
        if isinstance(kind, PatientType):
            found = [resources.patient_resource(p) for p in page_rows]
            access_log_record_list(
                request,
                patient_ids=[p.pk for p in page_rows],
                section=Section.FHIR,
                detail="Patient search",
            )
        else:
            found = [resources.practitioner_resource(p) for p in page_rows]
        return fhir_response(
            searchset(request, found, total=total, page=query.page, count=query.count)
        )
    patient = _readable_patient(request, kind, patient_id_of(query, kind))
    matches = kind.resources_of(patient.pk, query)
    access_log_record(request, patient=patient, section=Section.FHIR, detail=f"{kind.name} search")
    page = matches[start : start + query.count]
    return fhir_response(
        searchset(request, page, total=len(matches), page=query.page, count=query.count)
    )


@fhir_endpoint
def read(request, resource_type, ident):
    """Permission: as the chart: the resource's patient must be visible, and the type readable."""
    fhir_user(request)
    kind = _resource_type(resource_type)
    if isinstance(kind, PractitionerType):
        resource = kind.read(ident)
        if resource is None:
            raise not_found(f"Practitioner/{ident}")
        return fhir_response(resource)
    patient_pk = kind.patient_of(ident)
    if patient_pk is None:
        raise not_found(f"{resource_type}/{ident}")
    patient = _readable_patient(request, kind, patient_pk)
    resource = kind.resource(ident, patient.pk)
    if resource is None:
        raise not_found(f"{resource_type}/{ident}")
    access_log_record(
        request, patient=patient, section=Section.FHIR, detail=f"{resource_type}/{ident}"
    )
    return fhir_response(resource)


def everything_bundle(request, patient) -> dict:
    """The patient and every resource of their compartment the user may read."""
    found = [resources.patient_resource(patient)]
    outcomes = []
    for name in PATIENT_COMPARTMENT:
        kind = RESOURCE_TYPES[name]
        if not kind.may_read(request.user, patient):
            continue
        try:
            found += kind.resources_of(patient.pk)
        except DocumentStoreUnavailable:
            outcomes.append(
                operation_outcome(
                    "transient",
                    f"{name} resources are missing: the document store is not answering.",
                    severity="warning",
                )
            )
    found += _referenced_practitioners(found)
    return searchset(
        request, found, total=len(found), page=1, count=max(len(found), 1), outcomes=outcomes
    )


def _referenced_practitioners(found: list[dict]) -> list[dict]:
    ids = set()

    def walk(value):
        if isinstance(value, dict):
            ref = value.get("reference", "")
            if isinstance(ref, str) and ref.startswith("Practitioner/"):
                ids.add(int(ref.split("/", 1)[1]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(found)
    return [
        resources.practitioner_resource(p) for p in selectors.practitioners().filter(pk__in=ids)
    ]


@fhir_endpoint
def everything(request, ident):
    """Permission: the patient must be visible; each type as the chart's predicates allow."""
    fhir_user(request)
    parse_query(request.GET, EVERYTHING_PARAMS)
    patient = get_patient_for_user(request.user, ident)
    bundle = everything_bundle(request, patient)
    access_log_record(request, patient=patient, section=Section.FHIR, detail="Patient/$everything")
    headers = {}
    if request.GET.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{patient.mrn}-fhir.json"'
    return fhir_response(bundle, headers=headers)
