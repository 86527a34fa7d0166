"""Merging a duplicate record into the one that survives, and undoing a merge."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from access import permissions
from core.documents import DocumentStoreUnavailable
from patients import merge
from patients.access import checked_patient
from patients.forms import MergeForm
from patients.models import PatientMerge
from patients.views.common import chart_url, posted, render_form, submit

STORE_DOWN = (
    "The document store is unavailable, so the notes and vaccinations cannot move; nothing "
    "was merged. Try again when it is back."
)
STORE_DOWN_FOR_UNDO = (
    "The document store is unavailable, so the notes and vaccinations cannot move back; the "
    "merge is not undone. Try again when it is back."
)


def _may_merge(user, patient) -> bool:
    return permissions.can_merge_patients(user)


@login_required
@require_http_methods(["GET", "POST"])
def patient_merge(request, pk):
    """Permission: can_merge_patients (administrators). The first POST shows what would
    move; the confirmed one merges."""
    survivor = checked_patient(
        request,
        pk,
        _may_merge,
        section="demographics",
        refusal="Only an administrator merges records.",
    )
    form = MergeForm(posted(request), survivor=survivor)
    preview = None
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["confirmed"]:
        preview = {
            "duplicate": form.duplicate,
            "rows": merge.rows_to_move(form.duplicate),
            "login_notice": merge.portal_login_notice(survivor, form.duplicate),
        }
        form = MergeForm(initial={**form.cleaned_data, "confirmed": True}, survivor=survivor)
    elif request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            _merge_service,
            store_down=STORE_DOWN,
            survivor=survivor,
            duplicate=form.duplicate,
            by=request.user,
        )
        if saved:
            messages.success(
                request,
                f"{saved.result.merged.mrn} is merged into {survivor.mrn}; its records are here.",
            )
            return redirect(chart_url(survivor))
        if saved.status == 503:
            return _merge_page(request, form, survivor, None, status=503)
    return _merge_page(request, form, survivor, preview)


def _merge_service(*, survivor, duplicate, by, reason, duplicate_mrn, confirmed):
    return merge.patient_merge(survivor=survivor, duplicate=duplicate, reason=reason, by=by)


def _merge_page(request, form, survivor, preview, *, status=200):
    return render_form(
        request,
        form,
        title=f"Merge a duplicate into {survivor.full_name} ({survivor.mrn})",
        patient=survivor,
        submit="Merge into this record" if preview else "Show what would move",
        template="patients/merge.html",
        preview=preview,
        status=status,
    )


@login_required
@require_POST
def merge_undo(request, pk, merge_pk):
    """Permission: can_merge_patients (administrators)."""
    survivor = checked_patient(
        request,
        pk,
        _may_merge,
        section="demographics",
        refusal="Only an administrator undoes a merge.",
    )
    record = get_object_or_404(PatientMerge, pk=merge_pk, survivor=survivor)
    try:
        merge.patient_merge_undo(merge=record, by=request.user)
    except DocumentStoreUnavailable:
        messages.error(request, STORE_DOWN_FOR_UNDO)
        return redirect(chart_url(survivor))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(chart_url(survivor))
    messages.success(request, f"The merge is undone: {record.merged.mrn} is its own record again.")
    return redirect(chart_url(record.merged))
