"""Recording what happens in an encounter: vitals, symptoms, diagnoses, labs,
prescriptions, notes and vaccinations; opening and closing encounters; soft delete.

Shape of every view: checked fetch -> permission predicate -> form -> service ->
success message -> redirect to the chart section (see registration.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import permissions
from core.documents import DocumentStoreUnavailable
from patients import notes, services, vaccinations
from patients.forms import (
    CareAssignmentForm,
    ConfirmForm,
    DiagnosisForm,
    EncounterCloseForm,
    EncounterOpenForm,
    LabResultForm,
    NoteAmendForm,
    NoteForm,
    PrescriptionForm,
    SymptomForm,
    VaccinationCorrectForm,
    VaccinationDeleteForm,
    VaccinationForm,
    VitalSignsForm,
)
from patients.models import (
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    Patient,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.selectors import encounter_timeline_page
from patients.views.registration import (
    apply_validation_error,
    chart_url,
    checked_patient,
    posted,
    render_form,
)
from providers.models import HealthcareProvider

NOTE_STORE_DOWN = "The note was not saved: the document store is unavailable. Try again shortly."
VACCINATION_STORE_DOWN = (
    "The vaccination was not saved: the document store is unavailable. Try again shortly."
)
VACCINATION_CHANGE_STORE_DOWN = (
    "The vaccination was not changed: the document store is unavailable. Try again shortly."
)
NOTE_UNREADABLE = "The note cannot be shown: the document store is unavailable."
VACCINATION_UNREADABLE = "The vaccination cannot be shown: the document store is unavailable."
SEARCH_LIMIT = 30


def _record_form(
    request, pk, *, form_class, service, predicate, section, title, success, search=None
):
    """The common body of the record-an-item views (they differ only in these arguments)."""
    patient = checked_patient(
        request,
        pk,
        predicate,
        section=section,
        refusal=f"You may not {title.lower()} for this patient.",
    )
    form = form_class(posted(request), patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            record = service(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, success)
            return redirect(_chart_url_at(patient, record))
    context = {**_form_context(form, patient, title), "search": search}
    return render(request, "patients/forms/form_page.html", context)


def _chart_url_at(patient, record) -> str:
    """The chart page whose timeline shows the record's encounter, scrolled to its card."""
    encounter = record if isinstance(record, Encounter) else record.encounter
    return chart_url(
        patient,
        f"encounter-{encounter.pk}-heading",
        encounters_page=encounter_timeline_page(encounter),
    )


def _form_context(form, patient, title):
    return {
        "form": form,
        "patient": patient,
        "title": f"{title}: {patient.full_name}",
        "submit_label": "Save",
        "cancel_url": chart_url(patient),
    }


def _with_undo(request, text, undo_url, label="Undo"):
    """A message with a button that POSTs to `undo_url` (messages sit outside any form)."""
    return format_html(
        '{} <form method="post" action="{}" class="d-inline ms-2">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-dark">{}</button></form>',
        text,
        undo_url,
        get_token(request),
        label,
    )


# Encounters ---------------------------------------------------------------------------------


def _checked_encounter(patient, encounter_pk):
    return get_object_or_404(Encounter, pk=encounter_pk, patient=patient)


@login_required
@require_http_methods(["GET", "POST"])
def encounter_open(request, pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_clinical,
        section="encounters",
        refusal="Only a doctor treating this patient opens encounters.",
    )
    form = EncounterOpenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_open(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The encounter is open. Assign its care team.")
            return redirect("patients:care_team", pk=patient.pk, encounter_pk=encounter.pk)
    return render_form(
        request,
        form,
        title=f"Open an encounter: {patient.full_name}",
        patient=patient,
        submit="Open encounter",
    )


@login_required
@require_http_methods(["GET", "POST"])
def encounter_close(request, pk, encounter_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_clinical,
        section="encounters",
        refusal="Only a doctor treating this patient closes encounters.",
    )
    encounter = _checked_encounter(patient, encounter_pk)
    form = EncounterCloseForm(posted(request), encounter=encounter)
    if request.method == "POST" and form.is_valid():
        try:
            services.encounter_close(encounter=encounter, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The encounter is closed.")
            return redirect(_chart_url_at(patient, encounter))
    return render_form(
        request,
        form,
        title=f"Close encounter {encounter}: {patient.full_name}",
        patient=patient,
        submit="Close encounter",
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_team(request, pk, encounter_pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_edit_clinical,
        section="encounters",
        refusal="Only a doctor treating this patient assigns the care team.",
    )
    encounter = _checked_encounter(patient, encounter_pk)
    form = CareAssignmentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.care_assignment_create(
                encounter=encounter, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            provider = form.cleaned_data["provider"]
            messages.success(request, f"{provider.display_name} is on the care team.")
            return redirect("patients:care_team", pk=patient.pk, encounter_pk=encounter.pk)
    _limit_provider_choices(form)
    team = CareAssignment.objects.filter(encounter=encounter, ended_at__isnull=True).select_related(
        "provider__doctor", "provider__nurse", "provider__specialty"
    )
    context = {
        **_form_context(form, patient, f"Care team of {encounter}"),
        "submit_label": "Assign",
        "team": team,
        "search": {
            "field": "provider",
            "url": reverse("patients:provider_search"),
            "label": "Search providers",
        },
    }
    return render(request, "patients/forms/care_team.html", context)


def _limit_provider_choices(form):
    """Render only a first page of providers (and the chosen one); the search box finds more."""
    field = form.fields["provider"]
    shown = list(field.queryset[:SEARCH_LIMIT])
    chosen = form.data.get("provider") if form.is_bound else None
    if chosen and chosen.isdigit() and all(p.pk != int(chosen) for p in shown):
        shown += list(field.queryset.filter(pk=int(chosen)))
    field.widget.choices = [("", "Choose a provider")] + [
        (p.pk, field.label_from_instance(p)) for p in shown
    ]


@login_required
@require_GET
def provider_search(request):
    """Permission: can_use_patient_directory; returns <option>s of matching providers."""
    if not permissions.is_clinician(request.user) and not permissions.is_administrator(
        request.user
    ):
        raise PermissionDenied("Only clinicians search providers.")
    query = request.GET.get("q", "").strip()[:100]
    providers = HealthcareProvider.objects.all()
    for word in query.split():
        providers = providers.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(specialty__name__icontains=word)
        )
    form = CareAssignmentForm()
    options = [
        (p.pk, form.fields["provider"].label_from_instance(p)) for p in providers[:SEARCH_LIMIT]
    ]
    return render(
        request,
        "patients/forms/partials/options.html",
        {"options": options, "placeholder": "Choose a provider"},
    )


def _checked_assignment(encounter, assignment_pk):
    return get_object_or_404(
        CareAssignment.objects.select_related("provider"), pk=assignment_pk, encounter=encounter
    )


def _care_team_patient(request, pk):
    return checked_patient(
        request,
        pk,
        permissions.can_edit_clinical,
        section="encounters",
        refusal="Only a doctor treating this patient changes the care team.",
    )


@login_required
@require_POST
def care_team_end(request, pk, encounter_pk, assignment_pk):
    """Permission: can_edit_clinical; the message's Undo posts to care_team_restore."""
    patient = _care_team_patient(request, pk)
    encounter = _checked_encounter(patient, encounter_pk)
    assignment = _checked_assignment(encounter, assignment_pk)
    name = assignment.provider.display_name
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
    messages.success(request, _with_undo(request, f"{name} is off the care team.", restore_url))
    return redirect("patients:care_team", pk=patient.pk, encounter_pk=encounter.pk)


@login_required
@require_POST
def care_team_restore(request, pk, encounter_pk, assignment_pk):
    """Permission: as care_team_end; assigns the provider again in the same role."""
    patient = _care_team_patient(request, pk)
    encounter = _checked_encounter(patient, encounter_pk)
    assignment = _checked_assignment(encounter, assignment_pk)
    name = assignment.provider.display_name
    if assignment.ended_at is None:
        messages.info(request, f"{name} is on the care team.")
    else:
        try:
            services.care_assignment_create(
                encounter=encounter,
                provider=assignment.provider,
                role=assignment.role,
                by=request.user,
            )
        except ValidationError as error:
            messages.error(
                request, f"{name} could not be assigned again: {' '.join(error.messages)}"
            )
        else:
            messages.success(request, f"{name} is back on the care team.")
    return redirect("patients:care_team", pk=patient.pk, encounter_pk=encounter.pk)


# Clinical records --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def vital_signs_add(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    return _record_form(
        request,
        pk,
        form_class=VitalSignsForm,
        service=services.vital_signs_record,
        predicate=permissions.can_record_vitals,
        section="vitals",
        title="Record vital signs",
        success="The vital signs are recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def symptom_add(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    return _record_form(
        request,
        pk,
        form_class=SymptomForm,
        service=services.symptom_record,
        predicate=permissions.can_record_vitals,
        section="encounters",
        title="Record a symptom",
        success="The symptom is recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def diagnosis_add(request, pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    return _record_form(
        request,
        pk,
        form_class=DiagnosisForm,
        service=services.diagnosis_record,
        predicate=permissions.can_edit_clinical,
        section="encounters",
        title="Record a diagnosis",
        success="The diagnosis is recorded.",
        search={
            "field": "condition",
            "url": reverse("patients:condition_search"),
            "label": "Search conditions (name or code)",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lab_result_add(request, pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    return _record_form(
        request,
        pk,
        form_class=LabResultForm,
        service=services.lab_result_record,
        predicate=permissions.can_edit_clinical,
        section="labs",
        title="Record a lab result",
        success="The lab result is recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def prescription_add(request, pk):
    """Permission: can_edit_clinical (doctors with access to the patient)."""
    return _record_form(
        request,
        pk,
        form_class=PrescriptionForm,
        service=services.prescription_record,
        predicate=permissions.can_edit_clinical,
        section="prescriptions",
        title="Prescribe",
        success="The prescription is recorded.",
    )


@login_required
@require_GET
def condition_search(request):
    """Permission: clinicians and administrators (catalog only, no patient data)."""
    if not permissions.is_clinician(request.user) and not permissions.is_administrator(
        request.user
    ):
        raise PermissionDenied("Only clinicians search the condition catalog.")
    query = request.GET.get("q", "").strip()[:100]
    conditions = Condition.objects.none()
    if query:
        conditions = Condition.objects.filter(
            Q(name__icontains=query) | Q(code__istartswith=query)
        ).order_by("name")[:SEARCH_LIMIT]
    options = [(condition.pk, str(condition)) for condition in conditions]
    placeholder = (
        (f"Choose one of {len(options)} matches" if options else "No match: search again")
        if query
        else "Type to search"
    )
    return render(
        request,
        "patients/forms/partials/options.html",
        {"options": options, "placeholder": placeholder},
    )


# Notes and vaccinations (document store) ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def note_add(request, pk):
    """Permission: can_write_notes (doctors and nurses with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_write_notes,
        section="notes",
        refusal="You may not write notes for this patient.",
    )
    form = NoteForm(posted(request), patient=patient)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notes.note_create(
                patient=patient,
                author=request.user,
                kind=data["kind"],
                text=data["text"],
                tags=data["tags"],
                encounter=data["encounter"],
                not_shared_reason=data["not_shared_reason"],
            )
        except DocumentStoreUnavailable:
            form.add_error(None, NOTE_STORE_DOWN)
            status = 503
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The note is saved.")
            return redirect(chart_url(patient, "notes-heading"))
    context = {**_form_context(form, patient, "Write a note"), "submit_label": "Save note"}
    return render(request, "patients/forms/form_page.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def note_amend(request, pk, note_id):
    """Permission: can_write_notes; the original text is kept, the amendment appended."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_write_notes,
        section="notes",
        refusal="You may not amend notes of this patient.",
    )
    status = 200
    try:
        note = _note_of(patient, note_id)
    except DocumentStoreUnavailable:
        note, status = None, 503
    form = NoteAmendForm(posted(request), initial={"text": note["text"] if note else ""})
    if note is not None and request.method == "POST" and form.is_valid():
        try:
            notes.note_amend(
                patient=patient, note_id=note["id"], author=request.user, **form.cleaned_data
            )
        except DocumentStoreUnavailable:
            form.add_error(None, NOTE_STORE_DOWN)
            status = 503
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The note is amended; the original is kept.")
            return redirect(chart_url(patient, "notes-heading"))
    context = {
        **_form_context(form, patient, "Amend a note"),
        "submit_label": "Save amendment",
        "note": note,
        "store_notice": "" if note else NOTE_UNREADABLE,
    }
    return render(request, "patients/forms/note_amend.html", context, status=status)


def _note_of(patient, note_id):
    for note in notes.notes_for_patient(patient.pk, limit=1000):
        if str(note["id"]) == str(note_id):
            return note
    raise Http404("No such note")


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_add(request, pk):
    """Permission: can_record_vitals (doctors and nurses with access to the patient)."""
    patient = checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="vaccinations",
        refusal="You may not record vaccinations for this patient.",
    )
    form = VaccinationForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            vaccinations.vaccination_record(patient=patient, by=request.user, **form.cleaned_data)
        except DocumentStoreUnavailable:
            form.add_error(None, VACCINATION_STORE_DOWN)
            status = 503
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The vaccination is recorded.")
            return redirect(chart_url(patient, "vaccinations-heading"))
    context = {**_form_context(form, patient, "Record a vaccination")}
    return render(request, "patients/forms/form_page.html", context, status=status)


def _vaccination_of(patient, event_id):
    """The patient's live vaccination event with this id (404 otherwise); None if unreadable."""
    try:
        events = vaccinations.vaccinations_for_patient(patient.pk)
    except DocumentStoreUnavailable:
        return None
    for event in events:
        if event["id"] == event_id:
            return event
    raise Http404("No such vaccination")


def _shown(event):
    """The event for the summary on the correct/delete pages: readable corrected-field names."""
    if event is None:
        return None
    corrections = [
        {**c, "previous": {name.replace("_", " "): v for name, v in c["previous"].items()}}
        for c in event["corrections"]
    ]
    return {**event, "corrections": corrections}


def _vaccination_patient(request, pk, doing):
    return checked_patient(
        request,
        pk,
        permissions.can_record_vitals,
        section="vaccinations",
        refusal=f"You may not {doing} vaccinations of this patient.",
    )


def _vaccination_change_page(request, pk, event_id, *, doing, form_class, change, title, submit):
    """The common body of the correct and delete pages of one vaccination event.

    `change(patient, event, form)` applies the valid form through the document API and
    returns the success message; the document store being down keeps the input (503).
    """
    patient = _vaccination_patient(request, pk, doing)
    event = _vaccination_of(patient, event_id)
    initial = {field: event[field] for field in vaccinations.CORRECTABLE_FIELDS} if event else {}
    form = form_class(posted(request), initial=initial)
    status = 200 if event else 503
    if event is not None and request.method == "POST" and form.is_valid():
        try:
            success = change(patient, event, form)
        except DocumentStoreUnavailable:
            form.add_error(None, VACCINATION_CHANGE_STORE_DOWN)
            status = 503
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, success)
            return redirect(chart_url(patient, "vaccinations-heading"))
    context = {
        **_form_context(form, patient, title),
        "submit_label": submit,
        "event": _shown(event),
        "store_notice": "" if event else VACCINATION_UNREADABLE,
    }
    return render(request, f"patients/forms/vaccination_{doing}.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_correct(request, pk, event_id):
    """Permission: can_record_vitals; the earlier values stay inside the event."""

    def correct(patient, event, form):
        vaccinations.vaccination_correct(
            patient=patient,
            event_id=event["id"],
            changes=form.changes_to(event),
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        return "The vaccination is corrected; the earlier values are kept."

    return _vaccination_change_page(
        request,
        pk,
        event_id,
        doing="correct",
        form_class=VaccinationCorrectForm,
        change=correct,
        title="Correct a vaccination",
        submit="Save correction",
    )


@login_required
@require_http_methods(["GET", "POST"])
def vaccination_delete(request, pk, event_id):
    """Permission: can_record_vitals; the event is marked, not removed (Undo restores it)."""

    def delete(patient, event, form):
        vaccinations.vaccination_delete(
            patient=patient, event_id=event["id"], by=request.user, **form.cleaned_data
        )
        restore_url = reverse(
            "patients:vaccination_restore", kwargs={"pk": patient.pk, "event_id": event["id"]}
        )
        return _with_undo(request, "The vaccination is deleted.", restore_url)

    return _vaccination_change_page(
        request,
        pk,
        event_id,
        doing="delete",
        form_class=VaccinationDeleteForm,
        change=delete,
        title="Delete a vaccination",
        submit="Delete",
    )


@login_required
@require_POST
def vaccination_restore(request, pk, event_id):
    """Permission: as vaccination_delete; brings back a deleted event of this patient."""
    patient = _vaccination_patient(request, pk, "restore")
    try:
        vaccinations.vaccination_restore(patient=patient, event_id=event_id, by=request.user)
    except ValidationError as error:
        raise Http404("No such deleted vaccination") from error
    except DocumentStoreUnavailable:
        text = "The vaccination was not restored: the document store is unavailable."
        messages.error(request, _with_undo(request, text, request.path, label="Try again"))
    else:
        messages.success(request, "The vaccination is restored.")
    return redirect(chart_url(patient, "vaccinations-heading"))


# Soft delete and undo ------------------------------------------------------------------------

# kind in the URL -> (model, path to the patient, predicate, chart heading id or None for the
# record's encounter card, what it is called)
DELETABLE = {
    "vitals": (
        VitalSigns,
        "encounter__patient",
        permissions.can_record_vitals,
        None,
        "set of vital signs",
    ),
    "symptom": (
        Symptom,
        "encounter__patient",
        permissions.can_record_vitals,
        None,
        "symptom",
    ),
    "diagnosis": (
        Diagnosis,
        "encounter__patient",
        permissions.can_edit_clinical,
        None,
        "diagnosis",
    ),
    "lab-result": (
        LabResult,
        "encounter__patient",
        permissions.can_edit_clinical,
        None,
        "lab result",
    ),
    "prescription": (
        Prescription,
        "encounter__patient",
        permissions.can_edit_clinical,
        None,
        "prescription",
    ),
    "encounter": (
        Encounter,
        "patient",
        permissions.can_edit_clinical,
        "encounters-heading",
        "encounter (with everything recorded in it)",
    ),
    "emergency-contact": (
        EmergencyContact,
        "patient",
        permissions.can_edit_demographics,
        "contacts-heading",
        "emergency contact",
    ),
    "coverage": (
        Coverage,
        "patient",
        permissions.can_edit_demographics,
        "coverage-heading",
        "coverage",
    ),
}


def _deletable(request, pk, kind):
    if kind not in DELETABLE:
        raise Http404("No such kind of record")
    model, patient_path, predicate, anchor, noun = DELETABLE[kind]
    patient = checked_patient(
        request,
        pk,
        predicate,
        section="chart",
        refusal=f"You may not delete this patient's {noun}.",
    )
    return patient, model, patient_path, anchor, noun


@login_required
@require_http_methods(["GET", "POST"])
def record_delete(request, pk, kind, record_pk):
    """Permission: the predicate that lets the user record this kind (see DELETABLE)."""
    patient, model, patient_path, anchor, noun = _deletable(request, pk, kind)
    record = get_object_or_404(model.objects.filter(**{patient_path: patient}), pk=record_pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.record_soft_delete(record=record, by=request.user)
        restore_url = reverse(
            "patients:record_restore",
            kwargs={"pk": patient.pk, "kind": kind, "record_pk": record.pk},
        )
        messages.success(request, _with_undo(request, f"The {noun} is deleted.", restore_url))
        return redirect(chart_url(patient, anchor) if anchor else _chart_url_at(patient, record))
    context = {
        **_form_context(form, patient, f"Delete this {noun}"),
        "record": record,
        "noun": noun,
        "submit_label": "Delete",
    }
    return render(request, "patients/forms/confirm_delete.html", context)


@login_required
@require_POST
def record_restore(request, pk, kind, record_pk):
    """Permission: as record_delete; brings back exactly what the deletion hid."""
    patient, model, patient_path, anchor, noun = _deletable(request, pk, kind)
    record = get_object_or_404(
        model.all_objects.filter(**{patient_path: patient}, deleted_at__isnull=False),
        pk=record_pk,
    )
    services.record_restore(record=record, by=request.user)
    messages.success(request, f"The {noun} is restored.")
    return redirect(chart_url(patient, anchor) if anchor else _chart_url_at(patient, record))


def recording_actions(user, patient) -> dict:
    """Which recording pages the chart offers this user (flags for the chart's action bar).

    The chart view passes this as `actions` to templates/patients/forms/partials/
    chart_actions.html, encounter_actions.html and delete_button.html.
    """
    return {
        "clinical": permissions.can_edit_clinical(user, patient),
        "vitals": permissions.can_record_vitals(user, patient),
        "notes": permissions.can_write_notes(user, patient),
        "demographics": permissions.can_edit_demographics(user, patient),
    }
