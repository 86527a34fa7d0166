"""Writes that touch more than one row. Keyword-only, atomic, validated."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access import permissions
from patients import selectors
from patients.models import (
    NO_KNOWN_ALLERGIES_CODE,
    NO_KNOWN_ALLERGIES_DESCRIPTION,
    NO_KNOWN_ALLERGIES_SYSTEM,
    REMOTE_MONITORING_REASON,
    Allergy,
    CareAssignment,
    Coverage,
    Diagnosis,
    DuplicateReview,
    EmergencyContact,
    Encounter,
    LabResult,
    Patient,
    Prescription,
    RegistrationStep,
    Symptom,
    VitalSigns,
)
from patients.mrn import new_mrn
from providers.models import ProviderKind


@transaction.atomic
def care_assignment_create(*, encounter, provider, role, by=None) -> CareAssignment:
    """Put a provider on an encounter's care team; this grants them the patient's chart.

    `by` is who assigns (None for the system: imports, the demo seed). An emergency
    access is not enough to assign anyone, oneself included.
    """
    if by is not None and not permissions.can_assign_care_team(by, encounter.patient):
        raise ValidationError(
            "Only a clinician on this patient's care team, the front desk or an "
            "administrator can assign the care team. Emergency access does not allow it."
        )
    assignment = CareAssignment.all_objects.filter(
        encounter=encounter, provider=provider, role=role
    ).first()
    if assignment is None:
        assignment = CareAssignment(encounter=encounter, provider=provider, role=role)
    elif assignment.is_deleted:
        assignment.restore(by=by)
    assignment.ended_at = None
    assignment.full_clean()
    if by is not None:
        assignment._history_user = by
    assignment.save()
    return assignment


@transaction.atomic
def care_assignment_end(*, assignment, by=None) -> None:
    """Take a provider off the care team; access ends unless another assignment remains."""
    assignment.ended_at = timezone.now()
    if by is not None:
        assignment._history_user = by
    assignment.save(update_fields=["ended_at"])


# Registration and records ---------------------------------------------------------------
# Each write stamps `by` as the history user so the chart's change history says who did it.


def _stamp(instance, by):
    if by is not None:
        instance._history_user = by
    return instance


def _save_validated(instance, by):
    instance.full_clean()
    _stamp(instance, by).save()
    return instance


def provider_of(user):
    """The healthcare provider a login belongs to, or None (front desk, billing, admin)."""
    try:
        return user.provider
    except (AttributeError, ObjectDoesNotExist):
        return None


@transaction.atomic
def patient_register(
    *,
    by,
    ssn: str = "",
    mrn: str = "",
    different_from=(),
    different_person_reason: str = "",
    **fields,
) -> Patient:
    """Register a new patient; the MRN is issued here when none is given.

    `different_from` are the (candidate, points) pairs the duplicate check showed, which
    the clerk judged to be other people; the reason is kept with each (DuplicateReview).
    Registration then goes on at its contact step.
    """
    if different_from and not different_person_reason.strip():
        raise ValidationError({"different_person_reason": "Say why this is a different person."})
    patient = Patient(mrn=mrn or new_mrn(), registration_step=RegistrationStep.CONTACT, **fields)
    patient.set_ssn(ssn)
    _save_validated(patient, by)
    DuplicateReview.objects.bulk_create(
        DuplicateReview(
            patient=patient,
            candidate=candidate,
            points=points,
            reason=different_person_reason.strip(),
            reviewed_by=by,
        )
        for candidate, points in different_from
    )
    return patient


REGISTRATION_STEPS = [step for step in RegistrationStep if step != RegistrationStep.DONE]
_STEP_ORDER = list(RegistrationStep)  # the steps, then DONE


@transaction.atomic
def registration_step_finish(*, patient, step: str, by) -> Patient:
    """Registration moves past `step` (never back: a step revisited keeps the progress)."""
    following = _STEP_ORDER[_STEP_ORDER.index(RegistrationStep(step)) + 1]
    if _STEP_ORDER.index(following) > _STEP_ORDER.index(patient.registration_step):
        patient.registration_step = following
        _stamp(patient, by).save(update_fields=["registration_step"])
    return patient


@transaction.atomic
def patient_contact_update(*, patient, by, **fields) -> Patient:
    """The contact step: address, phone, email, language and the coded demographics."""
    for name, value in fields.items():
        setattr(patient, name, value)
    _save_validated(patient, by)
    return registration_step_finish(patient=patient, step=RegistrationStep.CONTACT, by=by)


@transaction.atomic
def patient_update(*, patient, by, ssn: str | None = None, **fields) -> Patient:
    """Change demographics; an empty or missing `ssn` keeps the one on file."""
    for name, value in fields.items():
        setattr(patient, name, value)
    if ssn:
        patient.set_ssn(ssn)
    return _save_validated(patient, by)


@transaction.atomic
def emergency_contact_create(*, patient, by, **fields) -> EmergencyContact:
    return _save_validated(EmergencyContact(patient=patient, **fields), by)


@transaction.atomic
def coverage_create(*, patient, payer, by, **fields) -> Coverage:
    return _save_validated(Coverage(patient=patient, payer=payer, **fields), by)


# The classes of encounter a nurse opens; doctors open every class (docs/clinical-workflows.md).
NURSE_ENCOUNTER_CLASSES = (Encounter.EncounterClass.NURSING, Encounter.EncounterClass.AMBULATORY)


def encounter_classes_openable_by(user) -> list[tuple[str, str]]:
    """The (value, label) encounter classes this user may open."""
    if permissions.opens_any_encounter_class(user):
        return list(Encounter.EncounterClass.choices)
    return [(value, Encounter.EncounterClass(value).label) for value in NURSE_ENCOUNTER_CLASSES]


@transaction.atomic
def encounter_open(
    *, patient, by, encounter_class, reason: str = "", admitted_at=None, organization=None
) -> Encounter:
    """Open an encounter now (or at `admitted_at`); it stays in progress until closed.

    The clinician who opens it joins its care team (attending for a doctor, nursing for a
    nurse), unless they only hold an emergency access, which never makes a care team.
    """
    # The front desk opens the encounter of a check-in; a nurse is held to a nurse's classes.
    if (
        by is not None
        and permissions.is_clinician(by)
        and encounter_class not in dict(encounter_classes_openable_by(by))
    ):
        raise ValidationError(
            {"encounter_class": "A nurse opens a nursing visit or an ambulatory encounter."}
        )
    encounter = _save_validated(
        Encounter(
            patient=patient,
            encounter_class=encounter_class,
            reason=reason,
            admitted_at=admitted_at or timezone.now(),
            status=Encounter.Status.IN_PROGRESS,
            organization=organization,
        ),
        by,
    )
    provider = provider_of(by)
    if provider is not None and permissions.can_assign_care_team(by, patient):
        role = (
            CareAssignment.Role.NURSING
            if provider.kind == ProviderKind.NURSE
            else CareAssignment.Role.ATTENDING
        )
        care_assignment_create(encounter=encounter, provider=provider, role=role, by=by)
    return encounter


# Apps above patients/ (scheduling/) finish their own records when an encounter closes;
# they register a function `(encounter, by)` here at startup, since patients/ cannot import them.
_encounter_close_follow_ups: list = []


def encounter_close_follow_up_register(follow_up) -> None:
    if follow_up not in _encounter_close_follow_ups:
        _encounter_close_follow_ups.append(follow_up)


@transaction.atomic
def encounter_close(*, encounter, by, discharged_at=None) -> Encounter:
    """Discharge: the encounter is finished; its care team keeps access to the chart."""
    if not encounter.is_open:
        raise ValidationError("This encounter is already closed.")
    encounter.discharged_at = discharged_at or timezone.now()
    encounter.status = Encounter.Status.FINISHED
    if encounter.discharged_at < encounter.admitted_at:
        raise ValidationError({"discharged_at": "The discharge cannot be before the admission."})
    _save_validated(encounter, by)
    for follow_up in _encounter_close_follow_ups:
        follow_up(encounter=encounter, by=by)
    return encounter


def _check_encounter_of(encounter, patient, late_entry_reason: str = "") -> str:
    """Refuse another patient's encounter and a silent filing into a finished one.

    Returns the late-entry reason to keep: empty for an open encounter, required (and
    kept) for a finished one.
    """
    if patient is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": "This encounter belongs to another patient."})
    if encounter.is_open:
        return ""
    reason = (late_entry_reason or "").strip()
    if not reason:
        raise ValidationError({"late_entry_reason": encounter.late_entry_refusal})
    return reason


@transaction.atomic
def vital_signs_record(
    *,
    encounter,
    by,
    recorded_at=None,
    recorded_by=None,
    patient=None,
    late_entry_reason: str = "",
    **values,
) -> VitalSigns:
    """Record one set of vital signs; at least one value, every value plausible."""
    late_entry_reason = _check_encounter_of(encounter, patient, late_entry_reason)
    if all(value in (None, "") for value in values.values()):
        raise ValidationError("Enter at least one vital sign.")
    vitals = VitalSigns(
        encounter=encounter,
        late_entry_reason=late_entry_reason,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=recorded_by if recorded_by is not None else provider_of(by),
        **values,
    )
    return _save_validated(vitals, by)


def remote_monitoring_encounter(*, patient, at) -> Encounter:
    """The patient's open remote-monitoring encounter (home), opened by the first reading.

    Callers hold the patient row locked, so two first readings open one encounter.
    """
    encounter = (
        Encounter.objects.filter(
            Encounter.open_q(), patient=patient, reason=REMOTE_MONITORING_REASON
        )
        .order_by("-admitted_at")
        .first()
    )
    if encounter is None:
        encounter = _save_validated(
            Encounter(
                patient=patient,
                encounter_class=Encounter.EncounterClass.HOME,
                reason=REMOTE_MONITORING_REASON,
                type_description=REMOTE_MONITORING_REASON,
                admitted_at=min(at, timezone.now()),
                status=Encounter.Status.IN_PROGRESS,
            ),
            None,
        )
    return encounter


def remote_vital_signs_record(*, patient, recorded_at, values, external_id) -> tuple:
    """A device's reading as a set of vital signs; `(vitals, created)`.

    Idempotent on `external_id` (a device that sends a reading twice stores it once);
    every value is checked against the plausible ranges (ValidationError otherwise).
    """
    existing = VitalSigns._base_manager.filter(external_id=external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            Patient.objects.select_for_update().filter(pk=patient.pk).first()
            encounter = remote_monitoring_encounter(patient=patient, at=recorded_at)
            vitals = VitalSigns(
                encounter=encounter, recorded_at=recorded_at, external_id=external_id, **values
            )
            # The fields' range validators give the messages; the table's own constraints
            # (the same ranges) and uniqueness are left to the database, which enforces
            # them anyway: asking each of them first costs a query apiece, for every reading.
            vitals.full_clean(
                exclude=["encounter"], validate_unique=False, validate_constraints=False
            )
            vitals.save()
            return vitals, True
    except IntegrityError as error:  # the same reading, stored by a concurrent request?
        existing = VitalSigns._base_manager.filter(external_id=external_id).first()
        if existing is None:
            raise ValidationError(f"The reading breaks a rule of the record: {error}") from None
        return existing, False


@transaction.atomic
def symptom_record(
    *,
    encounter,
    by,
    description,
    severity=Symptom.Severity.MILD,
    onset_date=None,
    patient=None,
    late_entry_reason: str = "",
) -> Symptom:
    symptom = Symptom(
        encounter=encounter,
        description=description,
        severity=severity,
        onset_date=onset_date,
        late_entry_reason=_check_encounter_of(encounter, patient, late_entry_reason),
    )
    return _save_validated(symptom, by)


@transaction.atomic
def diagnosis_record(
    *,
    encounter,
    condition,
    by,
    onset_date=None,
    status=Diagnosis.Status.ACTIVE,
    resolved_date=None,
    diagnosed_by=None,
    patient=None,
    late_entry_reason: str = "",
) -> Diagnosis:
    diagnosis = Diagnosis(
        encounter=encounter,
        late_entry_reason=_check_encounter_of(encounter, patient, late_entry_reason),
        condition=condition,
        onset_date=onset_date or timezone.localdate(),
        status=status,
        resolved_date=resolved_date,
        diagnosed_by=diagnosed_by if diagnosed_by is not None else provider_of(by),
    )
    return _save_validated(diagnosis, by)


@transaction.atomic
def lab_result_record(
    *,
    encounter,
    lab_test,
    by,
    observed_at=None,
    value_numeric=None,
    value_text: str = "",
    unit: str = "",
    reference_low=None,
    reference_high=None,
    patient=None,
    late_entry_reason: str = "",
) -> LabResult:
    """Record a result; unit and range default to the test's, the flag comes from the range."""
    result = LabResult(
        encounter=encounter,
        late_entry_reason=_check_encounter_of(encounter, patient, late_entry_reason),
        lab_test=lab_test,
        observed_at=observed_at or timezone.now(),
        value_numeric=value_numeric,
        value_text=value_text,
        unit=unit or lab_test.unit,
        reference_low=lab_test.reference_low if reference_low is None else reference_low,
        reference_high=lab_test.reference_high if reference_high is None else reference_high,
    )
    if value_numeric is None and not value_text:
        raise ValidationError({"value_numeric": "Enter a numeric value or a text result."})
    result.abnormal_flag = result.flag_from_range()
    return _save_validated(result, by)


@transaction.atomic
def prescription_record(
    *,
    encounter,
    medication,
    by,
    start_date=None,
    prescriber=None,
    patient=None,
    late_entry_reason: str = "",
    **fields,
) -> Prescription:
    """Prescribe; a medication matching an active allergy needs `allergy_override_reason`."""
    prescription = Prescription(
        encounter=encounter,
        late_entry_reason=_check_encounter_of(encounter, patient, late_entry_reason),
        medication=medication,
        start_date=start_date or timezone.localdate(),
        prescriber=prescriber if prescriber is not None else provider_of(by),
        **fields,
    )
    _refuse_unacknowledged_allergies(prescription, encounter.patient)
    return _save_validated(prescription, by)


# The history's change-reason column is a varchar(100).
DELETE_REASON_MAX_LENGTH = 100


@transaction.atomic
def record_soft_delete(*, record, by, reason) -> None:
    """Hide a record (and what goes with it); its history keeps why. `record_restore` undoes."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the deletion."})
    if len(reason) > DELETE_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason within {DELETE_REASON_MAX_LENGTH} characters."}
        )
    record._change_reason = reason
    record.delete(by=by)


@transaction.atomic
def record_restore(*, record, by) -> None:
    record.restore(by=by)


# Problem list, medication list, allergies ---------------------------------------------------


@transaction.atomic
def diagnosis_resolve(*, diagnosis, by, resolved_date=None) -> Diagnosis:
    """Mark an active problem resolved on `resolved_date` (default today)."""
    if diagnosis.status != Diagnosis.Status.ACTIVE:
        raise ValidationError("Only an active problem can be resolved.")
    resolved_date = resolved_date or timezone.localdate()
    if resolved_date < diagnosis.onset_date:
        raise ValidationError({"resolved_date": "The resolution cannot be before the onset."})
    diagnosis.status = Diagnosis.Status.RESOLVED
    diagnosis.resolved_date = resolved_date
    return _save_validated(diagnosis, by)


@transaction.atomic
def diagnosis_mark_entered_in_error(*, diagnosis, by, reason: str) -> Diagnosis:
    """Say a problem was never the patient's; it stays on the chart, struck through."""
    if diagnosis.status == Diagnosis.Status.ENTERED_IN_ERROR:
        raise ValidationError("This problem is already marked as entered in error.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why this problem was entered in error."})
    diagnosis.status = Diagnosis.Status.ENTERED_IN_ERROR
    diagnosis.status_reason = reason.strip()
    return _save_validated(diagnosis, by)


@transaction.atomic
def prescription_stop(*, prescription, by, reason: str) -> Prescription:
    """Stop a prescription now; who, when and why are kept on it."""
    if prescription.is_stopped:
        raise ValidationError("This prescription is already stopped.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the medication is stopped."})
    prescription.stopped_at = timezone.now()
    prescription.stopped_by = by
    prescription.stop_reason = reason.strip()
    return _save_validated(prescription, by)


RENEWED_FIELDS = (
    "medication",
    "dose_amount",
    "dose_unit",
    "route",
    "dose_frequency",
    "dose_text",
    "frequency_text",
    "dispenses",
    "reason",
    "instructions",
    "allergy_override_reason",
)


@transaction.atomic
def prescription_renew(*, prescription, by) -> Prescription:
    """A new prescription of the same medication and dosage from today, in the patient's
    open encounter on which `by` is on the care team; it replaces the old one in the
    medication list (`renewed_from`)."""
    patient = prescription.encounter.patient
    if prescription.is_stopped:
        raise ValidationError("A stopped prescription cannot be renewed: prescribe anew.")
    # Through the patient: the planners judge the `renewed_from` index useless (mostly NULL).
    if Prescription.objects.filter(encounter__patient=patient, renewed_from=prescription).exists():
        raise ValidationError("This prescription has already been renewed.")
    encounter = selectors.open_encounter_on_care_team(by, patient)
    if encounter is None:
        raise ValidationError(
            "You are not on the care team of an open encounter of this patient: open one "
            "(or join its care team) to renew."
        )
    renewal = Prescription(
        encounter=encounter,
        start_date=timezone.localdate(),
        prescriber=provider_of(by),
        renewed_from=prescription,
        **{name: getattr(prescription, name) for name in RENEWED_FIELDS},
    )
    _refuse_unacknowledged_allergies(renewal, patient)
    return _save_validated(renewal, by)


def allergy_warning(allergies) -> str:
    """The warning a prescription matching these allergies gets."""
    names = ", ".join(
        f"{allergy.description}"
        + (f" ({allergy.get_severity_display().lower()})" if allergy.severity else "")
        for allergy in allergies
    )
    return (
        f"Allergy warning: the patient has a recorded allergy to {names}. Give an "
        "allergy override reason to prescribe it anyway."
    )


def _refuse_unacknowledged_allergies(prescription, patient) -> None:
    matches = selectors.allergies_matching(patient, prescription.medication)
    if matches and not prescription.allergy_override_reason.strip():
        raise ValidationError({"allergy_override_reason": allergy_warning(matches)})


def _lock_patient(patient) -> None:
    # Allergy writes of one patient run one at a time, so two clerks cannot record an
    # allergy and "no known allergies" side by side.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()


@transaction.atomic
def allergy_record(
    *,
    patient,
    by,
    description: str,
    code_system: str = "",
    code: str = "",
    category: str = "",
    reaction: str = "",
    severity: str = "",
    clinical_status: str = Allergy.ClinicalStatus.ACTIVE,
    verification_status: str = Allergy.VerificationStatus.UNCONFIRMED,
    onset_date=None,
) -> Allergy:
    """Record an allergy; an active one ends any active "no known allergies" assertion."""
    _lock_patient(patient)
    allergy = Allergy(
        patient=patient,
        description=description.strip(),
        code_system=code_system,
        code=code,
        allergy_type="allergy",
        category=category,
        reaction=reaction,
        severity=severity,
        clinical_status=clinical_status,
        verification_status=verification_status,
        onset_date=onset_date,
    )
    if allergy.is_none_known_assertion:
        raise ValidationError("Use the “No known allergies” button for that assertion.")
    _save_validated(allergy, by)
    if allergy.is_active:
        _end_none_known_assertions(patient, by)
    return allergy


def _end_none_known_assertions(patient, by) -> None:
    for assertion in Allergy.objects.filter(patient=patient).active().none_known_assertions():
        assertion.clinical_status = Allergy.ClinicalStatus.INACTIVE
        _save_validated(assertion, by)


@transaction.atomic
def allergy_update(
    *,
    allergy,
    by,
    reaction: str,
    severity: str,
    clinical_status: str,
    verification_status: str,
    resolved_date=None,
) -> Allergy:
    """Change an allergy's reaction, severity or status; resolving it dates the resolution
    (default today), making it active again clears that date (and, like recording one,
    ends an active "no known allergies" assertion)."""
    _lock_patient(allergy.patient)
    allergy.reaction = reaction
    allergy.severity = severity
    allergy.clinical_status = clinical_status
    allergy.verification_status = verification_status
    if clinical_status == Allergy.ClinicalStatus.RESOLVED:
        allergy.resolved_date = resolved_date or allergy.resolved_date or timezone.localdate()
    else:
        allergy.resolved_date = None
    if allergy.is_none_known_assertion and allergy.is_active:
        _refuse_while_allergies_active(allergy.patient)
    _save_validated(allergy, by)
    if allergy.is_active and not allergy.is_none_known_assertion:
        _end_none_known_assertions(allergy.patient, by)
    return allergy


def _refuse_while_allergies_active(patient) -> None:
    active = list(Allergy.objects.filter(patient=patient).active().substances())
    if active:
        names = ", ".join(allergy.description for allergy in active)
        raise ValidationError(
            f"The patient has active allergies ({names}): change or resolve them before "
            "recording “No known allergies”."
        )


@transaction.atomic
def allergy_assert_none_known(*, patient, by) -> Allergy:
    """Record the explicit "No known allergies" assertion (SNOMED CT 716186003)."""
    _lock_patient(patient)
    _refuse_while_allergies_active(patient)
    if Allergy.objects.filter(patient=patient).active().none_known_assertions().exists():
        raise ValidationError("“No known allergies” is already recorded for this patient.")
    assertion = Allergy(
        patient=patient,
        code_system=NO_KNOWN_ALLERGIES_SYSTEM,
        code=NO_KNOWN_ALLERGIES_CODE,
        description=NO_KNOWN_ALLERGIES_DESCRIPTION,
        clinical_status=Allergy.ClinicalStatus.ACTIVE,
        verification_status=Allergy.VerificationStatus.CONFIRMED,
        onset_date=timezone.localdate(),
    )
    return _save_validated(assertion, by)
