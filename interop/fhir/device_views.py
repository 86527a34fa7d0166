"""`POST /fhir/Observation` from registered remote monitoring devices."""

import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_ratelimit.core import is_ratelimited

from interop.devices import device_for_token, device_reading_counted
from patients.services import remote_vital_signs_record

from . import codes, resources
from .device_readings import reading_from
from .responses import fhir_response
from .search import FhirError, invalid

device_log = logging.getLogger("phms.devices")


def _device(request):
    if "HTTP_AUTHORIZATION" not in request.META and request.user.is_authenticated:
        # Without a token this would be a cross-site-forgeable session POST: refused.
        raise FhirError(403, "forbidden", "Readings are posted with a device token, not a session.")
    scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    device = device_for_token(secret.strip()) if scheme.lower() == "bearer" else None
    if device is None:
        raise FhirError(
            401, "login", "Readings are accepted from registered devices only (a device token)."
        )
    return device


def observation_create(request, resource_type):
    """Permission: a registered, not revoked device, for its own patient only."""
    device = _device(request)
    if resource_type != "Observation":
        raise FhirError(405, "not-supported", f"Devices post Observations, not {resource_type}.")
    if is_ratelimited(
        request,
        group="fhir-device-readings",
        key=lambda group, request: str(device.pk),
        rate=settings.DEVICE_READINGS_RATE,
        increment=True,
    ):
        device_log.warning("device reading refused: device=%s rate limit", device.pk)
        raise FhirError(429, "throttled", f"Too many readings ({settings.DEVICE_READINGS_RATE}).")
    try:
        resource = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid("The body is not JSON.") from None
    try:
        reading = reading_from(resource, device=device)
    except FhirError as error:
        device_log.warning("device reading refused: device=%s %s", device.pk, error.diagnostics)
        raise
    try:
        vitals, created = remote_vital_signs_record(
            patient=device.patient,
            recorded_at=reading.recorded_at,
            values=reading.values,
            external_id=reading.external_id,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        else:
            messages = " ".join(error.messages)
        device_log.warning("device reading refused: device=%s %s", device.pk, messages)
        raise FhirError(422, "processing", f"Reading refused: {messages}") from None
    if created:
        device_reading_counted(device)
    device_log.info(
        "device reading %s: device=%s patient=%s vitals=%s",
        "stored" if created else "repeated",
        device.pk,
        device.patient_id,
        vitals.pk,
    )
    if {"systolic_bp", "diastolic_bp"} & set(reading.values):
        part = codes.BLOOD_PRESSURE[2]
    else:
        part = codes.VITALS[next(iter(reading.values))][3]
    stored = next(
        o
        for o in resources.vital_sign_observations(vitals)
        if o["id"] == f"vitals-{vitals.pk}-{part}"
    )
    location = request.build_absolute_uri(reverse("fhir:read", args=["Observation", stored["id"]]))
    return fhir_response(stored, status=201 if created else 200, headers={"Location": location})
