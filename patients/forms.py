"""Forms of the clinician's workspace: they validate; services write.

Model forms reuse the models' validators, so a value out of its plausible range
shows a message next to its field. Dates that cannot lie in the future are refused.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import document_schemas as schemas
from patients import selectors, services
from patients.allergens import allergen_by_key, allergen_catalog
from patients.document_schemas import NoteKind, VaccinationStatus
from patients.matching import Identity
from patients.merge import live_patient_by_mrn, merge_refusal
from patients.models import (
    Allergy,
    Condition,
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    LabTest,
    Medication,
    Patient,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.selectors import allergy_status
from patients.services import DELETE_REASON_MAX_LENGTH
from patients.vaccinations import CORRECTABLE_FIELDS
from patients.vaccine_catalog import cvx_choices, cvx_vaccine
from providers.models import HealthcareProvider

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


def _moment_field(label):
    return forms.DateTimeField(
        label=label, required=False, widget=DateTimeInput(), help_text="Leave empty for now."
    )


def _not_in_future_date(value, label="This date"):
    if value and value > timezone.localdate():
        raise ValidationError(f"{label} cannot be in the future.")
    return value


def _not_in_future_datetime(value, label="This time"):
    # A minute of slack: the browser's clock and ours differ a little.
    if value and value > timezone.now() + timezone.timedelta(minutes=1):
        raise ValidationError(f"{label} cannot be in the future.")
    return value


def _encounter_label(encounter) -> str:
    parts = [
        encounter.get_encounter_class_display(),
        f"{timezone.localtime(encounter.admitted_at):%Y-%m-%d %H:%M}",
    ]
    if encounter.is_open:
        parts.append("open")
    if encounter.reason:
        parts.append(encounter.reason)
    return " · ".join(parts)


FINISHED_ENCOUNTERS_SHOWN = 20
LATE_ENTRY_GROUP = "Finished (a late entry: give the reason below)"


class EncounterChoices(forms.models.ModelChoiceIterator):
    """Open encounters first, then the latest finished ones (and the chosen one)."""

    def __iter__(self):
        yield ("", "Choose an encounter")
        open_choices = [self.choice(e) for e in self.queryset.filter(Encounter.open_q())]
        finished = list(self.queryset.exclude(Encounter.open_q())[:FINISHED_ENCOUNTERS_SHOWN])
        chosen = self.field.chosen_pk
        if chosen is not None and all(encounter.pk != chosen for encounter in finished):
            finished += list(self.queryset.exclude(Encounter.open_q()).filter(pk=chosen))
        if open_choices:
            yield ("Open", open_choices)
        if finished:
            yield (LATE_ENTRY_GROUP, [self.choice(encounter) for encounter in finished])


class EncounterChoiceField(forms.ModelChoiceField):
    iterator = EncounterChoices
    chosen_pk = None

    def label_from_instance(self, obj):
        return _encounter_label(obj)


def late_entry_reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason for a late entry",
        required=False,
        max_length=255,
        help_text="Needed only when you file into a finished encounter; the chart shows it.",
    )


class PatientEncounterFormMixin:
    """An `encounter` choice among this patient's encounters (another id is refused).

    It starts on the open encounter on which the user is on the care team; a finished
    encounter is never preselected, and choosing one is a late entry that needs a reason.
    `self.open_encounter` is that starting encounter, or None (the page offers to open one).
    """

    def _limit_encounters(self, patient, user):
        field = self.fields["encounter"]
        field.queryset = Encounter.objects.filter(patient=patient).order_by("-admitted_at", "-pk")
        field.error_messages["invalid_choice"] = "Choose one of this patient's encounters."
        chosen = self.data.get(self.add_prefix("encounter")) if self.is_bound else None
        if chosen and str(chosen).isdigit():
            field.chosen_pk = int(chosen)
        self.open_encounter = selectors.open_encounter_for(user, patient)
        if not self.is_bound and not self.initial.get("encounter") and self.open_encounter:
            self.initial["encounter"] = self.open_encounter.pk

    def _clean_late_entry(self, cleaned):
        encounter = cleaned.get("encounter")
        reason = (cleaned.get("late_entry_reason") or "").strip()
        if encounter is not None and not encounter.is_open and not reason:
            self.add_error("late_entry_reason", encounter.late_entry_refusal)
        cleaned["late_entry_reason"] = (
            reason if encounter is not None and not encounter.is_open else ""
        )
        return cleaned


# Registration -----------------------------------------------------------------------------

BLANK_CHOICE = "Not recorded"


def _label_blank_choices(form) -> None:
    """An optional coded field's empty choice reads "Not recorded", not a row of dashes."""
    for field in form.fields.values():
        if isinstance(field, forms.TypedChoiceField) and not field.required:
            choices = list(field.choices)
            if choices and choices[0][0] == "":
                field.choices = [("", BLANK_CHOICE), *choices[1:]]


class PatientForm(forms.ModelForm):
    ssn = forms.CharField(
        label="SSN",
        required=False,
        max_length=11,
        help_text="Nine digits. Stored encrypted; only the last four are ever shown.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    class Meta:
        model = Patient
        fields = [
            "prefix",
            "first_name",
            "middle_name",
            "last_name",
            "suffix",
            "date_of_birth",
            "sex",
            "gender_identity",
            "date_of_death",
            "marital_status",
            "race",
            "ethnicity",
            "preferred_language",
            "address_line",
            "city",
            "state",
            "county",
            "postal_code",
            "phone",
            "email",
        ]
        widgets = {"date_of_birth": DateInput(), "date_of_death": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_blank_choices(self)
        if self.instance.pk and self.instance.ssn_last4:
            self.fields[
                "ssn"
            ].help_text = f"On file: {self.instance.ssn_masked}. Leave empty to keep it."

    def clean_ssn(self):
        digits = "".join(ch for ch in self.cleaned_data["ssn"] if ch.isdigit())
        if self.cleaned_data["ssn"] and len(digits) != 9:
            raise ValidationError("An SSN has nine digits.")
        return digits

    def clean_date_of_birth(self):
        return _not_in_future_date(self.cleaned_data["date_of_birth"], "The date of birth")

    def clean_date_of_death(self):
        return _not_in_future_date(self.cleaned_data.get("date_of_death"), "The date of death")

    def clean(self):
        cleaned = super().clean()
        born, died = cleaned.get("date_of_birth"), cleaned.get("date_of_death")
        if born and died and died < born:
            self.add_error("date_of_death", "The date of death cannot be before the birth.")
        return cleaned


# Registration in steps: identity (with the duplicate check), then contact, emergency
# contacts, coverage, portal invitation and check-in (RegistrationStep).

IDENTITY_FIELDS = [
    "prefix", "first_name", "middle_name", "last_name", "suffix", "maiden_name",
    "date_of_birth", "sex", "gender_identity", "phone", "postal_code",
]  # fmt: skip
CONTACT_FIELDS = [
    "address_line", "city", "state", "county", "postal_code", "phone", "email",
    "preferred_language", "marital_status", "race", "ethnicity",
]  # fmt: skip


class IdentityForm(PatientForm):
    """Who the patient is: what the duplicate check compares (phone and postal code help)."""

    class Meta(PatientForm.Meta):
        fields = IDENTITY_FIELDS
        help_texts = {
            "phone": "Optional here; it helps find a record the patient may already have.",
            "postal_code": "Optional here; it helps find a record the patient may already have.",
        }

    def identity(self) -> Identity:
        data = self.cleaned_data
        return Identity(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            ssn_last4=data["ssn"][-4:],
            phone=data["phone"],
            postal_code=data["postal_code"],
            maiden_name=data["maiden_name"],
        )


class DuplicateDecisionForm(forms.Form):
    """The clerk's answer after seeing possible duplicates: a different person, and why.

    `reviewed` carries the ids of the candidates shown; a candidate not shown before (the
    identity was changed) shows the list again.
    """

    reviewed = forms.CharField(required=False, widget=forms.HiddenInput)
    different_person_reason = forms.CharField(
        label="Why is this a different person?",
        required=False,
        max_length=255,
        help_text="For example: checked the ID card, another mother's name, a twin.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_decided = False

    def judged(self, candidates) -> "DuplicateDecisionForm":
        """After the check: decided when no candidate is new and, if any was shown, a reason
        is given; otherwise the form to show with the candidates."""
        shown = sorted(candidate.patient.pk for candidate in candidates)
        reviewed = {int(p) for p in self.cleaned_data["reviewed"].split(",") if p.isdigit()}
        if set(shown) - reviewed:
            return DuplicateDecisionForm(initial={"reviewed": ",".join(map(str, shown))})
        if shown and not self.cleaned_data["different_person_reason"].strip():
            self.add_error(
                "different_person_reason",
                "Open the patient's record above, or say why this is a different person.",
            )
            return self
        self.is_decided = True
        return self


class ContactForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = CONTACT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_blank_choices(self)


class EmergencyContactForm(forms.ModelForm):
    class Meta:
        model = EmergencyContact
        fields = ["first_name", "last_name", "relationship", "phone", "email"]


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = [
            "payer",
            "member_id",
            "start_date",
            "end_date",
            "ownership",
            "owner_name",
            "is_secondary",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        labels = {"member_id": "Member ID", "is_secondary": "Secondary coverage"}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        return cleaned


# Encounters ---------------------------------------------------------------------------------


class EncounterOpenForm(forms.Form):
    encounter_class = forms.ChoiceField(label="Class", choices=Encounter.EncounterClass.choices)
    reason = forms.CharField(max_length=255, required=False)
    admitted_at = _moment_field("Admitted at")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = services.encounter_classes_openable_by(user)
        self.fields["encounter_class"].choices = choices
        if len(choices) < len(Encounter.EncounterClass.choices):
            self.fields[
                "encounter_class"
            ].help_text = (
                "Nurses open nursing visits and ambulatory encounters; a doctor opens the others."
            )
            self.initial.setdefault("encounter_class", choices[0][0])

    def clean_admitted_at(self):
        return _not_in_future_datetime(self.cleaned_data.get("admitted_at"), "The admission")


class EncounterCloseForm(forms.Form):
    discharged_at = _moment_field("Discharged at")

    def __init__(self, *args, encounter, **kwargs):
        self.encounter = encounter
        super().__init__(*args, **kwargs)

    def clean_discharged_at(self):
        value = _not_in_future_datetime(self.cleaned_data.get("discharged_at"), "The discharge")
        if value and value < self.encounter.admitted_at:
            raise ValidationError("The discharge cannot be before the admission.")
        return value


PROVIDER_CHOICES_SHOWN = 30


def provider_label(provider) -> str:
    specialty = f" · {provider.specialty.name}" if provider.specialty_id else ""
    return f"{provider.display_name} ({provider.kind}){specialty}"


class FirstProvidersChoices(forms.models.ModelChoiceIterator):
    """A first page of providers and the chosen one; the search box finds the others."""

    def __iter__(self):
        yield ("", "Choose a provider")
        shown = list(self.queryset[:PROVIDER_CHOICES_SHOWN])
        chosen = self.field.chosen_pk
        if chosen is not None and all(provider.pk != chosen for provider in shown):
            shown += list(self.queryset.filter(pk=chosen))
        for provider in shown:
            yield self.choice(provider)


class ProviderChoiceField(forms.ModelChoiceField):
    iterator = FirstProvidersChoices
    chosen_pk = None

    def label_from_instance(self, obj):
        return provider_label(obj)


class CareAssignmentForm(forms.Form):
    provider = ProviderChoiceField(
        queryset=HealthcareProvider.objects.select_related("doctor", "nurse", "specialty"),
        help_text="Type in the search box above to narrow the list.",
    )
    role = forms.ChoiceField(
        choices=[("attending", "Attending"), ("consulting", "Consulting"), ("nursing", "Nursing")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.get(self.add_prefix("provider")) if self.is_bound else None
        if chosen and str(chosen).isdigit():
            self.fields["provider"].chosen_pk = int(chosen)


# Clinical records ------------------------------------------------------------------------------


class EncounterRecordForm(PatientEncounterFormMixin, forms.ModelForm):
    """A record that belongs to one of the patient's encounters (see the mixin)."""

    encounter = EncounterChoiceField(queryset=Encounter.objects.none())
    late_entry_reason = late_entry_reason_field()

    def __init__(self, *args, patient, user, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self._limit_encounters(patient, user)
        self.order_fields(["encounter", "late_entry_reason"])

    def clean(self):
        return self._clean_late_entry(super().clean())


class AirOrOxygenSelect(forms.NullBooleanSelect):
    """The NEWS2 "air or oxygen" choice; unknown stays "not recorded"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("unknown", "Not recorded"),
            ("false", "On air"),
            ("true", "On supplemental oxygen"),
        ]


class VitalSignsForm(EncounterRecordForm):
    recorded_at = _moment_field("Recorded at")

    class Meta:
        model = VitalSigns
        fields = [
            "encounter",
            "recorded_at",
            "heart_rate",
            "systolic_bp",
            "diastolic_bp",
            "temperature_c",
            "spo2",
            "respiratory_rate",
            "weight_kg",
            "height_cm",
            "pain_score",
            "supplemental_oxygen",
            "consciousness",
        ]
        labels = {"supplemental_oxygen": "Air or oxygen"}
        widgets = {"supplemental_oxygen": AirOrOxygenSelect()}

    # Measurements: how the patient breathes and responds only qualifies them.
    VALUE_FIELDS = Meta.fields[2:11]

    def clean_recorded_at(self):
        return _not_in_future_datetime(self.cleaned_data.get("recorded_at"), "The time recorded")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and all(cleaned.get(name) is None for name in self.VALUE_FIELDS):
            raise ValidationError("Enter at least one vital sign.")
        systolic, diastolic = cleaned.get("systolic_bp"), cleaned.get("diastolic_bp")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("diastolic_bp", "The diastolic pressure must be below the systolic.")
        return cleaned


class SymptomForm(EncounterRecordForm):
    class Meta:
        model = Symptom
        fields = ["encounter", "description", "severity", "onset_date"]
        widgets = {"onset_date": DateInput()}

    def clean_onset_date(self):
        return _not_in_future_date(self.cleaned_data.get("onset_date"), "The onset")


class DiagnosisForm(EncounterRecordForm):
    """The condition list is filled by the search box; only the chosen one is rendered."""

    class Meta:
        model = Diagnosis
        fields = ["encounter", "condition", "onset_date", "status", "resolved_date"]
        widgets = {"onset_date": DateInput(), "resolved_date": DateInput()}
        help_texts = {"condition": "Search by name or code, then pick from the list."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["onset_date"].initial = timezone.localdate
        chosen = Condition.objects.filter(pk=self._chosen_condition_id()).first()
        self.fields["condition"].widget.choices = [("", "Search above, then choose")] + (
            [(chosen.pk, str(chosen))] if chosen else []
        )

    def _chosen_condition_id(self):
        value = self.data.get(self.add_prefix("condition")) if self.is_bound else None
        value = value or self.initial.get("condition")
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def clean_onset_date(self):
        return _not_in_future_date(self.cleaned_data.get("onset_date"), "The onset")

    def clean_resolved_date(self):
        return _not_in_future_date(self.cleaned_data.get("resolved_date"), "The resolution")

    def clean(self):
        cleaned = super().clean()
        onset, resolved = cleaned.get("onset_date"), cleaned.get("resolved_date")
        if onset and resolved and resolved < onset:
            self.add_error("resolved_date", "The resolution cannot be before the onset.")
        return cleaned


class LabResultForm(EncounterRecordForm):
    lab_test = forms.ModelChoiceField(queryset=LabTest.objects.all(), label="Test")
    observed_at = _moment_field("Observed at")

    class Meta:
        model = LabResult
        fields = [
            "encounter",
            "lab_test",
            "observed_at",
            "value_numeric",
            "value_text",
            "unit",
            "reference_low",
            "reference_high",
        ]
        labels = {"value_numeric": "Numeric value", "value_text": "Text result"}
        help_texts = {
            "unit": "Leave empty for the test's unit.",
            "reference_low": "Leave empty for the test's reference range.",
        }

    def clean_observed_at(self):
        return _not_in_future_datetime(self.cleaned_data.get("observed_at"), "The observation")

    def clean(self):
        cleaned = super().clean()
        if (
            "value_numeric" not in self.errors
            and cleaned.get("value_numeric") is None
            and not cleaned.get("value_text")
        ):
            self.add_error("value_numeric", "Enter a numeric value or a text result.")
        low, high = cleaned.get("reference_low"), cleaned.get("reference_high")
        if low is not None and high is not None and high < low:
            self.add_error("reference_high", "The upper limit cannot be below the lower.")
        return cleaned


class PrescriptionForm(EncounterRecordForm):
    medication = forms.ModelChoiceField(queryset=Medication.objects.all())
    start_date = forms.DateField(initial=timezone.localdate, widget=DateInput())

    class Meta:
        model = Prescription
        fields = [
            "encounter",
            "medication",
            "dose_amount",
            "dose_unit",
            "route",
            "dose_frequency",
            "start_date",
            "end_date",
            "dispenses",
            "reason",
            "instructions",
            "allergy_override_reason",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "instructions": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"allergy_override_reason": "Allergy override reason"}
        help_texts = {
            "allergy_override_reason": (
                "Required when the medication matches a recorded allergy: why it is "
                "prescribed anyway. Kept with the prescription."
            )
        }

    STRUCTURED = ("dose_amount", "dose_unit", "route", "dose_frequency")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.STRUCTURED:
            self.fields[name].required = True
        allergies = allergy_status(self.patient).allergies
        if allergies:
            names = ", ".join(allergy.description for allergy in allergies)
            self.fields["medication"].help_text = f"Recorded allergies: {names}."

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        cleaned["allergy_override_reason"] = cleaned.get("allergy_override_reason", "").strip()
        return cleaned


# Document store: notes and vaccinations -----------------------------------------------------------


class SchemaTextField(forms.CharField):
    """A text field checked by its document schema rule, as the store checks it."""

    def __init__(self, rule: schemas.Text, **kwargs):
        self.rule = rule
        messages = {"required": rule.required} if rule.required else {}
        super().__init__(required=bool(rule.required), error_messages=messages, **kwargs)
        self.widget.attrs["maxlength"] = str(rule.max_length)

    def clean(self, value):
        return self.rule.clean(super().clean(value))


class NoteForm(PatientEncounterFormMixin, forms.Form):
    encounter = EncounterChoiceField(
        queryset=Encounter.objects.none(),
        required=False,
        help_text="Leave empty for a note about the patient rather than one visit.",
    )
    late_entry_reason = late_entry_reason_field()
    kind = forms.ChoiceField(choices=NoteKind.choices, initial=NoteKind.PROGRESS)
    text = SchemaTextField(schemas.NOTE_TEXT, widget=forms.Textarea(attrs={"rows": 8}))
    tags = forms.CharField(
        required=False,
        help_text=(
            f"Comma-separated, e.g. follow-up, cardiology (up to {schemas.MAX_TAGS} tags of "
            f"{schemas.MAX_TAG_LENGTH} characters)."
        ),
    )
    not_shared = forms.BooleanField(
        label="Not shared in the portal",
        required=False,
        help_text="The patient will not see this note in the portal.",
    )
    not_shared_reason = forms.CharField(
        label="Why it is not shared",
        required=False,
        max_length=schemas.MAX_REASON_LENGTH,
        help_text="Required when the note is not shared; shown on the chart, not to the patient.",
    )

    def __init__(self, *args, patient, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_encounters(patient, user)
        self.order_fields(["encounter", "late_entry_reason"])

    def clean(self):
        cleaned = self._clean_late_entry(super().clean())
        reason = cleaned.get("not_shared_reason", "").strip()
        if cleaned.get("not_shared") and not reason:
            self.add_error("not_shared_reason", "Say why the patient should not see this note.")
        elif reason and not cleaned.get("not_shared"):
            self.add_error("not_shared", "Tick this box too, or leave the reason empty.")
        cleaned["not_shared_reason"] = reason if cleaned.get("not_shared") else ""
        # The service takes the reason alone: a note without one is shared.
        cleaned.pop("not_shared", None)
        return cleaned

    def clean_tags(self):
        return schemas.clean_tags(self.cleaned_data["tags"])


class NoteAmendForm(forms.Form):
    text = SchemaTextField(
        schemas.NOTE_TEXT, label="Corrected text", widget=forms.Textarea(attrs={"rows": 8})
    )
    reason = SchemaTextField(schemas.AMENDMENT_REASON, help_text="Why the note is amended.")


def _vaccination_text(name: str, **kwargs) -> SchemaTextField:
    return SchemaTextField(schemas.VACCINATION_TEXTS[name], **kwargs)


def _clinician_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


class CvxCodeField(forms.ChoiceField):
    """A vaccine from the catalog, by its CVX code ("8" is "08"); a malformed code gets the
    store's message."""

    default_error_messages = {
        "invalid_choice": (
            "CVX code %(value)s is not in the CVX catalog; choose a vaccine from the list."
        )
    }

    def to_python(self, value):
        text = super().to_python(value)
        return schemas.clean_cvx_code(text) if text else text


class VaccinationForm(forms.Form):
    """A vaccination: the vaccine chosen from the CVX catalog sets its code and name.

    It cleans to `vaccination_record`'s arguments. The date defaults to today and "given
    by" to the signed-in clinician (`user`).
    """

    cvx_code = CvxCodeField(label="Vaccine", help_text="From the CDC's CVX catalog.")
    dose_number = forms.IntegerField(
        min_value=schemas.DOSE_NUMBER.low,
        max_value=schemas.DOSE_NUMBER.high,
        initial=1,
        error_messages={
            "min_value": schemas.DOSE_NUMBER.out_of_range_message,
            "max_value": schemas.DOSE_NUMBER.out_of_range_message,
        },
    )
    date = forms.DateField(widget=DateInput(), initial=timezone.localdate)
    lot = _vaccination_text("lot")
    route = forms.ChoiceField(
        choices=[("", "Not recorded"), *schemas.VaccinationRoute.choices], required=False
    )
    site = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=VaccinationStatus.choices, initial="completed")
    administered_by = _vaccination_text("administered_by", label="Given by")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cvx_code"].choices = [("", "Choose a vaccine"), *cvx_choices()]
        self.fields["site"].choices = [("", "Not recorded"), *schemas.VaccinationSite.choices]
        if user is not None:
            self.fields["administered_by"].initial = _clinician_name(user)

    def clean_date(self):
        return schemas.clean_vaccination_date(self.cleaned_data["date"])

    def vaccine_name(self, code: str) -> str:
        return cvx_vaccine(code).short_description

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cvx_code"):
            cleaned["vaccine"] = self.vaccine_name(cleaned["cvx_code"])
        return cleaned


def _reason_field(label: str, help_text: str) -> SchemaTextField:
    return SchemaTextField(
        schemas.CHANGE_REASON,
        label=label,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class VaccinationCorrectForm(VaccinationForm):
    """The event's correctable fields, prefilled, and why they are corrected.

    It cleans to `vaccination_correct`'s arguments: the changed fields and the reason.
    """

    reason = _reason_field(
        "Reason for the correction", "Kept with the earlier values, e.g. lot number misread."
    )

    def __init__(self, *args, event, **kwargs):
        self.event = event
        initial = {name: event[name] for name in CORRECTABLE_FIELDS} if event else {}
        super().__init__(*args, initial=initial, **kwargs)
        if event:
            self._keep_current_choice("cvx_code", event["cvx_code"], event["vaccine"])
            self._keep_current_choice("site", event["site"], event["site"])

    def _keep_current_choice(self, name: str, value: str, label: str) -> None:
        """An imported or earlier value outside the lists stays choosable, marked as such."""
        field = self.fields[name]
        if value and not field.valid_value(value):
            field.choices = [*field.choices, (value, f"{label} (as recorded; not in the list)")]

    def vaccine_name(self, code: str) -> str:
        """An unchanged code keeps the event's name: a lot correction renames nothing."""
        if self.event and code == self.event["cvx_code"]:
            return self.event["vaccine"]
        return super().vaccine_name(code)

    def clean(self):
        cleaned = super().clean()
        if self.event is None or self.errors:
            return cleaned
        changes = {
            name: cleaned[name] for name in CORRECTABLE_FIELDS if cleaned[name] != self.event[name]
        }
        if not changes:
            raise ValidationError("Nothing is changed: edit a field, or cancel.")
        return {"changes": changes, "reason": cleaned["reason"]}


class VaccinationDeleteForm(forms.Form):
    reason = _reason_field(
        "Reason for the deletion", "Kept with the deleted entry, e.g. recorded in the wrong chart."
    )

    def __init__(self, *args, event, **kwargs):
        self.event = event  # what it deletes, as VaccinationCorrectForm has what it corrects
        super().__init__(*args, **kwargs)


# Soft delete --------------------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """Nothing to fill: the POST itself is the confirmation."""


class DeleteReasonForm(forms.Form):
    """Why a record is deleted: kept in its history (a varchar(100) column) and shown there."""

    reason = forms.CharField(
        label="Reason for the deletion",
        max_length=DELETE_REASON_MAX_LENGTH,
        help_text="Shown in the chart's change history, e.g. recorded in the wrong chart.",
        error_messages={"required": "Give the reason for the deletion."},
    )


# Problem list, medication list, allergies ---------------------------------------------------------


def _required_reason(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
        error_messages={"required": "Give a reason."},
    )


class ProblemResolveForm(forms.Form):
    resolved_date = forms.DateField(
        label="Resolved on", initial=timezone.localdate, widget=DateInput()
    )

    def __init__(self, *args, diagnosis, **kwargs):
        self.diagnosis = diagnosis
        super().__init__(*args, **kwargs)

    def clean_resolved_date(self):
        value = _not_in_future_date(self.cleaned_data["resolved_date"], "The resolution")
        if value < self.diagnosis.onset_date:
            raise ValidationError("The resolution cannot be before the onset.")
        return value


class EnteredInErrorForm(forms.Form):
    reason = _required_reason(
        "Why it was entered in error", "Kept with the problem, e.g. recorded for the wrong patient."
    )


class PrescriptionStopForm(forms.Form):
    reason = _required_reason(
        "Reason for stopping", "Kept with the prescription, e.g. side effects, course completed."
    )


OTHER_SUBSTANCE = ""


class AllergyForm(forms.Form):
    """A substance from the catalog (coded) or typed in (uncoded), and what is known of it.

    It cleans to `allergy_record`'s arguments."""

    substance = forms.ChoiceField(
        label="Substance",
        required=False,
        help_text="Common allergens, coded. Not in the list? Leave this and type it below.",
    )
    other_substance = forms.CharField(
        label="Other substance (not in the list)", max_length=255, required=False
    )
    reaction = forms.CharField(max_length=255, required=False, help_text="E.g. hives, wheeze.")
    severity = forms.ChoiceField(choices=Allergy.Severity.choices, required=False)
    clinical_status = forms.ChoiceField(
        choices=Allergy.ClinicalStatus.choices, initial=Allergy.ClinicalStatus.ACTIVE
    )
    verification_status = forms.ChoiceField(
        label="Verification",
        choices=[
            choice
            for choice in Allergy.VerificationStatus.choices
            if choice[0] != Allergy.VerificationStatus.ENTERED_IN_ERROR
        ],
        initial=Allergy.VerificationStatus.CONFIRMED,
    )
    onset_date = forms.DateField(label="Onset", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substance"].choices = [(OTHER_SUBSTANCE, "— Not in the list —")] + [
            (allergen.key, f"{allergen.name} ({allergen.category})")
            for allergen in allergen_catalog()
        ]

    def clean_onset_date(self):
        return _not_in_future_date(self.cleaned_data.get("onset_date"), "The onset")

    def clean(self):
        cleaned = super().clean()
        allergen = allergen_by_key(cleaned.get("substance") or "")
        other = cleaned.get("other_substance", "").strip()
        if allergen and other:
            self.add_error("other_substance", "Choose from the list or type one, not both.")
        elif not allergen and not other and "substance" not in self.errors:
            self.add_error("substance", "Choose a substance, or type it below.")
        if self.errors:
            return cleaned
        return {
            "description": allergen.name if allergen else other,
            "code_system": allergen.code_system if allergen else "",
            "code": allergen.code if allergen else "",
            "category": allergen.category if allergen else "",
            "reaction": cleaned["reaction"].strip(),
            "severity": cleaned["severity"],
            "clinical_status": cleaned["clinical_status"],
            "verification_status": cleaned["verification_status"],
            "onset_date": cleaned.get("onset_date"),
        }


class AllergyChangeForm(forms.Form):
    """The allergy's reaction, severity and status, prefilled; it cleans to
    `allergy_update`'s arguments."""

    reaction = forms.CharField(max_length=255, required=False)
    severity = forms.ChoiceField(choices=Allergy.Severity.choices, required=False)
    clinical_status = forms.ChoiceField(choices=Allergy.ClinicalStatus.choices)
    verification_status = forms.ChoiceField(
        label="Verification", choices=Allergy.VerificationStatus.choices
    )
    resolved_date = forms.DateField(
        label="Resolved on",
        required=False,
        widget=DateInput(),
        help_text="For a resolved allergy; leave empty for today.",
    )

    def __init__(self, *args, allergy, **kwargs):
        initial = {name: getattr(allergy, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)

    def clean_resolved_date(self):
        return _not_in_future_date(self.cleaned_data.get("resolved_date"), "The resolution")


class MergeForm(forms.Form):
    """An administrator names the duplicate to merge into this record, and why."""

    duplicate_mrn = forms.CharField(
        label="MRN of the duplicate record",
        max_length=20,
        help_text="Its encounters, records, bills, appointments, notes and vaccinations move "
        "to this record; the duplicate is kept, deleted, and its MRN finds this record.",
    )
    reason = forms.CharField(
        label="Why are these one person?",
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, survivor, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor = survivor

    def clean_duplicate_mrn(self):
        mrn = self.cleaned_data["duplicate_mrn"].strip()
        duplicate = live_patient_by_mrn(mrn)
        refusal = merge_refusal(self.survivor, duplicate)
        if refusal:
            raise ValidationError(refusal)
        self.duplicate = duplicate
        return mrn
