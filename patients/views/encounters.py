"""Opening and closing encounters, and the care team of each."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import permissions
from patients import selectors, services
from patients.access import checked_patient
from patients.forms import CareAssignmentForm, EncounterCloseForm, EncounterOpenForm, provider_label
from patients.models import CareAssignment, Encounter, Patient
from patients.views.common import (
    chart_url_at,
    message_with_action,
    next_page,
    posted,
    render_form,
    render_options,
    submit,
)


def _encounters_patient(request, pk, refusal):
    """Permission of every page here: can_edit_clinical (doctors with access to the patient)."""
    return checked_patient(
        request, pk, permissions.can_edit_clinical, section="encounters", refusal=refusal
    )


def _checked_encounter(patient, encounter_pk):
    return get_object_or_404(Encounter, pk=encounter_pk, patient=patient)


def _checked_assignment(encounter, assignment_pk):
    return get_object_or_404(
        CareAssignment.objects.select_related("provider"), pk=assignment_pk, encounter=encounter
    )


def _care_team_page(patient, encounter):
    return redirect("patients:care_team", pk=patient.pk, encounter_pk=encounter.pk)


@login_required
@require_http_methods(["GET", "POST"])
def encounter_open(request, pk):
    """Permission: can_open_encounter (doctors: any class; nurses: nursing and ambulatory).

    With `?next=` (a recording form of this patient) it returns there, the new encounter chosen.
    """
    patient = checked_patient(
        request,
        pk,
        permissions.can_open_encounter,
        section="encounters",
        refusal="Only a clinician treating this patient opens encounters.",
    )
    form = EncounterOpenForm(posted(request), user=request.user)
    saved = submit(request, form, services.encounter_open, patient=patient, by=request.user)
    if saved:
        return_to = next_page(request, patient)
        if return_to:
            messages.success(request, "The encounter is open. Record into it below.")
            return redirect(return_to)
        if permissions.can_edit_clinical(request.user, patient):
            messages.success(request, "The encounter is open. Assign the rest of its care team.")
            return _care_team_page(patient, saved.result)
        messages.success(request, "The encounter is open.")
        return redirect(chart_url_at(patient, saved.result))
    title = f"Open an encounter: {patient.full_name}"
    return render_form(request, form, title=title, patient=patient, submit="Open encounter")


@login_required
@require_http_methods(["GET", "POST"])
def encounter_close(request, pk, encounter_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient = _encounters_patient(
        request, pk, "Only a doctor treating this patient closes encounters."
    )
    encounter = _checked_encounter(patient, encounter_pk)
    form = EncounterCloseForm(posted(request), encounter=encounter)
    saved = submit(request, form, services.encounter_close, encounter=encounter, by=request.user)
    if saved:
        messages.success(request, "The encounter is closed.")
        return redirect(chart_url_at(patient, encounter))
    title = f"Close encounter {encounter}: {patient.full_name}"
    return render_form(request, form, title=title, patient=patient, submit="Close encounter")


@login_required
@require_http_methods(["GET", "POST"])
def care_team(request, pk, encounter_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient = _encounters_patient(
        request, pk, "Only a doctor treating this patient assigns the care team."
    )
    encounter = _checked_encounter(patient, encounter_pk)
    form = CareAssignmentForm(posted(request))
    saved = submit(
        request, form, services.care_assignment_create, encounter=encounter, by=request.user
    )
    if saved:
        provider = form.cleaned_data["provider"]
        messages.success(request, f"{provider.display_name} is on the care team.")
        return _care_team_page(patient, encounter)
    return render_form(
        request,
        form,
        title=f"Care team of {encounter}: {patient.full_name}",
        patient=patient,
        submit="Assign",
        template="patients/forms/care_team.html",
        team=selectors.care_team(encounter),
        search={
            "field": "provider",
            "url": reverse("patients:provider_search"),
            "label": "Search providers",
        },
    )


@login_required
@require_GET
def provider_search(request):
    """Permission: can_search_clinical_catalogs; returns <option>s of matching providers."""
    if not permissions.can_search_clinical_catalogs(request.user):
        raise PermissionDenied("Only clinicians search providers.")
    providers = selectors.providers_matching(request.GET.get("q", ""))
    options = [(provider.pk, provider_label(provider)) for provider in providers]
    return render_options(request, options, placeholder="Choose a provider")


@login_required
@require_POST
def care_team_end(request, pk, encounter_pk, assignment_pk):
    """Permission: can_edit_clinical; the message's Undo posts to care_team_restore."""
    patient = _encounters_patient(
        request, pk, "Only a doctor treating this patient changes the care team."
    )
    encounter = _checked_encounter(patient, encounter_pk)
    assignment = _checked_assignment(encounter, assignment_pk)
    if assignment.ended_at is None:
        services.care_assignment_end(assignment=assignment, by=request.user)
    if not Patient.objects.visible_to(request.user).filter(pk=patient.pk).exists():
        messages.warning(
            request,
            f"You are off the care team of {patient.full_name} and no longer have access to "
            "the chart. A doctor on the team can assign you again.",
        )
        return redirect("patients:list")
    restore_url = reverse(
        "patients:care_team_restore",
        kwargs={"pk": patient.pk, "encounter_pk": encounter.pk, "assignment_pk": assignment.pk},
    )
    text = f"{assignment.provider.display_name} is off the care team."
    messages.success(request, message_with_action(request, text, restore_url))
    return _care_team_page(patient, encounter)


@login_required
@require_POST
def care_team_restore(request, pk, encounter_pk, assignment_pk):
    """Permission: as care_team_end; assigns the provider again in the same role."""
    patient = _encounters_patient(
        request, pk, "Only a doctor treating this patient changes the care team."
    )
    encounter = _checked_encounter(patient, encounter_pk)
    assignment = _checked_assignment(encounter, assignment_pk)
    name = assignment.provider.display_name
    if assignment.ended_at is None:
        messages.info(request, f"{name} is on the care team.")
        return _care_team_page(patient, encounter)
    try:
        services.care_assignment_create(
            encounter=encounter, provider=assignment.provider, role=assignment.role, by=request.user
        )
    except ValidationError as error:
        messages.error(request, f"{name} could not be assigned again: {' '.join(error.messages)}")
    else:
        messages.success(request, f"{name} is back on the care team.")
    return _care_team_page(patient, encounter)
