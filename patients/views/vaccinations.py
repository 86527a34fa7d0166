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
    UNREADABLE,
    chart_url,
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


def _vaccinations_patient(request, pk, doing, *, of="of"):
    """Permission of every page here: can_record_vitals (doctors and nurses with access)."""
    return checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="vaccinations",
        refusal=f"You may not {doing} vaccinations {of} this patient.",
    )


def _event_or_none(patient, event_id):
    """The patient's live vaccination event (404 otherwise); None if the store is down."""
    try:
        event = vaccinations.vaccination_of_patient(patient, event_id)
    except DocumentStoreUnavailable:
        return None
    if event is None:
        raise Http404("No such vaccination")
    return event


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


def _change_page(request, form, saved, *, patient, event, doing, title, submit_label):
    """The page of the correct and delete forms, with the event they change."""
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
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    patient = _vaccinations_patient(request, pk, "record", of="for")
    form = VaccinationForm(posted(request))
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


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_correct(request, pk, event_id):
    """Permission: can_record_vitals; the earlier values stay inside the event."""
    patient = _vaccinations_patient(request, pk, "correct")
    event = _event_or_none(patient, event_id)
    form = VaccinationCorrectForm(posted(request), event=event)
    saved = UNREADABLE
    if event is not None:
        saved = submit(
            request,
            form,
            vaccinations.vaccination_correct,
            store_down=VACCINATION_CHANGE_STORE_DOWN,
            patient=patient,
            event_id=event["id"],
            by=request.user,
        )
    if saved:
        messages.success(request, "The vaccination is corrected; the earlier values are kept.")
        return _vaccinations_section(patient)
    return _change_page(
        request,
        form,
        saved,
        patient=patient,
        event=event,
        doing="correct",
        title="Correct a vaccination",
        submit_label="Save correction",
    )


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_delete(request, pk, event_id):
    """Permission: can_record_vitals; the event is marked, not removed (Undo restores it)."""
    patient = _vaccinations_patient(request, pk, "delete")
    event = _event_or_none(patient, event_id)
    form = VaccinationDeleteForm(posted(request))
    saved = UNREADABLE
    if event is not None:
        saved = submit(
            request,
            form,
            vaccinations.vaccination_delete,
            store_down=VACCINATION_CHANGE_STORE_DOWN,
            patient=patient,
            event_id=event["id"],
            by=request.user,
        )
    if saved:
        restore_url = reverse(
            "patients:vaccination_restore", kwargs={"pk": patient.pk, "event_id": event["id"]}
        )
        text = "The vaccination is deleted."
        messages.success(request, message_with_action(request, text, restore_url))
        return _vaccinations_section(patient)
    return _change_page(
        request,
        form,
        saved,
        patient=patient,
        event=event,
        doing="delete",
        title="Delete a vaccination",
        submit_label="Delete",
    )


@login_required
@require_POST
def vaccination_restore(request, pk, event_id):
    """Permission: as vaccination_delete; brings back a deleted event of this patient."""
    patient = _vaccinations_patient(request, pk, "restore")
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
