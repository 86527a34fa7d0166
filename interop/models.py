"""Bulk FHIR exports asked for through `GET /fhir/$export` (kick-off, poll, download)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_exports"
    )
    request_url = models.CharField(max_length=500)
    types = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    patients_done = models.PositiveIntegerField(default=0)
    patients_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "FHIR bulk export"

    def __str__(self):
        return f"FHIR export {self.id} ({self.status})"

    @property
    def type_list(self) -> list[str]:
        return [t for t in self.types.split(",") if t]

    @property
    def progress(self) -> str:
        if not self.patients_total:
            return "starting"
        percent = 100 * self.patients_done // self.patients_total
        return f"{percent}% ({self.patients_done:,} of {self.patients_total:,} patients)"


class MonitoringDeviceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class MonitoringDevice(models.Model):
    """A device at a patient's home (pulse oximeter, blood pressure cuff, scale ...) that
    posts vital-sign Observations to `/fhir/Observation` with its own token.

    Only a SHA-256 digest of the token is kept; the token is shown once, at registration.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="monitoring_devices"
    )
    name = models.CharField(max_length=100, help_text="What it is, e.g. “Home BP cuff”.")
    serial_number = models.CharField(max_length=100, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(default=timezone.now)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_reading_at = models.DateTimeField(null=True, blank=True)
    readings = models.PositiveIntegerField(default=0)

    objects = MonitoringDeviceQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = "remote monitoring device"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
