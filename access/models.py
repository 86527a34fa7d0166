"""Shared records: who read which patient's data, and emergency (break-the-glass) accesses."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccessLog(models.Model):
    """One read of patient data. Append-only; never holds clinical content.

    A page about one patient names it in `patient`. A list (search results, worklists)
    is one entry naming every patient it showed in `patients_shown`. An aggregate view
    (a report) names no patient at all; `detail` says which report or list it was.
    """

    class Section(models.TextChoices):
        CHART = "chart", "Chart"
        DEMOGRAPHICS = "demographics", "Demographics"
        NOTES = "notes", "Notes"
        VACCINATIONS = "vaccinations", "Vaccinations"
        LABS = "labs", "Lab results"
        VITALS = "vitals", "Vital signs"
        ENCOUNTERS = "encounters", "Encounters"
        PRESCRIPTIONS = "prescriptions", "Prescriptions"
        BILLS = "bills", "Bills"
        COVERAGE = "coverage", "Coverage"
        HISTORY = "history", "Change history"
        EXPORT = "export", "Export"
        PRINT = "print", "Print"
        PORTAL = "portal", "Patient portal"
        PROBLEMS = "problems", "Problem list"
        MEDICATIONS = "medications", "Medication list"
        ALLERGIES = "allergies", "Allergies"
        RESULTS = "results", "Results"
        APPOINTMENTS = "appointments", "Appointments"
        SCHEDULE = "schedule", "Schedule"
        DIRECTORY = "directory", "Patient search"
        REGISTRATION = "registration", "Registration (possible duplicates)"
        WORKLIST = "worklist", "Worklist"
        STATEMENT = "statement", "Statement"
        REPORTS = "reports", "Reports (aggregate)"
        FHIR = "fhir", "FHIR interface"
        DEVICES = "devices", "Devices"
        ADMIN = "admin", "Administration"
        BREAK_GLASS = "break_glass", "Emergency access"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_log_entries"
    )
    role = models.CharField(max_length=20, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_log_entries",
    )
    patients_shown = models.ManyToManyField(
        "patients.Patient", blank=True, related_name="access_log_listings"
    )
    section = models.CharField(max_length=20, choices=Section.choices)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    break_glass_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "phms_accesslog"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="accesslog_patient_at_idx"),
            models.Index(fields=["user", "-at"], name="accesslog_user_at_idx"),
        ]

    def __str__(self):
        whose = f"patient {self.patient_id}" if self.patient_id else self.detail or "a list"
        return f"{self.user} read {self.section} of {whose} at {self.at:%Y-%m-%d}"


class BreakGlassQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(expires_at__gt=now or timezone.now(), ended_at__isnull=True)

    def unreviewed(self):
        return self.filter(reviewed_at__isnull=True)


class BreakGlassAccess(models.Model):
    """An emergency access by a clinician outside the care team: time-limited and reviewed."""

    class Category(models.TextChoices):
        EMERGENCY_TREATMENT = "emergency_treatment", "Emergency treatment"
        COVERING = "covering", "Covering for a colleague"
        PATIENT_REQUEST = "patient_request", "Patient request"
        OTHER = "other", "Other"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    category = models.CharField(max_length=24, choices=Category.choices, default=Category.OTHER)
    reason = models.TextField()
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the clinician ended the access before its expiry."
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="break_glass_reviews",
    )
    review_note = models.TextField(blank=True)

    objects = BreakGlassQuerySet.as_manager()

    class Meta:
        db_table = "phms_breakglassaccess"
        ordering = ["-started_at"]
        verbose_name = "break-the-glass access"
        verbose_name_plural = "break-the-glass accesses"
        indexes = [
            models.Index(
                fields=["user", "patient", "expires_at"], name="breakglass_user_patient_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("started_at")),
                name="break_glass_expires_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="break_glass_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.user} on patient {self.patient_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()

    @property
    def closed_at(self):
        """When the access stopped (or stops): ended early, else its expiry."""
        return self.ended_at if self.ended_at is not None else self.expires_at

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(models.Model):
    """A personal token for programs (the FHIR interface): acts as its user, with their role.

    Only a SHA-256 digest of the secret is kept; the secret is shown once, when created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
