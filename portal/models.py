"""The portal's own records: invitations, proxy accesses and contact-change requests."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class PortalInvitation(models.Model):
    """A one-time activation link and code for one patient. Only their hashes are stored."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_to = models.EmailField(blank=True)

    history = HistoricalRecords(excluded_fields=["token_hash", "code_hash"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="portal_invitation_expires_after_creation",
            )
        ]

    def __str__(self):
        return f"Portal invitation for patient {self.patient_id} ({self.state})"

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class ProxyAccessQuerySet(models.QuerySet):
    def active(self, day=None):
        """Not revoked, and the end date (inclusive) not passed."""
        return self.filter(revoked_at__isnull=True, ends_on__gte=day or timezone.localdate())


class ProxyAccess(models.Model):
    """A portal user who may read another patient's record in the portal until `ends_on`.

    Never deleted: revoking stamps `revoked_at`, so the access log can still name the proxy.
    """

    class Relationship(models.TextChoices):
        PARENT = "parent", "Parent or guardian"
        CARER = "carer", "Carer (with the patient's consent)"
        OTHER = "other", "Other, with the patient's consent"

    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proxy_accesses"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="proxy_accesses"
    )
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    ends_on = models.DateField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ProxyAccessQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = "proxy access"
        verbose_name_plural = "proxy accesses"
        indexes = [models.Index(fields=["proxy", "ends_on"], name="proxy_access_proxy_idx")]

    def __str__(self):
        return f"{self.proxy} for patient {self.patient_id} until {self.ends_on:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.ends_on >= timezone.localdate()


class ChangeRequest(models.Model):
    """A patient's request to change contact details, applied only once front desk accepts."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone number"
        EMAIL = "email", "Email address"
        ADDRESS = "address", "Address"
        CONTACT_ADD = "contact_add", "Add an emergency contact"
        CONTACT_REMOVE = "contact_remove", "Remove an emergency contact"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The new values, by field name; for CONTACT_REMOVE the contact's id and name.
    values = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-requested_at"], name="change_request_patient_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="change_request_declined_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(reviewed_at__isnull=False),
                name="change_request_reviewed_when_decided",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for patient {self.patient_id} ({self.status})"

    @property
    def summary(self) -> str:
        """The requested change in words, for both the patient and the reviewer."""
        values = self.values
        if self.kind == self.Kind.ADDRESS:
            parts = [values.get(name, "") for name in ADDRESS_FIELDS]
            return ", ".join(part for part in parts if part)
        if self.kind == self.Kind.CONTACT_ADD:
            who = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
            extra = " · ".join(v for v in (values.get("phone"), values.get("email")) if v)
            return f"{who} ({values.get('relationship', '')}) · {extra}"
        if self.kind == self.Kind.CONTACT_REMOVE:
            return f"Remove {values.get('name', 'a contact')}"
        return values.get(self.kind, "")


ADDRESS_FIELDS = ("address_line", "city", "state", "postal_code")
