"""Named permission predicates. Views and templates ask these, never role names."""

from access import grants
from access.roles import CLINICAL_ROLES, Role, roles_of


def has_role(user, role: Role) -> bool:
    return role in roles_of(user)


def is_administrator(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.ADMINISTRATOR)


def is_clinician(user) -> bool:
    return bool(roles_of(user) & CLINICAL_ROLES)


def can_use_patient_directory(user) -> bool:
    return is_clinician(user) or has_role(user, Role.FRONT_DESK) or is_administrator(user)


def can_search_clinical_catalogs(user) -> bool:
    """The provider and condition searches of the recording forms (no patient data)."""
    return is_clinician(user) or is_administrator(user)


def can_use_billing(user) -> bool:
    return has_role(user, Role.BILLING) or is_administrator(user)


def can_view_reports(user) -> bool:
    """The reports area: administrators, clinicians (their own patients) and billing (the
    claim reports only, `can_view_claim_reports_only`)."""
    return is_administrator(user) or is_clinician(user) or has_role(user, Role.BILLING)


def can_view_claim_reports_only(user) -> bool:
    return not is_administrator(user) and not is_clinician(user) and has_role(user, Role.BILLING)


def sees_small_report_cells(user) -> bool:
    """Counts under REPORT_MIN_CELL_SIZE patients are shown to administrators only."""
    return is_administrator(user)


def can_view_operations_dashboard(user) -> bool:
    return is_administrator(user)


def can_use_portal(user) -> bool:
    return has_role(user, Role.PATIENT)


def sees_all_patients(user) -> bool:
    """Registration, billing and administration work across the whole patient index."""
    return is_administrator(user) or has_role(user, Role.FRONT_DESK) or has_role(user, Role.BILLING)


# Per-patient predicates ------------------------------------------------------------------
# "Visible" means the patient is in `Patient.objects.visible_to(user)`: a live care team,
# an active break-the-glass access or an explicit grant for clinicians (see
# `access.grants`), the whole index for registration, billing and administration, and
# the own record for a patient.


# `get_patient_for_user` marks the instance it returns with the users it was checked for,
# so the predicates a view asks of that same instance during the request cost no query.
CHECKED_VISIBLE_FOR = "_phms_checked_visible_for"


def is_patient_visible(user, patient) -> bool:
    """The same rule as `visible_to`, asked of one patient with indexed lookups only."""
    if patient is None or patient.pk is None or patient.is_deleted:
        return False
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk in getattr(patient, CHECKED_VISIBLE_FOR, ()):
        return True
    if sees_all_patients(user):
        return True
    if can_use_portal(user) and patient.user_id == user.pk:
        return True
    if not is_clinician(user):
        return False
    return (
        grants.is_on_care_team(user, patient.pk)
        or grants.has_active_emergency_access(user, patient.pk)
        or grants.has_explicit_grant(user, patient.pk)
    )


def is_own_record(user, patient) -> bool:
    return (
        can_use_portal(user)
        and patient is not None
        and patient.user_id is not None
        and patient.user_id == getattr(user, "pk", None)
    )


def can_view_clinical(user, patient) -> bool:
    """Chart, encounters, vitals, labs, notes, vaccinations, prescriptions (clinician pages).

    Clinicians on the care team (or with break-the-glass) and administrators. Not front
    desk, not billing. A patient reads their own record through the portal
    (`can_view_own_record`), not through the clinician pages.
    """
    if is_administrator(user):
        return True
    return is_clinician(user) and is_patient_visible(user, patient)


def sees_only_through_emergency_access(user, patient) -> bool:
    """A clinician whose only way to this patient is an active break-the-glass access."""
    if sees_all_patients(user) or not is_clinician(user):
        return False
    return (
        not grants.is_on_care_team(user, patient.pk)
        and not grants.has_explicit_grant(user, patient.pk)
        and grants.has_active_emergency_access(user, patient.pk)
    )


def can_view_own_record(user, patient) -> bool:
    """The portal: a patient reads only their own record."""
    return is_own_record(user, patient)


def can_edit_clinical(user, patient) -> bool:
    """Diagnoses, prescriptions, lab results, encounters: doctors with access to the patient."""
    return has_role(user, Role.DOCTOR) and is_patient_visible(user, patient)


def can_open_encounter(user, patient) -> bool:
    """Doctors (any class) and nurses (nursing and ambulatory visits) with access."""
    return is_clinician(user) and is_patient_visible(user, patient)


def opens_any_encounter_class(user) -> bool:
    """Doctors open every class of encounter; nurses only the classes a nurse runs."""
    return has_role(user, Role.DOCTOR) or is_administrator(user)


def can_record_vitals(user, patient) -> bool:
    """Vital signs, symptoms, allergies: doctors and nurses with access to the patient."""
    return is_clinician(user) and is_patient_visible(user, patient)


def can_write_notes(user, patient) -> bool:
    return is_clinician(user) and is_patient_visible(user, patient)


def can_delete_clinical(user, patient) -> bool:
    """Deleting (and restoring) recorded data: never under emergency access alone.

    Asked together with the predicate that lets the user record that kind of data.
    """
    return is_patient_visible(user, patient) and not sees_only_through_emergency_access(
        user, patient
    )


def can_delete_vaccinations(user, patient) -> bool:
    """Delete or restore a vaccination event: who records them, not under emergency access."""
    return can_record_vitals(user, patient) and can_delete_clinical(user, patient)


def can_view_demographics(user, patient) -> bool:
    """Name, date of birth, address, contacts, coverage: everyone who may see the patient."""
    return is_patient_visible(user, patient)


def can_edit_demographics(user, patient) -> bool:
    """Front desk and administrators; never under emergency access alone."""
    return (
        (has_role(user, Role.FRONT_DESK) or is_administrator(user))
        and is_patient_visible(user, patient)
        and not sees_only_through_emergency_access(user, patient)
    )


def can_view_bills(user, patient) -> bool:
    """Billing staff and administrators; the care team; the patient for their own bills."""
    if can_use_billing(user):
        return True
    if is_own_record(user, patient):
        return True
    return is_clinician(user) and is_patient_visible(user, patient)


def can_edit_bills(user) -> bool:
    return can_use_billing(user)


def can_register_patients(user) -> bool:
    return has_role(user, Role.FRONT_DESK) or is_administrator(user)


def can_merge_patients(user) -> bool:
    """Merging two records of one person, and undoing a merge: administrators only."""
    return is_administrator(user)


def can_assign_care_team(user, patient) -> bool:
    """Administrators, front desk (at check-in) and clinicians already on a live care team.

    An emergency access lets a clinician read and record, never join the team: that would
    outlast the access.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_administrator(user) or has_role(user, Role.FRONT_DESK):
        return True
    return is_clinician(user) and grants.is_on_care_team(user, patient.pk)


def can_break_glass(user) -> bool:
    """Only clinicians may open an emergency access to a patient outside their care team."""
    return is_clinician(user)


def can_find_patients_for_emergency_access(user) -> bool:
    """The directory identifies patients outside the care teams (exact matches only) to
    clinicians who may break the glass; who sees every patient has no use for it."""
    return can_break_glass(user) and not sees_all_patients(user)


def can_review_break_glass(user) -> bool:
    return is_administrator(user)


def can_end_break_glass(user, access) -> bool:
    """The clinician who holds an emergency access, or an administrator, may end it early."""
    return access.user_id == getattr(user, "pk", None) or is_administrator(user)


def recording_actions(user, patient) -> dict:
    """Which recording pages the chart offers this user (flags for the chart's action bar).

    The chart view passes this as `actions` to templates/patients/forms/partials/
    chart_actions.html, encounter_actions.html and delete_button.html.
    """
    return {
        "clinical": can_edit_clinical(user, patient),
        "open_encounter": can_open_encounter(user, patient),
        "vitals": can_record_vitals(user, patient),
        "notes": can_write_notes(user, patient),
        "demographics": can_edit_demographics(user, patient),
        "delete": can_delete_clinical(user, patient),
    }


# Portal administration (front desk and administrators) -------------------------------------


def can_invite_to_portal(user, patient) -> bool:
    """Issue a portal activation link and code for a registered patient."""
    return can_edit_demographics(user, patient)


def can_grant_proxy_access(user, patient) -> bool:
    """Let another portal user (a parent, a carer) read this patient's record in the portal."""
    return can_edit_demographics(user, patient)


def can_review_change_requests(user) -> bool:
    """Accept or decline the contact-detail changes patients ask for in the portal."""
    return has_role(user, Role.FRONT_DESK) or is_administrator(user)


# Scheduling ----------------------------------------------------------------------------------


def _own_provider(user):
    """The provider row of a clinician's login, or None."""
    return getattr(user, "provider", None) if getattr(user, "is_authenticated", False) else None


def can_manage_appointments(user) -> bool:
    """Book, reschedule, cancel, check in, walk-ins and the request queue: the front desk and
    administrators, for any provider."""
    return has_role(user, Role.FRONT_DESK) or is_administrator(user)


def can_view_schedules(user) -> bool:
    """The schedule pages at all: who books, and clinicians for their own and their department's."""
    return can_manage_appointments(user) or is_clinician(user)


def can_view_schedule_of(user, provider) -> bool:
    """A provider's day and week: who books; the provider; their department's clinicians."""
    if can_manage_appointments(user):
        return True
    own = _own_provider(user) if is_clinician(user) else None
    if own is None or provider is None:
        return False
    return own.pk == provider.pk or (
        own.department_id is not None and own.department_id == provider.department_id
    )


def can_view_department_schedule(user, department) -> bool:
    if can_manage_appointments(user):
        return True
    own = _own_provider(user) if is_clinician(user) else None
    return own is not None and department is not None and own.department_id == department.pk


def can_start_visit(user, appointment) -> bool:
    """Only the appointment's own provider starts the visit (video visits check in then)."""
    own = _own_provider(user) if is_clinician(user) else None
    return own is not None and appointment.provider_id == own.pk


def can_export_own_schedule(user, provider) -> bool:
    """The iCalendar feed: a provider's own appointments, for their calendar program only."""
    own = _own_provider(user)
    return own is not None and provider is not None and own.pk == provider.pk


def can_use_api_tokens(user) -> bool:
    """Personal API tokens: whoever may use the FHIR interface they are for (a token acts
    as its user)."""
    return can_use_fhir(user)


def can_use_fhir(user) -> bool:
    """The FHIR interface itself (capability statement, practitioner directory): anyone with a
    role; each patient's data is then asked of the per-patient predicates, as in the chart."""
    return bool(roles_of(user)) or is_administrator(user)


def can_export_all_records(user) -> bool:
    """Bulk export of every patient's record (FHIR $export, fhir_export)."""
    return is_administrator(user)


def can_register_devices(user, patient) -> bool:
    """Remote monitoring devices of a patient: doctors and nurses on the live care team."""
    return is_clinician(user) and grants.is_on_care_team(user, patient.pk)
