"""Remote monitoring devices: registration (the token is returned once), revocation, and
the device behind a token."""

import logging

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from access.api_tokens import new_secret, secret_digest
from interop.models import MonitoringDevice

device_log = logging.getLogger("phms.devices")
DEVICE_TOKEN_PREFIX = "phmsdev_"  # noqa: S105 (a marker, not a secret)


def device_register(*, patient, name, serial_number="", by) -> tuple[MonitoringDevice, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the device (what it measures, where it is)."})
    secret, prefix, digest = new_secret(DEVICE_TOKEN_PREFIX)
    device = MonitoringDevice(
        patient=patient,
        name=name,
        serial_number=(serial_number or "").strip(),
        registered_by=by,
        prefix=prefix,
        digest=digest,
    )
    device.full_clean()
    device.save()
    device_log.info("device registered: device=%s patient=%s by=%s", device.pk, patient.pk, by.pk)
    return device, secret


def device_revoke(*, device, by) -> MonitoringDevice:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = by
        device.save(update_fields=["revoked_at", "revoked_by"])
        device_log.info("device revoked: device=%s by=%s", device.pk, by.pk)
    return device


def device_for_token(secret: str) -> MonitoringDevice | None:
    if not secret or not secret.startswith(DEVICE_TOKEN_PREFIX):
        return None
    return (
        MonitoringDevice.objects.active()
        .select_related("patient")
        .filter(digest=secret_digest(secret), patient__deleted_at__isnull=True)
        .first()
    )


def device_reading_counted(device) -> None:
    MonitoringDevice.objects.filter(pk=device.pk).update(
        readings=F("readings") + 1, last_reading_at=timezone.now()
    )


def devices_of(patient):
    return MonitoringDevice.objects.filter(patient=patient).select_related("registered_by")
