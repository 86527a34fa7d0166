"""The patient's portal pages. Every page reads the one record `portal_patient_for_user`
chose, logs that read, and looks up any id in the URL inside that record only (404)."""

import functools

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.audit import Section, access_log_record
from core.documents import DocumentStoreUnavailable
from patients.chart_cache import cached_chart_sections
from patients.models import EmergencyContact
from patients.notes import note_get
from patients.vaccinations import vaccinations_for_patient
from patients.views.common import posted, submit
from portal import selectors, services
from portal.access import portal_patient_for_user, portal_record_select
from portal.forms import (
    CHANGE_FORMS,
    AppointmentCancelForm,
    AppointmentRequestForm,
    ContactRemoveForm,
    change_form_values,
)
from portal.models import ChangeRequest
from scheduling import services as scheduling_services

STORE_DOWN = (
    "Your {what} cannot be shown right now: the records store is not answering. "
    "The rest of your record is shown; try again in a few minutes."
)
PREVIOUS_VISITS = "portal_previous_visits"
HOME_RECORD_TEMPLATE = "portal/partials/home_record.html"


def _read(request, section) -> object:
    """The record this page shows, its read logged; remembers the previous visit's time."""
    patient = portal_patient_for_user(request)
    visits = request.session.get(PREVIOUS_VISITS, {})
    if str(patient.pk) not in visits:
        previous = selectors.previous_portal_visit(user=request.user, patient=patient)
        visits[str(patient.pk)] = previous.isoformat() if previous else ""
        request.session[PREVIOUS_VISITS] = visits
    access_log_record(request, patient=patient, section=section, detail=selectors.PORTAL_DETAIL)
    return patient


def _previous_visit(request, patient):
    value = request.session.get(PREVIOUS_VISITS, {}).get(str(patient.pk), "")
    return parse_datetime(value) if value else None


# The portal's sections: (key, label, URL name).
NAVIGATION = (
    ("home", "Home", "portal:home"),
    ("appointments", "Appointments", "portal:appointments"),
    ("visits", "Visits", "portal:visits"),
    ("results", "Results", "portal:results"),
    ("medications", "Medications", "portal:medications"),
    ("vaccinations", "Vaccinations", "portal:vaccinations"),
    ("notes", "Notes", "portal:notes"),
    ("bills", "Bills", "portal:bills"),
    ("access_log", "Who looked", "portal:access_log"),
    ("details", "My details", "portal:details"),
    ("print", "Print", "portal:print"),
    ("password", "Password", "portal:password_change"),
)


@functools.cache
def _navigation() -> tuple[tuple[str, str, str], ...]:
    return tuple((key, label, reverse(name)) for key, label, name in NAVIGATION)


def _portal_context(request, current) -> dict:
    return {
        "patient": request.portal_patient,
        "portal_records": request.portal_records,
        "portal_current": current,
        "portal_nav": _navigation(),
    }


def _render(request, template, context=None, *, current, status=200):
    context = {
        **_portal_context(request, current),
        **(context or {}),
    }
    return render(request, template, context, status=status)


def _store_down(request, template, what, current):
    """A page about one document while the document store does not answer: 503 and the notice."""
    context = {"store_down": STORE_DOWN.format(what=what)}
    return _render(request, template, context, current=current, status=503)


@login_required
@require_GET
def home(request):
    """Permission: portal users (the record chosen by portal_patient_for_user)."""
    patient = _read(request, Section.PORTAL)
    context = {
        "home": selectors.portal_home(patient, since=_previous_visit(request, patient)),
        "record": cached_chart_sections(
            patient,
            variant=HOME_RECORD_TEMPLATE,
            flags={},
            render=lambda: (
                render_to_string(HOME_RECORD_TEMPLATE, {"record": selectors.home_record(patient)}),
                True,
            ),
        ),
    }
    return _render(request, "portal/home.html", context, current="home")


@login_required
@require_POST
def switch(request):
    """Permission: portal users; only to a record in their portal scope (else 404)."""
    patient = portal_record_select(request, request.POST.get("patient", ""))
    messages.info(request, f"You are now looking at the record of {patient.full_name}.")
    return redirect("portal:home")


@login_required
@require_GET
def visits(request):
    """Permission: portal users."""
    patient = _read(request, Section.ENCOUNTERS)
    page = selectors.visits_page(patient, request.GET.get("page"))
    return _render(request, "portal/visits.html", {"page": page}, current="visits")


@login_required
@require_GET
def visit(request, encounter_pk):
    """Permission: portal users; an encounter of another record answers 404."""
    patient = _read(request, Section.ENCOUNTERS)
    encounter = selectors.visit_detail(patient, encounter_pk)
    if encounter is None:
        raise Http404("No such visit")
    context = {"encounter": encounter, "bills": encounter.bills.all()}
    try:
        context["notes"] = [
            note for note in selectors.shared_notes(patient) if note["encounter_id"] == encounter.pk
        ]
    except DocumentStoreUnavailable:
        context["notes_down"] = STORE_DOWN.format(what="notes")
    return _render(request, "portal/visit.html", context, current="visits")


@login_required
@require_GET
def results(request):
    """Permission: portal users."""
    patient = _read(request, Section.RESULTS)
    tests = selectors.results_by_test(patient)
    return _render(request, "portal/results.html", {"tests": tests}, current="results")


@login_required
@require_GET
def medications(request):
    """Permission: portal users."""
    patient = _read(request, Section.MEDICATIONS)
    context = {
        "current": selectors.medication_list(patient),
        "page": selectors.medications_page(patient, request.GET.get("page")),
    }
    return _render(request, "portal/medications.html", context, current="medications")


@login_required
@require_GET
def vaccinations(request):
    """Permission: portal users. A printable immunization record."""
    patient = _read(request, Section.VACCINATIONS)
    context = {"today": timezone.localdate()}
    try:
        context["events"] = vaccinations_for_patient(patient.pk)
    except DocumentStoreUnavailable:
        context["store_down"] = STORE_DOWN.format(what="vaccinations")
    return _render(request, "portal/vaccinations.html", context, current="vaccinations")


@login_required
@require_GET
def vaccination(request, event_id):
    """Permission: portal users; a vaccination of another record answers 404."""
    patient = _read(request, Section.VACCINATIONS)
    try:
        events = vaccinations_for_patient(patient.pk)
    except DocumentStoreUnavailable:
        return _store_down(request, "portal/vaccination.html", "vaccination", "vaccinations")
    event = next((e for e in events if e["id"] == str(event_id)), None)
    if event is None:
        raise Http404("No such vaccination")
    return _render(request, "portal/vaccination.html", {"event": event}, current="vaccinations")


@login_required
@require_GET
def notes(request):
    """Permission: portal users; notes the author kept out of the portal are not listed."""
    patient = _read(request, Section.NOTES)
    context = {}
    try:
        shared = selectors.shared_notes(patient)
    except DocumentStoreUnavailable:
        context["store_down"] = STORE_DOWN.format(what="notes")
    else:
        context["page"] = selectors.paged(shared, request.GET.get("page"), selectors.NOTES_PER_PAGE)
    return _render(request, "portal/notes.html", context, current="notes")


@login_required
@require_GET
def note(request, note_id):
    """Permission: portal users; another record's note, or one not shared, answers 404."""
    patient = _read(request, Section.NOTES)
    try:
        found = note_get(patient.pk, note_id)
    except DocumentStoreUnavailable:
        return _store_down(request, "portal/note.html", "note", "notes")
    if found is None or not found["shared_in_portal"]:
        raise Http404("No such note")
    context = {"note": found, "encounter": selectors.note_encounter(patient, found)}
    return _render(request, "portal/note.html", context, current="notes")


@login_required
@require_GET
def bills(request):
    """Permission: portal users."""
    patient = _read(request, Section.BILLS)
    page = selectors.bills_page(patient, request.GET.get("page"))
    return _render(request, "portal/bills.html", {"page": page}, current="bills")


@login_required
@require_GET
def bill(request, bill_pk):
    """Permission: portal users; a bill of another record answers 404."""
    patient = _read(request, Section.BILLS)
    found = selectors.bill_detail(patient, bill_pk)
    if found is None:
        raise Http404("No such bill")
    return _render(request, "portal/bill.html", {"bill": found}, current="bills")


@login_required
@require_GET
def access_log(request):
    """Permission: portal users. Who looked at this record, newest first."""
    patient = _read(request, Section.PORTAL)
    page = selectors.access_history_page(
        patient, viewer=request.user, number=request.GET.get("page")
    )
    return _render(request, "portal/access_log.html", {"page": page}, current="access_log")


@login_required
@require_GET
def print_record(request):
    """Permission: portal users. The whole summary on one print-friendly page."""
    patient = _read(request, Section.PRINT)
    context = {
        "home": selectors.home_record(patient),
        "tests": selectors.results_by_test(patient),
        "visits": selectors.visits_page(patient, 1),
        "printed_at": timezone.now(),
    }
    try:
        context["events"] = vaccinations_for_patient(patient.pk)
    except DocumentStoreUnavailable:
        context["store_down"] = STORE_DOWN.format(what="vaccinations")
    return _render(request, "portal/print.html", context, current="print")


@login_required
@require_GET
def details(request):
    """Permission: portal users. Contact details and the changes asked for."""
    patient = _read(request, Section.DEMOGRAPHICS)
    context = {
        "contacts": list(EmergencyContact.objects.filter(patient=patient)),
        "requests": selectors.change_requests_of(patient),
        "kinds": CHANGE_FORMS,
    }
    return _render(request, "portal/details.html", context, current="details")


@login_required
@require_http_methods(["GET", "POST"])
def change_request(request, kind):
    """Permission: portal users. The change waits for front desk; nothing is applied here."""
    if kind not in CHANGE_FORMS:
        raise Http404("No such change")
    patient = _read(request, Section.DEMOGRAPHICS)
    request_kind, form_class = CHANGE_FORMS[kind]
    data = request.POST if request.method == "POST" else None
    extra = {"patient": patient} if form_class is ContactRemoveForm else {}
    form = form_class(data, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_request_submit(
                patient=patient, by=request.user, kind=request_kind, values=change_form_values(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Your request is sent. It shows as waiting for review until the front "
                "desk has checked it.",
            )
            return redirect("portal:details")
    context = {"form": form, "title": ChangeRequest.Kind(request_kind).label}
    return _render(request, "portal/change_request.html", context, current="details")


@login_required
@require_GET
def appointments(request):
    """Permission: portal users. Upcoming and past appointments and the requests sent."""
    patient = _read(request, Section.APPOINTMENTS)
    page = selectors.appointments_page(patient)
    return _render(request, "portal/appointments.html", {"page": page}, current="appointments")


@login_required
@require_http_methods(["GET", "POST"])
def appointment_request(request):
    """Permission: portal users. The request waits in the front desk's queue; nothing is
    booked here."""
    patient = _read(request, Section.APPOINTMENTS)
    form = AppointmentRequestForm(posted(request))
    sent = submit(
        request,
        form,
        scheduling_services.appointment_request_create,
        patient=patient,
        by=request.user,
    )
    if sent:
        messages.success(
            request,
            "Your request is sent to the front desk. They will book a time and it will show "
            "under your upcoming appointments.",
        )
        return redirect("portal:appointments")
    context = {"form": form, "title": "Request an appointment"}
    return _render(request, "portal/appointment_request.html", context, current="appointments")


@login_required
@require_POST
def appointment_request_withdraw(request, request_pk):
    """Permission: portal users; a request of another record answers 404."""
    patient = _read(request, Section.APPOINTMENTS)
    appointment_request = selectors.appointment_request_of(patient, request_pk)
    try:
        scheduling_services.appointment_request_withdraw(
            appointment_request=appointment_request, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your request is withdrawn.")
    return redirect("portal:appointments")


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request, appointment_pk):
    """Permission: portal users, up to the notice period before the start (after it: call the
    front desk); an appointment of another record answers 404."""
    patient = _read(request, Section.APPOINTMENTS)
    appointment = selectors.appointment_of(patient, appointment_pk)
    refusal = scheduling_services.patient_cancel_refusal(appointment)
    if refusal:
        messages.error(request, refusal)
        return redirect("portal:appointments")
    form = AppointmentCancelForm(posted(request))
    cancelled = submit(
        request,
        form,
        scheduling_services.appointment_cancel_by_patient,
        appointment=appointment,
        by=request.user,
    )
    if cancelled:
        starts = timezone.localtime(appointment.starts_at)
        messages.success(request, f"Your appointment of {starts:%Y-%m-%d %H:%M} is cancelled.")
        return redirect("portal:appointments")
    context = {"form": form, "appointment": appointment}
    return _render(request, "portal/appointment_cancel.html", context, current="appointments")


def _portal_only(view):
    """Django's auth views, behind the portal's access check (staff get 403) and its log."""

    @login_required
    def wrapped(request, *args, **kwargs):
        _read(request, Section.PORTAL)
        response = view(request, *args, **kwargs)
        if hasattr(response, "context_data"):
            response.context_data.update(_portal_context(request, "password"))
        return response

    return wrapped


password_change = _portal_only(
    auth_views.PasswordChangeView.as_view(
        template_name="portal/password_change.html",
        success_url=reverse_lazy("portal:password_done"),
    )
)
password_done = require_GET(
    _portal_only(
        auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_done.html")
    )
)
