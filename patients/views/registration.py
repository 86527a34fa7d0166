"""Registering patients and keeping their demographics, contacts and coverage.

Every view has one shape: checked fetch (404 for a patient the user may not see) ->
permission predicate (403 when the user sees the patient but may not do this) ->
form -> service -> success message -> redirect to the chart section.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access import permissions
from access.audit import access_log_record
from patients import services
from patients.access import get_patient_for_user
from patients.forms import CoverageForm, EmergencyContactForm, PatientForm

FORM_PAGE = "patients/forms/form_page.html"


def posted(request):
    """The submitted data of a POST (even an empty one, e.g. a confirmation), else None."""
    return request.POST if request.method == "POST" else None


def chart_url(patient, section: str = "", *, encounters_page: int = 1) -> str:
    """The chart, scrolled to a section (the id of its heading), at a page of its timeline."""
    url = reverse("patients:chart", kwargs={"pk": patient.pk})
    if encounters_page != 1:
        url = f"{url}?encounters_page={encounters_page}"
    return f"{url}#{section}" if section else url


def checked_patient(request, pk, predicate, *, section: str, refusal: str):
    """The patient if the user may see it (else 404) and may do this (else 403); logged."""
    patient = get_patient_for_user(request.user, pk)
    if not predicate(request.user, patient):
        raise PermissionDenied(refusal)
    access_log_record(request, patient=patient, section=section)
    return patient


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def render_form(request, form, *, title: str, patient=None, submit: str = "Save", cancel=None):
    context = {
        "form": form,
        "title": title,
        "patient": patient,
        "submit_label": submit,
        "cancel_url": cancel or (chart_url(patient) if patient else reverse("home")),
    }
    return render(request, FORM_PAGE, context)


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Permission: can_register_patients (front desk, administrators)."""
    if not permissions.can_register_patients(request.user):
        raise PermissionDenied("Only the front desk registers patients.")
    form = PatientForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{patient.full_name} is registered as {patient.mrn}.")
            return redirect(chart_url(patient))
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
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
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
    if request.method == "POST" and form.is_valid():
        try:
            services.emergency_contact_create(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The emergency contact is added.")
            return redirect(chart_url(patient, "contacts-heading"))
    return render_form(
        request, form, title=f"Add an emergency contact for {patient.full_name}", patient=patient
    )


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
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_create(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The coverage is added.")
            return redirect(chart_url(patient, "coverage-heading"))
    return render_form(
        request, form, title=f"Add coverage for {patient.full_name}", patient=patient
    )
