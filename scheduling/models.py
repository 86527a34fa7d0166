"""Providers' working hours, appointments and the patients' appointment requests."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from access import permissions
from core.softdelete import AllRowsManager, SoftDeleteManager, SoftDeleteModel
from patients.models import Patient


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(SoftDeleteModel):
    """One block of a provider's weekly template: a weekday, a time span, a slot length."""

    provider = models.ForeignKey(
        "providers.HealthcareProvider", on_delete=models.PROTECT, related_name="working_hours"
    )
    department = models.ForeignKey(
        "providers.Department", on_delete=models.PROTECT, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField("from")
    ends_at = models.TimeField("until")
    slot_minutes = models.PositiveSmallIntegerField(
        "slot length (minutes)", default=15, help_text="Appointments start on this grid."
    )
    valid_from = models.DateField(null=True, blank=True, help_text="Empty: since always.")
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: until changed.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["provider", "weekday", "starts_at"]
        verbose_name_plural = "working hours"
        indexes = [models.Index(fields=["department", "weekday"], name="hours_department_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="hours_slot_length"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="hours_valid_until_after_from",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"
            f" ({self.slot_minutes} min)"
        )

    def clean(self):
        if self.provider_id is None or self.starts_at is None or self.ends_at is None:
            return
        siblings = WorkingHours.objects.filter(
            provider_id=self.provider_id,
            weekday=self.weekday,
            starts_at__lt=self.ends_at,
            ends_at__gt=self.starts_at,
        ).exclude(pk=self.pk)
        for other in siblings:
            if other.valid_during(self.valid_from, self.valid_until):
                raise ValidationError(
                    f"These hours overlap {other} in {other.department}, which the provider "
                    "already works."
                )

    def valid_during(self, first_day, last_day) -> bool:
        """Whether these hours apply on any day of [first_day, last_day] (None: open end)."""
        return (
            self.valid_until is None or first_day is None or first_day <= self.valid_until
        ) and (self.valid_from is None or last_day is None or self.valid_from <= last_day)

    def applies_on(self, day) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


class ScheduleException(SoftDeleteModel):
    """Time a provider does not see patients although the template says they work: leave."""

    class Kind(models.TextChoices):
        LEAVE = "leave", "Leave"
        SICK = "sick", "Sick leave"
        TRAINING = "training", "Training"
        OTHER = "other", "Other"

    provider = models.ForeignKey(
        "providers.HealthcareProvider", on_delete=models.PROTECT, related_name="schedule_exceptions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LEAVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["provider", "starts_at"]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="exception_provider_start_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="exception_end_after_start"
            )
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"
            f" to {self.ends_at:%Y-%m-%d %H:%M}"
        )


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The only scope for lists of appointments with their details (patient, reason).

        Who books sees all; a clinician sees their own appointments and those of patients
        they may see; a patient their own (proxies go through the portal's getter).
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if permissions.can_manage_appointments(user):
            return self
        allowed = Q(pk__in=[])
        if permissions.is_clinician(user):
            own = getattr(user, "provider", None)
            if own is not None:
                allowed |= Q(provider_id=own.pk)
            allowed |= Q(patient__in=Patient.objects.visible_to(user))
        if permissions.can_use_portal(user):
            allowed |= Q(patient__user=user)
        return self.filter(allowed)

    def active(self):
        """Appointments that hold their time: the provider cannot be booked over them."""
        return self.filter(status__in=Appointment.HOLDING_STATUSES)

    def overlapping(self, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def on_day(self, day_start, day_end):
        return self.filter(starts_at__gte=day_start, starts_at__lt=day_end)


class AppointmentManager(SoftDeleteManager.from_queryset(AppointmentQuerySet)):
    pass


class Appointment(SoftDeleteModel):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class Kind(models.TextChoices):
        """The appointment type; check-in opens an encounter of the class it maps to."""

        NEW_PATIENT = "new_patient", "New patient"
        FOLLOW_UP = "follow_up", "Follow-up"
        CHECKUP = "checkup", "Check-up"
        URGENT = "urgent", "Urgent"
        NURSING = "nursing", "Nursing visit"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video visit"

    HOLDING_STATUSES = (Status.BOOKED, Status.ARRIVED, Status.IN_PROGRESS)
    # From each status, where an appointment may go (services enforce it).
    TRANSITIONS = {
        Status.BOOKED: (Status.ARRIVED, Status.IN_PROGRESS, Status.CANCELLED, Status.NO_SHOW),
        Status.ARRIVED: (Status.IN_PROGRESS, Status.COMPLETED),
        Status.IN_PROGRESS: (Status.COMPLETED,),
        Status.COMPLETED: (),
        Status.CANCELLED: (),
        Status.NO_SHOW: (),
    }

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    provider = models.ForeignKey(
        "providers.HealthcareProvider", on_delete=models.PROTECT, related_name="appointments"
    )
    department = models.ForeignKey(
        "providers.Department", on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField("duration (minutes)", default=15)
    ends_at = models.DateTimeField(editable=False)
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.FOLLOW_UP)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    meeting_link = models.URLField(blank=True, help_text="Video visits: where both join.")
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    walk_in = models.BooleanField(default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    encounter = models.ForeignKey(
        "patients.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AppointmentManager()
    all_objects = AllRowsManager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="appointment_provider_idx"),
            models.Index(fields=["department", "starts_at"], name="appointment_department_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="appointment_duration",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_end_after_start"
            ),
        ]

    def __str__(self):
        return (
            f"{self.starts_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
            f" ({self.get_status_display()})"
        )

    def _follow_start(self) -> None:
        # `ends_at` is stored only so overlap queries can use an index; it always follows.
        if self.starts_at is not None and self.duration_minutes:
            self.ends_at = self.starts_at + timedelta(minutes=self.duration_minutes)

    def clean_fields(self, exclude=None):
        self._follow_start()
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        self._follow_start()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "ends_at"}
        super().save(*args, **kwargs)

    @property
    def is_video(self) -> bool:
        return self.mode == self.Mode.VIDEO

    @property
    def holds_time(self) -> bool:
        return self.status in self.HOLDING_STATUSES

    def may_become(self, status) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def may_check_in(self) -> bool:
        """The front desk checks in booked in-person visits (video visits: when they start)."""
        return not self.is_video and self.may_become(self.Status.ARRIVED)

    @property
    def may_start(self) -> bool:
        """The clinician starts an arrived visit, or a booked video visit."""
        return self.may_become(self.Status.IN_PROGRESS) and (
            self.status == self.Status.ARRIVED or self.is_video
        )


class AppointmentRequest(SoftDeleteModel):
    """A patient's request from the portal; the front desk books it or declines it."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the front desk"
        BOOKED = "booked", "Booked"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Window(models.TextChoices):
        ANY = "any", "Any time"
        MORNING = "morning", "Mornings"
        AFTERNOON = "afternoon", "Afternoons"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointment_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    department = models.ForeignKey(
        "providers.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointment_requests",
    )
    provider = models.ForeignKey(
        "providers.HealthcareProvider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointment_requests",
    )
    mode = models.CharField(
        max_length=20, choices=Appointment.Mode.choices, default=Appointment.Mode.IN_PERSON
    )
    earliest_on = models.DateField("not before")
    window = models.CharField(max_length=20, choices=Window.choices, default=Window.ANY)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"], name="request_status_idx")]

    def __str__(self):
        return f"Request of {self.requested_at:%Y-%m-%d}: {self.reason[:40]}"
