"""The patient chart, on screen and print-friendly."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from access import permissions
from access.audit import Section, access_log_record
from core import documents
from patients.access import get_patient_for_user
from patients.chart_cache import cached_chart_sections
from patients.notes import notes_for_patient
from patients.selectors import (
    merged_into_pk,
    merges_into,
    patient_banner,
    patient_change_history,
    patient_chart,
    requested_encounters_page,
)
from patients.vaccinations import vaccinations_for_patient
from patients.vitals_chart import vitals_trend_svg

SCREEN = ("patients/chart.html", "patients/partials/chart_sections.html")
PRINT = ("patients/chart_print.html", "patients/partials/chart_print_sections.html")


@login_required
@require_GET
def chart(request, pk):
    """Permission: anyone who may see the patient, sections by role (front desk: demographics)."""
    page = requested_encounters_page(request.GET.get("encounters_page"))
    return _render_chart(
        request, pk, SCREEN, logged_as=Section.CHART, with_actions=True, encounters_page=page
    )


@login_required
@require_GET
def chart_print(request, pk):
    """Permission: as the chart. Every encounter, on one page."""
    return _render_chart(request, pk, PRINT, logged_as=Section.PRINT, encounters_page=None)


def _render_chart(request, pk, templates, *, logged_as, encounters_page, with_actions=False):
    """`encounters_page`: the timeline page asked for (requested_encounters_page), None: all."""
    user = request.user
    try:
        patient = get_patient_for_user(user, pk)
    except Http404:
        survivor = _survivor_of_merged(user, pk)
        if survivor is not None:
            messages.info(request, "That record was merged into this one.")
            return redirect(survivor)
        if permissions.can_break_glass(user):
            context = {"patient_pk": pk, "offer_break_glass": True}
            return render(request, "patients/not_found.html", context, status=404)
        raise
    if not (permissions.can_use_patient_directory(user) or permissions.can_use_billing(user)):
        raise PermissionDenied  # a patient reads their own record in the portal
    show = {
        "demographics": permissions.can_view_demographics(user, patient),
        "clinical": permissions.can_view_clinical(user, patient),
    }
    actions = permissions.recording_actions(user, patient) if with_actions else {}
    # One row per page view: the chart (or its print) covers notes and vaccinations too.
    section = logged_as if show["clinical"] else Section.DEMOGRAPHICS
    access_log_record(request, patient=patient, section=section)
    page_template, sections_template = templates
    variant = (
        sections_template
        if encounters_page is None
        else f"{sections_template}#page{encounters_page}"
    )
    sections = cached_chart_sections(
        patient,
        variant=variant,
        flags={**show, **{f"may_record_{kind}": allowed for kind, allowed in actions.items()}},
        render=lambda: _render_sections(sections_template, patient, show, actions, encounters_page),
    )
    context = {
        "patient": patient,
        "banner": patient_banner(patient),
        "show": show,
        "actions": actions,
        "sections": sections,
        "merges": merges_into(patient) if show["demographics"] else [],
        "may_merge": permissions.can_merge_patients(user),
        "may_register": permissions.can_edit_demographics(user, patient),
    }
    return render(request, page_template, context)


def _survivor_of_merged(user, pk):
    """The record a merged one now lives in, if the user may see it; else None (the merged
    record stays a 404, and says nothing about where it went)."""
    survivor_pk = merged_into_pk(pk)
    if survivor_pk is None:
        return None
    try:
        return get_patient_for_user(user, survivor_pk)
    except Http404:
        return None


def _render_sections(template_name, patient, show, actions, encounters_page) -> tuple[str, bool]:
    """The chart's sections and whether they may be cached: not while a store is down, nor
    under a page number that showed another page (out of range), so only real pages are kept."""
    if encounters_page is None:
        chart = patient_chart(patient, per_page=None)
    else:
        chart = patient_chart(patient, encounters_page=encounters_page)
    context = {"patient": patient, "show": show, "actions": actions, "chart": chart}
    if show["clinical"]:
        context.update(_documents_for(patient))
        context["vitals_svg"] = vitals_trend_svg(context["chart"].vitals_oldest_first)
        context["history"] = patient_change_history(patient)
        context["amended_notes"] = [note for note in context["notes"] if note["amendments"]]
    shown_as_asked = encounters_page in (None, chart.encounters_page.number)
    cacheable = shown_as_asked and not context.get("documents_down", False)
    return render_to_string(template_name, context), cacheable


def _documents_for(patient) -> dict:
    """Notes and vaccinations from the document store; the page says so when it is down."""
    try:
        return {
            "notes": notes_for_patient(patient.pk, limit=50),
            "vaccinations": vaccinations_for_patient(patient.pk),
            "documents_down": False,
        }
    except documents.DocumentStoreUnavailable:
        return {"notes": [], "vaccinations": [], "documents_down": True}
