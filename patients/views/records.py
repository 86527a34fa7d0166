"""Relational records of an encounter (vitals, symptoms, diagnoses, labs, prescriptions) and
soft delete with Undo of those and of encounters, emergency contacts and coverage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import permissions
from patients import selectors, services
from patients.access import checked_patient
from patients.forms import (
    DeleteReasonForm,
    DiagnosisForm,
    LabResultForm,
    PrescriptionForm,
    SymptomForm,
    VitalSignsForm,
)
from patients.models import (
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.views.common import (
    chart_url,
    chart_url_at,
    encounter_offer,
    message_with_action,
    posted,
    render_form,
    render_options,
    submit,
)


def _record_form(
    request, pk, *, form_class, service, predicate, section, title, success, search=None
):
    """The body of the record-an-item pages (they differ only in these arguments)."""
    refusal = f"You may not {title.lower()} for this patient."
    patient = checked_patient(request, pk, predicate, section=section, refusal=refusal)
    form = form_class(posted(request), patient=patient, user=request.user)
    saved = submit(request, form, service, patient=patient, by=request.user)
    if saved:
        late = " as a late entry" if saved.result.is_late_entry else ""
        messages.success(request, f"{success[:-1]}{late}.")
        return redirect(chart_url_at(patient, saved.result))
    return render_form(
        request,
        form,
        title=f"{title}: {patient.full_name}",
        patient=patient,
        search=search,
        encounter_offer=encounter_offer(request, patient, form),
    )


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
    """Permission: can_search_clinical_catalogs (catalog only, no patient data)."""
    if not permissions.can_search_clinical_catalogs(request.user):
        raise PermissionDenied("Only clinicians search the condition catalog.")
    query = request.GET.get("q", "").strip()
    options = [(c.pk, str(c)) for c in selectors.conditions_matching(query)]
    placeholder = (
        (f"Choose one of {len(options)} matches" if options else "No match: search again")
        if query
        else "Type to search"
    )
    return render_options(request, options, placeholder=placeholder)


# Soft delete and Undo ------------------------------------------------------------------------

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
    "symptom": (Symptom, "encounter__patient", permissions.can_record_vitals, None, "symptom"),
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
    refusal = f"You may not delete this patient's {noun}."
    patient = checked_patient(
        request,
        pk,
        lambda user, patient: (
            predicate(user, patient) and permissions.can_delete_clinical(user, patient)
        ),
        section="chart",
        refusal=refusal,
    )
    return patient, model, patient_path, anchor, noun


def _chart_at(patient, record, anchor):
    return redirect(chart_url(patient, anchor) if anchor else chart_url_at(patient, record))


@login_required
@require_http_methods(["GET", "POST"])
def record_delete(request, pk, kind, record_pk):
    """Permission: the predicate that lets the user record this kind (see DELETABLE) and
    can_delete_clinical (not under emergency access alone); a reason is required."""
    patient, model, patient_path, anchor, noun = _deletable(request, pk, kind)
    record = get_object_or_404(model.objects.filter(**{patient_path: patient}), pk=record_pk)
    form = DeleteReasonForm(posted(request))
    if submit(request, form, services.record_soft_delete, record=record, by=request.user):
        restore_url = reverse(
            "patients:record_restore",
            kwargs={"pk": patient.pk, "kind": kind, "record_pk": record.pk},
        )
        text = f"The {noun} is deleted."
        messages.success(request, message_with_action(request, text, restore_url))
        return _chart_at(patient, record, anchor)
    return render_form(
        request,
        form,
        title=f"Delete this {noun}: {patient.full_name}",
        patient=patient,
        submit="Delete",
        template="patients/forms/confirm_delete.html",
        record=record,
        noun=noun,
    )


@login_required
@require_POST
def record_restore(request, pk, kind, record_pk):
    """Permission: as record_delete (no emergency access); brings back what the deletion hid."""
    patient, model, patient_path, anchor, noun = _deletable(request, pk, kind)
    record = get_object_or_404(
        model.all_objects.filter(**{patient_path: patient}, deleted_at__isnull=False),
        pk=record_pk,
    )
    services.record_restore(record=record, by=request.user)
    messages.success(request, f"The {noun} is restored.")
    return _chart_at(patient, record, anchor)
