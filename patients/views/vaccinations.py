"""Vaccinations (document store): recording, correcting, deleting with Undo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access import permissions
from core.documents import DocumentStoreUnavailable
from patients import vaccinations
from patients.access import checked_patient
from patients.forms import VaccinationCorrectForm, VaccinationDeleteForm, VaccinationForm
from patients.views.common import (
    chart_url,
    document_or_none,
    message_with_action,
    posted,
    render_form,
    submit,
)

VACCINATION_STORE_DOWN = (
    "The vaccination was not saved: the document store is unavailable. Try again shortly."
)
VACCINATION_CHANGE_STORE_DOWN = (
    "The vaccination was not changed: the document store is unavailable. Try again shortly."
)
VACCINATION_UNREADABLE = "The vaccination cannot be shown: the document store is unavailable."


def _vaccinations_patient(request, pk, doing, *, of="of", predicate=permissions.can_record_vitals):
    """Permission of every page here: can_record_vitals (doctors and nurses with access);
    deleting and restoring: can_delete_vaccinations (not under emergency access alone)."""
    return checked_patient(
        request,
        pk,
        predicate,
        section="vaccinations",
        refusal=f"You may not {doing} vaccinations {of} this patient.",
    )


def _shown(event):
    """The event for the summary on the correct/delete pages: readable corrected-field names."""
    if event is None:
        return None
    corrections = [
        {**c, "previous": {name.replace("_", " "): v for name, v in c["previous"].items()}}
        for c in event["corrections"]
    ]
    return {**event, "corrections": corrections}


def _vaccinations_section(patient):
    return redirect(chart_url(patient, "vaccinations-heading"))


# The correct and delete pages: their title and submit button.
CHANGE_PAGES = {
    "correct": ("Correct a vaccination", "Save correction"),
    "delete": ("Delete a vaccination", "Delete"),
}


def _change_page(request, form, saved, patient, event, doing):
    """The page of the correct or delete form, with the event it changes."""
    title, submit_label = CHANGE_PAGES[doing]
    return render_form(
        request,
        form,
        title=f"{title}: {patient.full_name}",
        patient=patient,
        submit=submit_label,
        template=f"patients/forms/vaccination_{doing}.html",
        status=saved.status,
        event=_shown(event),
        store_notice="" if event else VACCINATION_UNREADABLE,
    )


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_add(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient).

    The vaccine comes from the CVX catalog; the date defaults to today and "given by" to
    the signed-in clinician.
    """
    patient = _vaccinations_patient(request, pk, "record", of="for")
    form = VaccinationForm(posted(request), user=request.user)
    saved = submit(
        request,
        form,
        vaccinations.vaccination_record,
        store_down=VACCINATION_STORE_DOWN,
        patient=patient,
        by=request.user,
    )
    if saved:
        messages.success(request, "The vaccination is recorded.")
        return _vaccinations_section(patient)
    title = f"Record a vaccination: {patient.full_name}"
    return render_form(request, form, title=title, patient=patient, status=saved.status)


def _event_change(request, pk, event_id, *, doing, form_class, service, predicate):
    """Checked fetch, form and service call of a change to one event."""
    patient = _vaccinations_patient(request, pk, doing, predicate=predicate)
    event = document_or_none(
        vaccinations.vaccination_of_patient, patient, event_id, missing="No such vaccination"
    )
    form = form_class(posted(request), event=event)
    saved = submit(
        request,
        form,
        service,
        store_down=VACCINATION_CHANGE_STORE_DOWN,
        readable=event is not None,
        patient=patient,
        event_id=event_id,
        by=request.user,
    )
    return patient, event, form, saved


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_correct(request, pk, event_id):
    """Permission: can_record_vitals; the earlier values stay inside the event."""
    patient, event, form, saved = _event_change(
        request,
        pk,
        event_id,
        doing="correct",
        form_class=VaccinationCorrectForm,
        service=vaccinations.vaccination_correct,
        predicate=permissions.can_record_vitals,
    )
    if saved:
        messages.success(request, "The vaccination is corrected; the earlier values are kept.")
        return _vaccinations_section(patient)
    return _change_page(request, form, saved, patient, event, "correct")


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_delete(request, pk, event_id):
    """Permission: can_delete_vaccinations (can_record_vitals, not under emergency access
    alone); the event is marked, not removed (Undo restores it)."""
    patient, event, form, saved = _event_change(
        request,
        pk,
        event_id,
        doing="delete",
        form_class=VaccinationDeleteForm,
        service=vaccinations.vaccination_delete,
        predicate=permissions.can_delete_vaccinations,
    )
    if saved:
        restore_url = reverse(
            "patients:vaccination_restore", kwargs={"pk": patient.pk, "event_id": event_id}
        )
        text = "The vaccination is deleted."
        messages.success(request, message_with_action(request, text, restore_url))
        return _vaccinations_section(patient)
    return _change_page(request, form, saved, patient, event, "delete")


@login_required
@require_POST
def vaccination_restore(request, pk, event_id):
    """Permission: as vaccination_delete; brings back a deleted event of this patient."""
    patient = _vaccinations_patient(
        request, pk, "restore", predicate=permissions.can_delete_vaccinations
    )
    try:
        vaccinations.vaccination_restore(patient=patient, event_id=event_id, by=request.user)
    except ValidationError as error:
        raise Http404("No such deleted vaccination") from error
    except DocumentStoreUnavailable:
        text = "The vaccination was not restored: the document store is unavailable."
        action = message_with_action(request, text, request.path, label="Try again")
        messages.error(request, action)
    else:
        messages.success(request, "The vaccination is restored.")
    return _vaccinations_section(patient)
