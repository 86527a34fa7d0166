"""The clinician's scheduling actions: start a visit from "My day", and their own schedule
as an iCalendar file for their calendar program. "My day" itself is on the home page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from access import permissions
from access.audit import Section, access_log_record_list
from patients.views.common import chart_url_at
from scheduling import ics, selectors, services
from scheduling.access import get_appointment_for_user

CALENDAR_DAYS = 120


@login_required
@require_POST
def start_visit(request, pk):
    """Permission: can_start_visit (the appointment's own provider); an appointment the user
    may not see answers 404, one of another provider 403."""
    appointment = get_appointment_for_user(request.user, pk)
    if not permissions.can_start_visit(request.user, appointment):
        raise PermissionDenied("Only the appointment's own provider starts the visit.")
    try:
        appointment = services.appointment_start(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, f"The visit was not started: {' '.join(error.messages)}")
        return redirect("home")
    encounter = appointment.encounter
    messages.success(
        request,
        f"Visit started: record into encounter {encounter} "
        f"({encounter.reason or appointment.get_kind_display()}).",
    )
    return redirect(chart_url_at(appointment.patient, encounter))


@login_required
@require_GET
@never_cache
def my_calendar(request):
    """Permission: can_export_own_schedule; only the signed-in provider's own appointments
    (no provider in the URL), so who has no provider row gets 403."""
    provider = getattr(request.user, "provider", None)
    if not permissions.can_export_own_schedule(request.user, provider):
        raise PermissionDenied("The calendar export is for providers' own appointments.")
    now = timezone.now()
    appointments = list(
        selectors.provider_calendar(provider, since=timezone.localdate(now), days=CALENDAR_DAYS)
    )
    # The file carries patients' names: the export is logged naming each of them.
    access_log_record_list(
        request,
        patient_ids=[appointment.patient_id for appointment in appointments],
        section=Section.EXPORT,
        detail=f"own schedule as iCalendar, {CALENDAR_DAYS} days",
    )
    body = ics.provider_calendar_ics(provider, appointments, now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"phms-schedule-{timezone.localdate(now):%Y-%m-%d}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
