import logging

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from access.admin_audit import AccessLoggedAdmin
from core.admin_mixins import ReadOnlyAdminMixin, SoftDeleteAdmin, SoftDeleteInline
from patients.models import (
    Allergy,
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    DuplicateReview,
    EmergencyContact,
    Encounter,
    LabResult,
    LabTest,
    Medication,
    Patient,
    PatientMerge,
    Payer,
    Prescription,
    Symptom,
    VitalSigns,
)

# Catalogs -------------------------------------------------------------------------


@admin.register(Payer)
class PayerAdmin(SimpleHistoryAdmin):
    fields = ["external_id", "name", "address_line", "city", "state", "postal_code", "phone"]
    list_display = ["name", "city", "state", "phone"]
    list_filter = ["state"]
    search_fields = ["name", "external_id"]


@admin.register(Condition)
class ConditionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code_system", "code"]
    list_filter = ["code_system"]
    search_fields = ["name", "code"]


@admin.register(LabTest)
class LabTestAdmin(SimpleHistoryAdmin):
    list_display = ["name", "loinc_code", "unit", "reference_low", "reference_high"]
    search_fields = ["name", "loinc_code"]


@admin.register(Medication)
class MedicationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "strength", "unit_price"]
    search_fields = ["name", "code"]


# Patient and registration ------------------------------------------------------------


class PatientAdminForm(forms.ModelForm):
    # Write-only: the stored SSN is encrypted and the admin only ever shows its last four digits.
    new_ssn = forms.CharField(
        label="SSN",
        required=False,
        max_length=11,
        widget=forms.PasswordInput(render_value=False),
        help_text="Sets or replaces the SSN (9 digits); leave blank to keep the current one.",
    )

    class Meta:
        model = Patient
        # The encrypted SSN (not editable) is never a form field; `new_ssn` replaces it.
        fields = [
            field.name
            for field in Patient._meta.concrete_fields
            if field.editable and not field.primary_key
        ]

    def clean_new_ssn(self):
        raw = self.cleaned_data["new_ssn"].strip()
        digits = "".join(ch for ch in raw if ch.isdigit())
        if raw and (len(digits) != 9 or any(ch not in "0123456789- " for ch in raw)):
            raise forms.ValidationError("An SSN has 9 digits, for example 123-45-6789.")
        return digits


class EmergencyContactInline(SoftDeleteInline):
    model = EmergencyContact
    fields = ["first_name", "last_name", "relationship", "phone", "email"]


class CoverageInline(SoftDeleteInline):
    model = Coverage
    fields = ["payer", "member_id", "start_date", "end_date", "ownership", "is_secondary"]
    autocomplete_fields = ["payer"]


class AllergyInline(SoftDeleteInline):
    model = Allergy
    fields = [
        "description",
        "category",
        "severity",
        "reaction",
        "clinical_status",
        "verification_status",
        "onset_date",
        "resolved_date",
    ]


security_log = logging.getLogger("phms.security")


class ExplicitPatientGrantForm(AdminUserObjectPermissionsForm):
    """An administrator's explicit grant: only "view patient" is given per patient.

    Care-team access needs no grant (it follows the live assignments); this is for work
    without an encounter, such as a case review.
    """

    def get_obj_perms_field_choices(self):
        return [
            (codename, name)
            for codename, name in super().get_obj_perms_field_choices()
            if codename == "view_patient"
        ]


@admin.register(Patient)
class PatientAdmin(AccessLoggedAdmin, GuardedModelAdminMixin, SoftDeleteAdmin):
    patient_path = "pk"
    form = PatientAdminForm
    list_display = ["mrn", "last_name", "first_name", "date_of_birth", "sex", "state", "ssn_masked"]
    list_filter = ["sex", "state"]
    search_fields = ["mrn", "last_name", "first_name", "email", "phone", "external_id"]
    date_hierarchy = "date_of_birth"
    autocomplete_fields = ["user"]
    list_select_related = ["user"]
    readonly_fields = ["ssn_masked", "registration_step", "merged_into", "created_at"]
    inlines = [EmergencyContactInline, CoverageInline, AllergyInline]

    def get_obj_perms_manage_user_form(self, request):
        model_admin = self

        class LoggedGrantForm(ExplicitPatientGrantForm):
            def save_obj_perms(self):
                before = set(self.get_obj_perms_field_initial())
                super().save_obj_perms()
                after = set(self.cleaned_data[self.get_obj_perms_field_name()])
                if before == after:
                    return
                change = "granted" if after else "withdrew"
                message = f"Explicit access {change}: {self.user.username} view_patient"
                model_admin.log_change(request, self.obj, message)
                security_log.warning(
                    "explicit grant %s: by=%s user=%s patient=%s",
                    change,
                    request.user.pk,
                    self.user.pk,
                    self.obj.pk,
                )

        return LoggedGrantForm

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        # A role already decides what a group sees; a patient is granted to one login.
        self.message_user(
            request,
            "Explicit access is granted to one login at a time, not to a group.",
            messages.ERROR,
        )
        return redirect(reverse("admin:patients_patient_permissions", args=[object_pk]))

    fieldsets = [
        (None, {"fields": ["mrn", "external_id", "user"]}),
        (
            "Name",
            {
                "fields": [
                    "prefix",
                    "first_name",
                    "middle_name",
                    "last_name",
                    "suffix",
                    "maiden_name",
                ]
            },
        ),
        (
            "Demographics",
            {
                "fields": [
                    "date_of_birth",
                    "date_of_death",
                    "sex",
                    "gender_identity",
                    "race",
                    "ethnicity",
                    "marital_status",
                    "preferred_language",
                    "ssn_masked",
                    "new_ssn",
                ]
            },
        ),
        (
            "Contact",
            {
                "fields": [
                    "address_line",
                    "city",
                    "county",
                    "state",
                    "postal_code",
                    "phone",
                    "email",
                ]
            },
        ),
        (None, {"fields": ["registration_step", "merged_into", "created_at"]}),
    ]

    @admin.display(description="SSN")
    def ssn_masked(self, obj):
        return obj.ssn_masked or "—"

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("new_ssn"):
            obj.set_ssn(form.cleaned_data["new_ssn"])
        elif change:
            # History never holds the ciphertext, so a revert would blank it: keep the stored SSN.
            stored = Patient.all_objects.filter(pk=obj.pk).values("ssn_encrypted", "ssn_last4")
            for name, value in (stored.first() or {}).items():
                setattr(obj, name, value)
        super().save_model(request, obj, form, change)


@admin.register(DuplicateReview)
class DuplicateReviewAdmin(AccessLoggedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written at registration (the clerk's "a different person"), read here."""

    list_display = ["patient", "candidate", "points", "reason", "reviewed_by", "reviewed_at"]
    list_select_related = ["patient", "candidate", "reviewed_by"]
    date_hierarchy = "reviewed_at"


@admin.register(PatientMerge)
class PatientMergeAdmin(AccessLoggedAdmin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Written by the merge page and its undo, read here."""

    patient_path = "survivor_id"
    list_display = ["merged", "survivor", "reason", "merged_by", "merged_at", "undone_at"]
    list_select_related = ["merged", "survivor", "merged_by"]
    date_hierarchy = "merged_at"


@admin.register(EmergencyContact)
class EmergencyContactAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = ["last_name", "first_name", "relationship", "phone", "patient"]
    list_select_related = ["patient"]
    list_filter = ["relationship"]
    search_fields = ["last_name", "first_name", "phone", "patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient"]


@admin.register(Coverage)
class CoverageAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = ["patient", "payer", "member_id", "start_date", "end_date", "is_secondary"]
    list_select_related = ["patient", "payer"]
    list_filter = ["payer", "ownership", "is_secondary"]
    search_fields = ["member_id", "patient__mrn", "patient__last_name", "payer__name"]
    autocomplete_fields = ["patient", "payer"]


@admin.register(Allergy)
class AllergyAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = [
        "description",
        "patient",
        "category",
        "severity",
        "clinical_status",
        "verification_status",
        "onset_date",
    ]
    list_select_related = ["patient"]
    list_filter = ["category", "severity", "clinical_status", "verification_status"]
    search_fields = ["description", "code", "patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "encounter"]


# Encounters and what happens in one ----------------------------------------------------


class CareAssignmentInline(SoftDeleteInline):
    model = CareAssignment
    fields = ["provider", "role", "ended_at"]
    autocomplete_fields = ["provider"]


class VitalSignsInline(SoftDeleteInline):
    model = VitalSigns
    fields = [
        "recorded_at",
        "heart_rate",
        "temperature_c",
        "systolic_bp",
        "diastolic_bp",
        "spo2",
        "respiratory_rate",
        "weight_kg",
        "height_cm",
        "recorded_by",
    ]
    autocomplete_fields = ["recorded_by"]


class SymptomInline(SoftDeleteInline):
    model = Symptom
    fields = ["description", "severity", "onset_date"]


class DiagnosisInline(SoftDeleteInline):
    model = Diagnosis
    fields = ["condition", "status", "status_reason", "onset_date", "resolved_date", "diagnosed_by"]
    autocomplete_fields = ["condition", "diagnosed_by"]


class LabResultInline(SoftDeleteInline):
    model = LabResult
    fields = [
        "lab_test",
        "observed_at",
        "value_numeric",
        "value_text",
        "unit",
        "reference_low",
        "reference_high",
        "abnormal_flag",
    ]
    autocomplete_fields = ["lab_test"]


class PrescriptionInline(SoftDeleteInline):
    model = Prescription
    fields = [
        "medication",
        "dose_amount",
        "dose_unit",
        "route",
        "dose_frequency",
        "dose_text",
        "frequency_text",
        "start_date",
        "end_date",
        "prescriber",
        "allergy_override_reason",
        "stopped_at",
        "stop_reason",
    ]
    autocomplete_fields = ["medication", "prescriber"]


@admin.register(Encounter)
class EncounterAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = [
        "admitted_at",
        "patient",
        "encounter_class",
        "status",
        "discharged_at",
        "reason",
    ]
    list_select_related = ["patient"]
    list_filter = ["encounter_class", "status"]
    search_fields = ["patient__mrn", "patient__last_name", "reason", "external_id"]
    date_hierarchy = "admitted_at"
    autocomplete_fields = ["patient", "organization"]
    inlines = [
        CareAssignmentInline,
        VitalSignsInline,
        SymptomInline,
        DiagnosisInline,
        LabResultInline,
        PrescriptionInline,
    ]


class EncounterChildAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    """Shared shape of the per-encounter records: searchable by the patient, linked to the visit."""

    patient_path = "encounter.patient_id"

    list_select_related = ["encounter__patient"]
    autocomplete_fields = ["encounter"]
    search_fields = ["encounter__patient__mrn", "encounter__patient__last_name"]

    @admin.display(description="patient", ordering="encounter__patient__last_name")
    def patient(self, obj):
        return obj.encounter.patient


@admin.register(CareAssignment)
class CareAssignmentAdmin(EncounterChildAdmin):
    list_display = ["encounter", "patient", "provider_name", "role", "assigned_at", "ended_at"]
    list_select_related = ["encounter__patient", "provider"]
    list_filter = ["role"]
    search_fields = [*EncounterChildAdmin.search_fields, "provider__last_name"]
    autocomplete_fields = ["encounter", "provider"]

    @admin.display(description="provider", ordering="provider__last_name")
    def provider_name(self, obj):
        return f"{obj.provider.first_name} {obj.provider.last_name}"


@admin.register(VitalSigns)
class VitalSignsAdmin(EncounterChildAdmin):
    list_display = [
        "recorded_at",
        "patient",
        "heart_rate",
        "blood_pressure",
        "temperature_c",
        "spo2",
        "respiratory_rate",
    ]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["encounter", "recorded_by"]


@admin.register(Symptom)
class SymptomAdmin(EncounterChildAdmin):
    list_display = ["description", "patient", "severity", "onset_date"]
    list_filter = ["severity"]
    search_fields = [*EncounterChildAdmin.search_fields, "description"]


@admin.register(Diagnosis)
class DiagnosisAdmin(EncounterChildAdmin):
    list_display = [
        "condition",
        "patient",
        "status",
        "onset_date",
        "resolved_date",
        "status_reason",
    ]
    list_select_related = ["encounter__patient", "condition"]
    list_filter = ["status", "condition__code_system"]
    search_fields = [
        *EncounterChildAdmin.search_fields,
        "condition__code",
        "condition__name",
    ]
    autocomplete_fields = ["encounter", "condition", "diagnosed_by"]


@admin.register(LabResult)
class LabResultAdmin(EncounterChildAdmin):
    list_display = ["observed_at", "patient", "lab_test", "display_value", "abnormal_flag"]
    list_select_related = ["encounter__patient", "lab_test"]
    list_filter = ["abnormal_flag"]
    search_fields = [*EncounterChildAdmin.search_fields, "lab_test__name", "lab_test__loinc_code"]
    date_hierarchy = "observed_at"
    autocomplete_fields = ["encounter", "lab_test"]


@admin.register(Prescription)
class PrescriptionAdmin(EncounterChildAdmin):
    list_display = ["medication", "patient", "dosage", "start_date", "end_date", "stopped_at"]
    list_select_related = ["encounter__patient", "medication"]
    readonly_fields = ["renewed_from", "stopped_by"]
    search_fields = [*EncounterChildAdmin.search_fields, "medication__name", "medication__code"]
    autocomplete_fields = ["encounter", "medication", "prescriber"]
