from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import grants, permissions
from core import crypto
from core.models import AddressFields
from core.softdelete import AllRowsManager, SoftDeleteManager, SoftDeleteModel, SoftDeleteQuerySet
from patients import matching, value_sets
from providers.models import HealthcareProvider, Organization


def _range(field: str, low, high) -> Q:
    """A check that a nullable measurement is either missing or inside [low, high]."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


def _bounds(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


# Catalogs -----------------------------------------------------------------------


class Payer(AddressFields):
    """An insurer (or government program) that covers patients."""

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, db_index=True)
    phone = models.CharField(max_length=40, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Condition(models.Model):
    """A coded condition (ICD-10, SNOMED CT) that diagnoses refer to."""

    class CodeSystem(models.TextChoices):
        ICD10 = "ICD-10", "ICD-10"
        SNOMED = "SNOMED-CT", "SNOMED CT"

    code_system = models.CharField(max_length=20, choices=CodeSystem.choices)
    code = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=255, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["code_system", "code"], name="condition_code_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.code_system} {self.code})"


class LabTest(models.Model):
    """A laboratory test identified by its LOINC code."""

    loinc_code = models.CharField("LOINC code", max_length=20, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    unit = models.CharField(max_length=40, blank=True)
    reference_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.loinc_code})"


class Medication(models.Model):
    """A medication in the formulary, coded (RxNorm) and priced per unit."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    strength = models.CharField(max_length=100, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="medication_price_not_negative"
            )
        ]

    def __str__(self):
        return self.name


# Patient and registration -----------------------------------------------------------


class PatientQuerySet(SoftDeleteQuerySet):
    def visible_to(self, user):
        """The only scope for lists, search, reports and exports of patients."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if permissions.sees_all_patients(user):
            return self
        allowed = Q(pk__in=[])
        if permissions.is_clinician(user):
            scope = grants.clinician_patient_scope(user)
            if scope is not None:
                allowed |= Q(pk__in=scope)
            else:
                allowed |= (
                    Q(pk__in=grants.care_team_patient_ids(user))
                    | Q(pk__in=grants.emergency_patient_ids(user))
                    | Q(pk__in=grants.explicitly_granted_patient_ids(user))
                )
        if permissions.can_use_portal(user):
            allowed |= Q(user=user)
        return self.filter(allowed)


class PatientManager(SoftDeleteManager.from_queryset(PatientQuerySet)):
    pass


class RegistrationStep(models.TextChoices):
    """The steps of registering a patient, in order; a patient's field names the next one."""

    CONTACT = "contact", "Contact"
    EMERGENCY_CONTACTS = "emergency_contacts", "Emergency contacts"
    COVERAGE = "coverage", "Coverage"
    PORTAL = "portal", "Portal invitation"
    CHECK_IN = "check_in", "Check-in"
    DONE = "done", "Done"


class Patient(SoftDeleteModel, AddressFields):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNKNOWN = "U", "Unknown"

    mrn = models.CharField("MRN", max_length=20, unique=True)
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient",
    )
    prefix = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    suffix = models.CharField(max_length=20, blank=True)
    maiden_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(db_index=True)
    date_of_death = models.DateField(null=True, blank=True)
    sex = models.CharField("administrative sex", max_length=1, choices=Sex.choices)
    gender_identity = models.CharField(
        max_length=20, blank=True, choices=value_sets.gender_identity_choices
    )
    race = models.CharField(max_length=20, blank=True, choices=value_sets.race_choices)
    ethnicity = models.CharField(max_length=20, blank=True, choices=value_sets.ethnicity_choices)
    marital_status = models.CharField(
        max_length=20, blank=True, choices=value_sets.marital_status_choices
    )
    preferred_language = models.CharField(
        max_length=10, blank=True, choices=value_sets.language_choices
    )
    # The USPS code. The directory filters and sorts by state (patient_state_name_idx).
    state = models.CharField(max_length=100, blank=True, choices=value_sets.state_choices)
    county = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # The SSN is stored encrypted; only its last four digits are kept in clear for display.
    ssn_encrypted = models.TextField(blank=True, editable=False)
    ssn_last4 = models.CharField(max_length=4, blank=True, editable=False)
    # Phonetic (NYSIIS) keys of the names: the duplicate check's index (patient_match_key_idx).
    family_name_key = models.CharField(max_length=20, blank=True, editable=False)
    given_name_key = models.CharField(max_length=20, blank=True, editable=False)
    # A merged duplicate is soft-deleted and points at the record that survived it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    registration_step = models.CharField(
        max_length=20, choices=RegistrationStep.choices, default=RegistrationStep.DONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatientManager()
    all_objects = AllRowsManager()

    history = HistoricalRecords(
        excluded_fields=["ssn_encrypted", "family_name_key", "given_name_key"]
    )

    soft_delete_cascade = (
        "emergency_contacts",
        "coverages",
        "allergies",
        "encounters",
        "appointments",
        "appointment_requests",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patient_name_idx"),
            models.Index(fields=["first_name"], name="patient_first_name_idx"),
            # The directory's order by state, then name (the id comes with every index).
            models.Index(
                fields=["state", "last_name", "first_name"], name="patient_state_name_idx"
            ),
            # The directory's case-insensitive search on SQLite, which serves LIKE only from
            # NOCASE indexes; MariaDB skips these (its own indexes are case-insensitive).
            *(
                models.Index(Collate(column, "NOCASE"), name=f"patient_{column}_nocase_idx")
                for column in ("first_name", "last_name", "mrn")
            ),
            models.Index(fields=["created_at"], name="patient_created_idx"),  # the dashboard
            models.Index(
                fields=["family_name_key", "given_name_key"], name="patient_match_key_idx"
            ),
            models.Index(fields=["ssn_last4"], name="patient_ssn_last4_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_death__isnull=True)
                | Q(date_of_death__gte=models.F("date_of_birth")),
                name="patient_death_after_birth",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["F", "M", "O", "U"]), name="patient_sex_valid"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        self.refresh_match_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "family_name_key", "given_name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("patients:chart", kwargs={"pk": self.pk})

    def refresh_match_keys(self) -> None:
        """Derive the phonetic name keys (bulk inserts, which skip save(), call this too)."""
        self.family_name_key = matching.name_key(self.last_name)
        self.given_name_key = matching.name_key(self.first_name)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_deceased(self) -> bool:
        return self.date_of_death is not None

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        """Age in whole years today, or at death."""
        return self.age_on(self.date_of_death or date.today())

    def set_ssn(self, ssn: str) -> None:
        digits = "".join(ch for ch in ssn if ch.isdigit())
        if not digits:
            self.ssn_encrypted = self.ssn_last4 = ""
            return
        self.ssn_encrypted = crypto.encrypt(digits)
        self.ssn_last4 = digits[-4:]

    def reveal_ssn(self) -> str:
        return crypto.decrypt(self.ssn_encrypted) if self.ssn_encrypted else ""

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""


class DuplicateReview(models.Model):
    """At registration: the clerk judged a possible duplicate to be a different person."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="duplicate_reviews")
    candidate = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    points = models.SmallIntegerField()
    reason = models.CharField(max_length=255)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"patient {self.patient_id} is not patient {self.candidate_id}: {self.reason}"


class PatientMerge(models.Model):
    """A duplicate merged into the record that survives; `moved` lists every row it moved
    (model label and field -> primary keys), so an undo moves exactly those back."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_in")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_out")
    reason = models.CharField(max_length=255)
    moved = models.JSONField(default=dict)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-merged_at", "-pk"]

    def __str__(self):
        return f"patient {self.merged_id} merged into {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class EmergencyContact(SoftDeleteModel):
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="emergency_contacts"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, db_index=True)
    relationship = models.CharField(max_length=60)
    phone = models.CharField(max_length=40)
    email = models.EmailField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.relationship})"


class Coverage(SoftDeleteModel):
    """A patient's insurance with one payer for a period."""

    class Ownership(models.TextChoices):
        SELF = "self", "Self"
        GUARDIAN = "guardian", "Guardian"
        SPOUSE = "spouse", "Spouse"
        OTHER = "other", "Other"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=64, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    ownership = models.CharField(max_length=20, choices=Ownership.choices, default=Ownership.SELF)
    owner_name = models.CharField(max_length=200, blank=True)
    is_secondary = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="coverage_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.payer} {self.member_id}".strip()

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class AllergyQuerySet(SoftDeleteQuerySet):
    def active(self):
        """Allergies (and "no known allergies" assertions) that hold now: clinically
        active, not resolved, neither refuted nor entered in error."""
        return self.filter(
            clinical_status=Allergy.ClinicalStatus.ACTIVE, resolved_date__isnull=True
        ).exclude(
            verification_status__in=[
                Allergy.VerificationStatus.REFUTED,
                Allergy.VerificationStatus.ENTERED_IN_ERROR,
            ]
        )

    def none_known_assertions(self):
        return self.filter(code_system=NO_KNOWN_ALLERGIES_SYSTEM, code=NO_KNOWN_ALLERGIES_CODE)

    def substances(self):
        """Real allergies: everything but the "no known allergies" assertions."""
        return self.exclude(code_system=NO_KNOWN_ALLERGIES_SYSTEM, code=NO_KNOWN_ALLERGIES_CODE)


class AllergyManager(SoftDeleteManager.from_queryset(AllergyQuerySet)):
    pass


# The explicit "no known allergies" assertion is an Allergy row with this SNOMED CT code
# (716186003 |No known allergy (situation)|).
NO_KNOWN_ALLERGIES_SYSTEM = "SNOMED-CT"
NO_KNOWN_ALLERGIES_CODE = "716186003"
NO_KNOWN_ALLERGIES_DESCRIPTION = "No known allergies"


class Allergy(SoftDeleteModel):
    """An allergy or intolerance recorded for the patient (kept relational: it drives care),
    or the explicit assertion that the patient has none known (see NO_KNOWN_ALLERGIES_CODE)."""

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        UNKNOWN = "", "Unknown"

    class ClinicalStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        RESOLVED = "resolved", "Resolved"

    class VerificationStatus(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Unconfirmed"
        CONFIRMED = "confirmed", "Confirmed"
        REFUTED = "refuted", "Refuted"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    encounter = models.ForeignKey(
        "Encounter", null=True, blank=True, on_delete=models.PROTECT, related_name="allergies"
    )
    code_system = models.CharField(max_length=20, blank=True)
    code = models.CharField(max_length=32, blank=True)
    description = models.CharField("substance", max_length=255)
    allergy_type = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=40, blank=True)
    reaction = models.CharField(max_length=255, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    clinical_status = models.CharField(
        max_length=10, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    verification_status = models.CharField(
        "verification",
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNCONFIRMED,
    )
    onset_date = models.DateField(null=True, blank=True)
    resolved_date = models.DateField(null=True, blank=True)

    objects = AllergyManager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-onset_date"]
        verbose_name_plural = "allergies"
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_date__isnull=True)
                | Q(onset_date__isnull=True)
                | Q(resolved_date__gte=models.F("onset_date")),
                name="allergy_resolved_after_onset",
            )
        ]

    def __str__(self):
        return self.description

    @property
    def is_none_known_assertion(self) -> bool:
        return (self.code_system, self.code) == (NO_KNOWN_ALLERGIES_SYSTEM, NO_KNOWN_ALLERGIES_CODE)

    @property
    def is_active(self) -> bool:
        """The same rule as `Allergy.objects.active()`, for one loaded row."""
        return (
            self.clinical_status == self.ClinicalStatus.ACTIVE
            and self.resolved_date is None
            and self.verification_status
            not in (self.VerificationStatus.REFUTED, self.VerificationStatus.ENTERED_IN_ERROR)
        )


# Encounters and what happens in one ----------------------------------------------------


class LateEntryFields(models.Model):
    """A record filed into an encounter after it finished says so, and why."""

    late_entry_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True

    @property
    def is_late_entry(self) -> bool:
        return bool(self.late_entry_reason)


# The reason (and type) of the encounter that holds a patient's remote device readings.
REMOTE_MONITORING_REASON = "Remote monitoring (device readings)"


class Encounter(SoftDeleteModel):
    class EncounterClass(models.TextChoices):
        AMBULATORY = "ambulatory", "Ambulatory"
        EMERGENCY = "emergency", "Emergency"
        INPATIENT = "inpatient", "Inpatient"
        OUTPATIENT = "outpatient", "Outpatient"
        URGENT_CARE = "urgentcare", "Urgent care"
        WELLNESS = "wellness", "Wellness"
        HOME = "home", "Home"
        VIRTUAL = "virtual", "Virtual"
        HOSPICE = "hospice", "Hospice"
        SNF = "snf", "Skilled nursing facility"
        NURSING = "nursing", "Nursing visit"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    encounter_class = models.CharField(
        "class", max_length=20, choices=EncounterClass.choices, default=EncounterClass.AMBULATORY
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    admitted_at = models.DateTimeField(db_index=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    type_code = models.CharField(max_length=32, blank=True)
    type_description = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="encounters"
    )

    history = HistoricalRecords()

    soft_delete_cascade = (
        "care_assignments",
        "vital_signs",
        "symptoms",
        "diagnoses",
        "lab_results",
        "prescriptions",
        "bills",
    )

    class Meta:
        ordering = ["-admitted_at"]
        indexes = [
            models.Index(fields=["patient", "-admitted_at"], name="encounter_patient_date_idx"),
            # The reports and the dashboard read these columns only (no table read): the
            # month and class of admissions, an encounter's patient, the open census. The
            # soft-delete column leads where every query asks `deleted_at IS NULL`, or
            # MariaDB prefers that column's own index and reads the rows.
            models.Index(
                fields=["deleted_at", "admitted_at", "encounter_class", "patient"],
                name="encounter_month_report_idx",
            ),
            models.Index(fields=["id", "deleted_at", "patient"], name="encounter_patient_of_idx"),
            models.Index(
                fields=["deleted_at", "discharged_at", "status", "encounter_class"],
                name="encounter_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(discharged_at__gte=models.F("admitted_at")),
                name="encounter_discharged_after_admitted",
            )
        ]

    def __str__(self):
        return f"{self.get_encounter_class_display()} {self.admitted_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None and self.status not in self.CLOSED_STATUSES

    CLOSED_STATUSES = (Status.FINISHED, Status.CANCELLED)

    @property
    def late_entry_refusal(self) -> str:
        """Why a record filed into this closed encounter needs a late-entry reason."""
        return (
            f"The encounter of {timezone.localtime(self.admitted_at):%Y-%m-%d} is "
            f"{self.get_status_display().lower()}. Filing into it is a late entry: give the "
            "reason, or open a new encounter."
        )

    @classmethod
    def open_q(cls, prefix: str = "") -> Q:
        """Encounters still open (`prefix` e.g. "encounter__" from a related model)."""
        return Q(**{f"{prefix}discharged_at__isnull": True}) & ~Q(
            **{f"{prefix}status__in": cls.CLOSED_STATUSES}
        )


class CareAssignment(SoftDeleteModel):
    """A provider's role in one encounter; it is what grants access to the patient."""

    class Role(models.TextChoices):
        ATTENDING = "attending", "Attending"
        CONSULTING = "consulting", "Consulting"
        NURSING = "nursing", "Nursing"

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="care_assignments"
    )
    provider = models.ForeignKey(
        HealthcareProvider, on_delete=models.PROTECT, related_name="care_assignments"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    assigned_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["encounter", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "provider", "role"], name="care_assignment_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider} ({self.get_role_display()})"


# Plausible ranges of each vital sign, enforced by the form and by the database.
VITAL_RANGES = {
    "heart_rate": (20, 250),
    "temperature_c": (Decimal("30.0"), Decimal("45.0")),
    "systolic_bp": (50, 260),
    "diastolic_bp": (20, 160),
    "spo2": (50, 100),
    "respiratory_rate": (4, 70),
    "weight_kg": (Decimal("0.3"), Decimal("400.0")),
    "height_cm": (Decimal("20.0"), Decimal("250.0")),
    "pain_score": (0, 10),
}


class VitalSigns(LateEntryFields, SoftDeleteModel):
    """One set of vital signs; each value may be missing but never implausible."""

    class Consciousness(models.TextChoices):
        """The ACVPU scale of NEWS2."""

        NOT_RECORDED = "", "Not recorded"
        ALERT = "alert", "Alert"
        NEW_CONFUSION = "confusion", "New confusion"
        VOICE = "voice", "Responds to voice"
        PAIN = "pain", "Responds to pain"
        UNRESPONSIVE = "unresponsive", "Unresponsive"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="vital_signs")
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        HealthcareProvider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    heart_rate = models.PositiveSmallIntegerField(
        "heart rate (/min)", null=True, blank=True, validators=_bounds(*VITAL_RANGES["heart_rate"])
    )
    temperature_c = models.DecimalField(
        "temperature (°C)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["temperature_c"]),
    )
    systolic_bp = models.PositiveSmallIntegerField(
        "systolic BP (mmHg)",
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["systolic_bp"]),
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        "diastolic BP (mmHg)",
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["diastolic_bp"]),
    )
    spo2 = models.PositiveSmallIntegerField(
        "SpO₂ (%)", null=True, blank=True, validators=_bounds(*VITAL_RANGES["spo2"])
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        "respiratory rate (/min)",
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["respiratory_rate"]),
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["weight_kg"]),
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_bounds(*VITAL_RANGES["height_cm"]),
    )
    pain_score = models.PositiveSmallIntegerField(
        "pain (0-10)", null=True, blank=True, validators=_bounds(*VITAL_RANGES["pain_score"])
    )
    # None: not recorded; False: breathing room air.
    supplemental_oxygen = models.BooleanField("on supplemental oxygen", null=True, blank=True)
    consciousness = models.CharField(
        "consciousness (ACVPU)", max_length=12, choices=Consciousness.choices, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = "vital signs"
        constraints = [
            *(
                models.CheckConstraint(
                    condition=_range(field, *bounds), name=f"vitals_{field}_range"
                )
                for field, bounds in VITAL_RANGES.items()
            ),
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True)
                | Q(diastolic_bp__isnull=True)
                | Q(systolic_bp__gt=models.F("diastolic_bp")),
                name="vitals_systolic_above_diastolic",
            ),
        ]

    def __str__(self):
        return f"Vitals {self.recorded_at:%Y-%m-%d %H:%M}"

    @property
    def blood_pressure(self) -> str:
        if self.systolic_bp is None or self.diastolic_bp is None:
            return ""
        return f"{self.systolic_bp}/{self.diastolic_bp}"

    @property
    def bmi(self) -> Decimal | None:
        if not self.weight_kg or not self.height_cm:
            return None
        metres = self.height_cm / 100
        return round(self.weight_kg / (metres * metres), 1)


class Symptom(LateEntryFields, SoftDeleteModel):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="symptoms")
    description = models.CharField(max_length=255, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MILD)
    onset_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        return self.description


class Diagnosis(LateEntryFields, SoftDeleteModel):
    """One condition of the patient, diagnosed in an encounter: a row of the problem list."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="diagnoses")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="diagnoses")
    diagnosed_by = models.ForeignKey(
        HealthcareProvider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    onset_date = models.DateField(db_index=True)
    resolved_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Why the status was set where it needs one ("entered in error" always does).
    status_reason = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-onset_date"]
        verbose_name_plural = "diagnoses"
        indexes = [
            # Covers the diagnosis reports' grouping by condition (reports/selectors.py).
            models.Index(
                fields=["deleted_at", "condition", "status", "encounter", "onset_date"],
                name="diagnosis_report_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_date__isnull=True)
                | Q(resolved_date__gte=models.F("onset_date")),
                name="diagnosis_resolved_after_onset",
            ),
            models.CheckConstraint(
                condition=~Q(status="entered_in_error") | ~Q(status_reason=""),
                name="diagnosis_entered_in_error_has_reason",
            ),
        ]

    def __str__(self):
        return str(self.condition)


class LabResult(LateEntryFields, SoftDeleteModel):
    class Flag(models.TextChoices):
        NORMAL = "N", "Normal"
        LOW = "L", "Low"
        HIGH = "H", "High"
        ABNORMAL = "A", "Abnormal"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="lab_results")
    lab_test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="results")
    observed_at = models.DateTimeField(db_index=True)
    value_numeric = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    value_text = models.CharField(max_length=255, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    reference_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    abnormal_flag = models.CharField(max_length=1, choices=Flag.choices, default=Flag.NORMAL)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_numeric__isnull=False) | ~Q(value_text=""),
                name="lab_result_has_value",
            ),
            models.CheckConstraint(
                condition=Q(reference_low__isnull=True)
                | Q(reference_high__isnull=True)
                | Q(reference_high__gte=models.F("reference_low")),
                name="lab_result_reference_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.lab_test.name}: {self.display_value}"

    @property
    def display_value(self) -> str:
        value = (
            self.value_text if self.value_numeric is None else f"{self.value_numeric.normalize():f}"
        )
        return f"{value} {self.unit}".strip()

    @property
    def reference_range(self) -> str:
        """The range as low–high without trailing zeros; empty when no bound is known."""
        if self.reference_low is None and self.reference_high is None:
            return ""
        low, high = (
            "" if bound is None else f"{bound.normalize():f}"
            for bound in (self.reference_low, self.reference_high)
        )
        return f"{low}–{high}"

    @property
    def is_abnormal(self) -> bool:
        return self.abnormal_flag != self.Flag.NORMAL

    def flag_from_range(self) -> str:
        """The abnormal flag the value earns against its reference range."""
        if self.value_numeric is None:
            return self.abnormal_flag
        if self.reference_low is not None and self.value_numeric < self.reference_low:
            return self.Flag.LOW
        if self.reference_high is not None and self.value_numeric > self.reference_high:
            return self.Flag.HIGH
        return self.Flag.NORMAL


class PrescriptionQuerySet(SoftDeleteQuerySet):
    def current(self, on: date):
        """Prescriptions not stopped whose end date (if any) is not before `on`."""
        return self.filter(stopped_at__isnull=True).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        )


class PrescriptionManager(SoftDeleteManager.from_queryset(PrescriptionQuerySet)):
    pass


class Prescription(LateEntryFields, SoftDeleteModel):
    """A medication order. Prescribing fills the structured dose, unit, route and frequency;
    rows imported from elsewhere (Synthea) may carry only the free-text `dose_text` /
    `frequency_text`, which `dosage` shows when the structured fields are empty."""

    class DoseUnit(models.TextChoices):
        MG = "mg", "mg"
        G = "g", "g"
        MCG = "mcg", "mcg"
        ML = "mL", "mL"
        UNIT = "unit", "unit"
        TABLET = "tablet", "tablet"
        CAPSULE = "capsule", "capsule"
        PUFF = "puff", "puff"
        DROP = "drop", "drop"

    class Route(models.TextChoices):
        ORAL = "oral", "Oral"
        INTRAVENOUS = "iv", "Intravenous (IV)"
        INTRAMUSCULAR = "im", "Intramuscular (IM)"
        SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
        TOPICAL = "topical", "Topical"
        INHALED = "inhaled", "Inhaled"
        RECTAL = "rectal", "Rectal"
        SUBLINGUAL = "sublingual", "Sublingual"
        NASAL = "nasal", "Nasal"
        OPHTHALMIC = "ophthalmic", "Eye (ophthalmic)"
        OTIC = "otic", "Ear (otic)"
        TRANSDERMAL = "transdermal", "Transdermal"
        VAGINAL = "vaginal", "Vaginal"

    class Frequency(models.TextChoices):
        ONCE_DAILY = "once_daily", "once daily"
        TWICE_DAILY = "twice_daily", "twice daily"
        THREE_TIMES_DAILY = "three_times_daily", "three times daily"
        FOUR_TIMES_DAILY = "four_times_daily", "four times daily"
        EVERY_4_HOURS = "every_4h", "every 4 hours"
        EVERY_6_HOURS = "every_6h", "every 6 hours"
        EVERY_8_HOURS = "every_8h", "every 8 hours"
        EVERY_12_HOURS = "every_12h", "every 12 hours"
        AT_NIGHT = "at_night", "at night"
        AS_NEEDED = "as_needed", "as needed"
        ONCE = "once", "once"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="prescriptions")
    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, related_name="prescriptions"
    )
    prescriber = models.ForeignKey(
        HealthcareProvider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dose_amount = models.DecimalField(
        "dose",
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    dose_unit = models.CharField("unit", max_length=10, choices=DoseUnit.choices, blank=True)
    route = models.CharField(max_length=20, choices=Route.choices, blank=True)
    dose_frequency = models.CharField(
        "frequency", max_length=20, choices=Frequency.choices, blank=True
    )
    # Free text of imported rows (the columns' names before structured prescribing).
    dose_text = models.CharField("dose (free text)", max_length=100, blank=True, db_column="dose")
    frequency_text = models.CharField(
        "frequency (free text)", max_length=100, blank=True, db_column="frequency"
    )
    start_date = models.DateField(db_index=True)
    end_date = models.DateField(null=True, blank=True)
    dispenses = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=255, blank=True)
    instructions = models.TextField(blank=True)
    allergy_override_reason = models.CharField(max_length=255, blank=True)
    renewed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stop_reason = models.CharField(max_length=255, blank=True)

    objects = PrescriptionManager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="prescription_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__isnull=True) | ~Q(dose_unit=""),
                name="prescription_dose_has_unit",
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | ~Q(stop_reason=""),
                name="prescription_stop_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.medication} {self.dosage}".strip()

    @property
    def dose(self) -> str:
        """The dose as written: "500 mg" from the structured fields, else the free text."""
        if self.dose_amount is None:
            return self.dose_text
        return f"{self.dose_amount.normalize():f} {self.dose_unit}".strip()

    @dose.setter
    def dose(self, text: str) -> None:
        """A dose given as text (importers, the demo seed) is kept as free text."""
        self.dose_text = text

    @property
    def frequency(self) -> str:
        return self.get_dose_frequency_display() if self.dose_frequency else self.frequency_text

    @frequency.setter
    def frequency(self, text: str) -> None:
        self.frequency_text = text

    @property
    def dosage(self) -> str:
        """Dose, route and frequency in one line, e.g. "500 mg · oral · twice daily"."""
        route = self.get_route_display().lower() if self.route else ""
        return " · ".join(part for part in (self.dose, route, self.frequency) if part)

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None


# Chart versions -------------------------------------------------------------------------
# Written only by database triggers (migration 0002) and, for the document store, by
# patients.chart_cache; read to key the chart page's cached sections.


class ChartVersion(models.Model):
    """A number that changes whenever anything shown in one patient's chart changes."""

    patient = models.OneToOneField(
        Patient,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    version = models.BigIntegerField()

    def __str__(self):
        return f"chart {self.patient_id} v{self.version}"


class DataVersion(models.Model):
    """Sixteen counters whose sum changes whenever any patient's records change (database
    triggers, migration patients/0007); reports are cached on that sum."""

    bucket = models.PositiveSmallIntegerField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"data bucket {self.bucket} v{self.version}"


class ReferenceDataVersion(models.Model):
    """One row whose number changes when any catalog name a chart shows changes
    (conditions, lab tests, medications, payers, organizations, providers, usernames)."""

    version = models.BigIntegerField()

    def __str__(self):
        return f"reference data v{self.version}"
