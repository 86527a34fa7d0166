"""The chart's problem list, medication list and allergies: resolve or mark a problem
entered in error, stop or renew a prescription, record or change an allergy and assert
"no known allergies"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from access import permissions
from patients import selectors, services
from patients.access import checked_patient
from patients.forms import (
    AllergyChangeForm,
    AllergyForm,
    ConfirmForm,
    EnteredInErrorForm,
    PrescriptionStopForm,
    ProblemResolveForm,
)
from patients.models import Allergy, Diagnosis, Prescription
from patients.views.common import chart_url, posted, render_form, submit

LIST_ACTION = "patients/forms/list_action.html"
PROBLEMS = "problems-heading"
MEDICATIONS = "medications-heading"
ALLERGIES = "allergies-heading"


def _problem(request, pk, diagnosis_pk, refusal):
    patient = checked_patient(
        request, pk, permissions.can_edit_clinical, section="problems", refusal=refusal
    )
    diagnoses = Diagnosis.objects.filter(encounter__patient=patient).select_related("condition")
    return patient, get_object_or_404(diagnoses, pk=diagnosis_pk)


def _prescription(request, pk, prescription_pk, refusal):
    patient = checked_patient(
        request, pk, permissions.can_edit_clinical, section="medications", refusal=refusal
    )
    prescriptions = Prescription.objects.filter(encounter__patient=patient).select_related(
        "medication"
    )
    return patient, get_object_or_404(prescriptions, pk=prescription_pk)


def _done(request, patient, text, anchor):
    messages.success(request, text)
    return redirect(chart_url(patient, anchor))


@login_required
@require_http_methods(["GET", "POST"])
def problem_resolve(request, pk, diagnosis_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient, diagnosis = _problem(request, pk, diagnosis_pk, "You may not resolve problems.")
    form = ProblemResolveForm(posted(request), diagnosis=diagnosis)
    if submit(request, form, services.diagnosis_resolve, diagnosis=diagnosis, by=request.user):
        return _done(request, patient, f"{diagnosis.condition.name} is resolved.", PROBLEMS)
    return render_form(
        request,
        form,
        title=f"Resolve a problem: {patient.full_name}",
        patient=patient,
        submit="Resolve",
        template=LIST_ACTION,
        record=diagnosis,
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_entered_in_error(request, pk, diagnosis_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient, diagnosis = _problem(request, pk, diagnosis_pk, "You may not change problems.")
    form = EnteredInErrorForm(posted(request))
    service = services.diagnosis_mark_entered_in_error
    if submit(request, form, service, diagnosis=diagnosis, by=request.user):
        text = f"{diagnosis.condition.name} is marked as entered in error."
        return _done(request, patient, text, PROBLEMS)
    return render_form(
        request,
        form,
        title=f"Mark a problem entered in error: {patient.full_name}",
        patient=patient,
        submit="Mark entered in error",
        template=LIST_ACTION,
        record=diagnosis,
    )


@login_required
@require_http_methods(["GET", "POST"])
def medication_stop(request, pk, prescription_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient, prescription = _prescription(
        request, pk, prescription_pk, "You may not stop medications."
    )
    form = PrescriptionStopForm(posted(request))
    if submit(
        request, form, services.prescription_stop, prescription=prescription, by=request.user
    ):
        return _done(request, patient, f"{prescription.medication.name} is stopped.", MEDICATIONS)
    return render_form(
        request,
        form,
        title=f"Stop a medication: {patient.full_name}",
        patient=patient,
        submit="Stop",
        template=LIST_ACTION,
        record=prescription,
    )


@login_required
@require_http_methods(["GET", "POST"])
def medication_renew(request, pk, prescription_pk):
    """Permission: can_edit_clinical (doctors with access to the patient). The renewal goes
    into the open encounter on whose care team the doctor is; the page names it."""
    patient, prescription = _prescription(
        request, pk, prescription_pk, "You may not renew medications."
    )
    form = ConfirmForm(posted(request))
    if submit(
        request, form, services.prescription_renew, prescription=prescription, by=request.user
    ):
        return _done(request, patient, f"{prescription.medication.name} is renewed.", MEDICATIONS)
    return render_form(
        request,
        form,
        title=f"Renew a medication: {patient.full_name}",
        patient=patient,
        submit="Renew from today",
        template=LIST_ACTION,
        record=prescription,
        renewing=True,
        into_encounter=selectors.open_encounter_on_care_team(request.user, patient),
    )


@login_required
@require_http_methods(["GET", "POST"])
def allergy_add(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="allergies",
        refusal="You may not record allergies for this patient.",
    )
    form = AllergyForm(posted(request))
    saved = submit(request, form, services.allergy_record, patient=patient, by=request.user)
    if saved:
        return _done(request, patient, f"The allergy to {saved.result} is recorded.", ALLERGIES)
    return render_form(
        request, form, title=f"Record an allergy: {patient.full_name}", patient=patient
    )


@login_required
@require_http_methods(["GET", "POST"])
def allergy_change(request, pk, allergy_pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="allergies",
        refusal="You may not change allergies of this patient.",
    )
    allergy = get_object_or_404(Allergy.objects.filter(patient=patient), pk=allergy_pk)
    form = AllergyChangeForm(posted(request), allergy=allergy)
    if submit(request, form, services.allergy_update, allergy=allergy, by=request.user):
        return _done(request, patient, f"The allergy to {allergy} is changed.", ALLERGIES)
    return render_form(
        request,
        form,
        title=f"Change an allergy: {patient.full_name}",
        patient=patient,
        template=LIST_ACTION,
        record=allergy,
    )


@login_required
@require_http_methods(["GET", "POST"])
def allergy_none_known(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="allergies",
        refusal="You may not record allergies for this patient.",
    )
    form = ConfirmForm(posted(request))
    if submit(request, form, services.allergy_assert_none_known, patient=patient, by=request.user):
        return _done(request, patient, "“No known allergies” is recorded.", ALLERGIES)
    return render_form(
        request,
        form,
        title=f"No known allergies: {patient.full_name}",
        patient=patient,
        submit="Record “No known allergies”",
        template=LIST_ACTION,
        asserting_none_known=True,
    )
