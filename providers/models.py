from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from simple_history.models import HistoricalRecords

from core.models import AddressFields
from core.softdelete import AllRowsManager, SoftDeleteManager, SoftDeleteModel, SoftDeleteQuerySet


class Specialty(models.Model):
    name = models.CharField(max_length=120, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self):
        return self.name


class Organization(SoftDeleteModel, AddressFields):
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, db_index=True)
    phone = models.CharField(max_length=40, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(SoftDeleteModel):
    """A clinic or ward of an organization: where providers work and patients are booked."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(max_length=120)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="department_name_unique_in_organization"
            )
        ]

    def __str__(self):
        return self.name


class ProviderKind(models.TextChoices):
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    OTHER = "provider", "Other provider"


class ProviderQuerySet(SoftDeleteQuerySet):
    def with_kind(self):
        """Join the child tables so `kind` needs no query per row."""
        return self.select_related("doctor", "nurse", "specialty", "department")


class ProviderManager(SoftDeleteManager.from_queryset(ProviderQuerySet)):
    def get_queryset(self):
        return super().get_queryset().with_kind()


class HealthcareProvider(SoftDeleteModel):
    """Anyone who gives care. Doctors and nurses are specializations (multi-table)."""

    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNKNOWN = "U", "Unknown"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, db_index=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    specialty = models.ForeignKey(
        Specialty, null=True, blank=True, on_delete=models.PROTECT, related_name="providers"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="providers"
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="providers",
        help_text="Where this provider usually works; their colleagues there see their schedule.",
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)

    objects = ProviderManager()
    all_objects = AllRowsManager()

    history = HistoricalRecords(inherit=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def kind(self) -> str:
        """doctor, nurse or provider; free when the row came through `with_kind()`."""
        for kind in (ProviderKind.DOCTOR, ProviderKind.NURSE):
            try:
                getattr(self, kind.value)
            except ObjectDoesNotExist:
                continue
            return kind.value
        return ProviderKind.OTHER.value

    @property
    def display_name(self) -> str:
        prefix = "Dr. " if self.kind == ProviderKind.DOCTOR else ""
        return f"{prefix}{self.first_name} {self.last_name}"


class Doctor(HealthcareProvider):
    license_number = models.CharField(max_length=40, blank=True)
    board_certified = models.BooleanField(default=False)

    objects = SoftDeleteManager()
    all_objects = AllRowsManager()

    class Meta:
        ordering = ["last_name", "first_name"]


class Nurse(HealthcareProvider):
    license_number = models.CharField(max_length=40, blank=True)
    ward = models.CharField(max_length=100, blank=True)
    registered = models.BooleanField("registered nurse (RN)", default=True)

    objects = SoftDeleteManager()
    all_objects = AllRowsManager()

    class Meta:
        ordering = ["last_name", "first_name"]
