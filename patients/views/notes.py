"""Clinical notes (document store): writing and amending."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from access import permissions
from patients import notes
from patients.access import checked_patient
from patients.forms import NoteAmendForm, NoteForm
from patients.views.common import (
    chart_url,
    document_or_none,
    encounter_offer,
    posted,
    render_form,
    submit,
)

NOTE_STORE_DOWN = "The note was not saved: the document store is unavailable. Try again shortly."
NOTE_UNREADABLE = "The note cannot be shown: the document store is unavailable."


def _notes_patient(request, pk, refusal):
    return checked_patient(
        request, pk, permissions.can_write_notes, section="notes", refusal=refusal
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_add(request, pk):
    """Permission: can_write_notes (doctors and nurses with access to the patient)."""
    patient = _notes_patient(request, pk, "You may not write notes for this patient.")
    form = NoteForm(posted(request), patient=patient, user=request.user)
    saved = submit(
        request,
        form,
        notes.note_create,
        store_down=NOTE_STORE_DOWN,
        patient=patient,
        author=request.user,
    )
    if saved:
        messages.success(request, "The note is saved.")
        return redirect(chart_url(patient, "notes-heading"))
    title = f"Write a note: {patient.full_name}"
    return render_form(
        request,
        form,
        title=title,
        patient=patient,
        submit="Save note",
        status=saved.status,
        encounter_offer=encounter_offer(request, patient, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_amend(request, pk, note_id):
    """Permission: can_write_notes; the original text is kept, the amendment appended."""
    patient = _notes_patient(request, pk, "You may not amend notes of this patient.")
    note = document_or_none(notes.note_of_patient, patient, note_id, missing="No such note")
    form = NoteAmendForm(posted(request), initial={"text": note["text"] if note else ""})
    saved = submit(
        request,
        form,
        notes.note_amend,
        store_down=NOTE_STORE_DOWN,
        readable=note is not None,
        patient=patient,
        note_id=note_id,
        author=request.user,
    )
    if saved:
        messages.success(request, "The note is amended; the original is kept.")
        return redirect(chart_url(patient, "notes-heading"))
    return render_form(
        request,
        form,
        title=f"Amend a note: {patient.full_name}",
        patient=patient,
        submit="Save amendment",
        template="patients/forms/note_amend.html",
        status=saved.status,
        note=note,
        store_notice="" if note else NOTE_UNREADABLE,
    )
