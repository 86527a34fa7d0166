"""Registering patients and keeping their demographics, contacts and coverage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access import permissions
from patients import services
from patients.access import checked_patient
from patients.forms import CoverageForm, EmergencyContactForm, PatientForm
from patients.views.common import chart_url, posted, render_form, submit


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Permission: can_register_patients (front desk, administrators)."""
    if not permissions.can_register_patients(request.user):
        raise PermissionDenied("Only the front desk registers patients.")
    form = PatientForm(posted(request))
    saved = submit(request, form, services.patient_register, by=request.user)
    if saved:
        patient = saved.result
        messages.success(request, f"{patient.full_name} is registered as {patient.mrn}.")
        return redirect(patient)
    return render_form(
        request, form, title="Register a patient", submit="Register", cancel=reverse("home")
    )


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
