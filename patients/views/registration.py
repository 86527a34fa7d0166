"""Registering patients and keeping their demographics, contacts and coverage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access import permissions
from access.audit import Section, access_log_record_list
from patients import selectors, services
from patients.access import checked_patient
from patients.duplicates import duplicate_candidates
from patients.forms import (
    ContactForm,
    CoverageForm,
    DuplicateDecisionForm,
    EmergencyContactForm,
    IdentityForm,
    PatientForm,
)
from patients.models import Patient, RegistrationStep
from patients.views.common import chart_url, posted, render_form, submit


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Permission: can_register_patients (front desk, administrators).

    Step one, identity. Before saving, the duplicate check shows the patients this may
    already be; the clerk opens one of them, or says why this is a different person.
    """
    if not permissions.can_register_patients(request.user):
        raise PermissionDenied("Only the front desk registers patients.")
    form = IdentityForm(posted(request))
    decision = DuplicateDecisionForm(posted(request))
    candidates = []
    if request.method == "POST" and form.is_valid() and decision.is_valid():
        candidates = _possible_duplicates(request, form.identity())
        decision = decision.judged(candidates)
        saved = decision.is_decided and submit(
            request,
            form,
            services.patient_register,
            by=request.user,
            different_from=[(c.patient, c.score.points) for c in candidates],
            different_person_reason=decision.cleaned_data["different_person_reason"],
        )
        if saved:
            patient = saved.result
            messages.success(request, f"{patient.full_name} is registered as {patient.mrn}.")
            return redirect(registration_step_url(patient))
    return render_form(
        request,
        form,
        title="Register a patient",
        submit="Check for a record and register",
        cancel=reverse("home"),
        template="patients/registration/identity.html",
        decision=decision,
        candidates=candidates,
        steps=registration_progress(None),
    )


def _possible_duplicates(request, identity):
    """The duplicate check among the patients the clerk may see; showing them is a read."""
    candidates = duplicate_candidates(identity, patients=Patient.objects.visible_to(request.user))
    if candidates:
        access_log_record_list(
            request,
            patient_ids=sorted(candidate.patient.pk for candidate in candidates),
            section=Section.REGISTRATION,
            detail="possible duplicates",
        )
    return candidates


def registration_step_url(patient) -> str:
    if patient.registration_step == RegistrationStep.DONE:
        return chart_url(patient)
    return reverse(
        "patients:register_step", kwargs={"pk": patient.pk, "step": patient.registration_step}
    )


STEP_FORMS = {
    RegistrationStep.CONTACT: ContactForm,
    RegistrationStep.EMERGENCY_CONTACTS: EmergencyContactForm,
    RegistrationStep.COVERAGE: CoverageForm,
}


@login_required
@require_http_methods(["GET", "POST"])
def register_step(request, pk, step):
    """Permission: can_edit_demographics (front desk, administrators).

    The steps after identity, each saved as it is done; the chart offers the next one
    until registration is finished. "Continue" (`done` posted) moves past a step.
    """
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_demographics,
        section="demographics",
        refusal="You may not register this patient.",
    )
    if step not in services.REGISTRATION_STEPS:
        raise Http404("No such registration step.")
    if request.method == "POST" and "done" in request.POST:
        services.registration_step_finish(patient=patient, step=step, by=request.user)
        return redirect(registration_step_url(patient))
    form_class = STEP_FORMS.get(step)
    form = None
    if form_class is not None:
        is_contact = step == RegistrationStep.CONTACT
        form = form_class(posted(request), instance=patient if is_contact else None)
        saved = submit(request, form, STEP_SERVICES[step], patient=patient, by=request.user)
        if saved:
            messages.success(request, STEP_SAVED[step])
            target = registration_step_url(patient) if is_contact else request.path
            return redirect(target)
    return render_form(
        request,
        form,
        title=f"Register {patient.full_name}: {RegistrationStep(step).label.lower()}",
        patient=patient,
        submit="Save and continue" if step == RegistrationStep.CONTACT else "Add",
        template="patients/registration/step.html",
        step=step,
        steps=registration_progress(patient, current=step),
        **selectors.registration_step_context(patient, step),
    )


STEP_SERVICES = {
    RegistrationStep.CONTACT: services.patient_contact_update,
    RegistrationStep.EMERGENCY_CONTACTS: services.emergency_contact_create,
    RegistrationStep.COVERAGE: services.coverage_create,
}
STEP_SAVED = {
    RegistrationStep.CONTACT: "The contact details are saved.",
    RegistrationStep.EMERGENCY_CONTACTS: "The emergency contact is added.",
    RegistrationStep.COVERAGE: "The coverage is added.",
}


def registration_progress(patient, *, current: str = "identity") -> list[dict]:
    """The step bar: every step with its state (done, current, to do) and its link."""
    reached = (
        len(services.REGISTRATION_STEPS)
        if patient is None or patient.registration_step == RegistrationStep.DONE
        else services.REGISTRATION_STEPS.index(RegistrationStep(patient.registration_step))
    )
    steps = [{"label": "Identity", "state": "current" if patient is None else "done", "url": ""}]
    for index, step in enumerate(services.REGISTRATION_STEPS):
        if patient is None:
            state, url = "todo", ""
        else:
            state = "current" if step == current else "done" if index < reached else "todo"
            url = reverse("patients:register_step", kwargs={"pk": patient.pk, "step": step})
        steps.append({"label": step.label, "state": state, "url": url})
    return steps


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk):
    """Permission: can_edit_demographics (front desk, administrators)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_demographics,
        section="demographics",
        refusal="You may not change this patient's demographics.",
    )
    form = PatientForm(posted(request), instance=patient)
    saved = submit(request, form, services.patient_update, patient=patient, by=request.user)
    if saved:
        messages.success(request, "The patient's details are saved.")
        return redirect(chart_url(patient, "demographics-heading"))
    return render_form(request, form, title=f"Edit {patient.full_name}", patient=patient)


@login_required
@require_http_methods(["GET", "POST"])
def emergency_contact_add(request, pk):
    """Permission: can_edit_demographics (front desk, administrators)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_demographics,
        section="demographics",
        refusal="You may not change this patient's emergency contacts.",
    )
    form = EmergencyContactForm(posted(request))
    saved = submit(
        request, form, services.emergency_contact_create, patient=patient, by=request.user
    )
    if saved:
        messages.success(request, "The emergency contact is added.")
        return redirect(chart_url(patient, "contacts-heading"))
    title = f"Add an emergency contact for {patient.full_name}"
    return render_form(request, form, title=title, patient=patient)


@login_required
@require_http_methods(["GET", "POST"])
def coverage_add(request, pk):
    """Permission: can_edit_demographics (front desk, administrators)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_demographics,
        section="coverage",
        refusal="You may not change this patient's coverage.",
    )
    form = CoverageForm(posted(request))
    saved = submit(request, form, services.coverage_create, patient=patient, by=request.user)
    if saved:
        messages.success(request, "The coverage is added.")
        return redirect(chart_url(patient, "coverage-heading"))
    return render_form(
        request, form, title=f"Add coverage for {patient.full_name}", patient=patient
    )
