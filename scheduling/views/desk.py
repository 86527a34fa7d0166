"""Schedules (day and week, per department and per provider) and the front desk's pages:
booking, rescheduling, cancelling, today's arrivals with check-in, walk-ins and the queue of
the patients' requests.

Every page has one shape: checked fetch (the getters of scheduling.access -> 404, a
predicate -> 403) -> form -> service call -> redirect with a message.
"""

from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import permissions
from access.audit import Section, access_log_record, access_log_record_list
from patients.access import get_patient_for_user
from patients.views.common import FORM_PAGE, posted, render_form
from scheduling import selectors, services
from scheduling.access import (
    appointment_actions,
    departments_visible_to,
    get_appointment_for_user,
    get_open_request_for_user,
    get_schedule_department_for_user,
    get_schedule_provider_for_user,
)
from scheduling.forms import BookingForm, ReasonForm, RescheduleForm, WalkInForm
from scheduling.models import Appointment, AppointmentRequest

PER_PAGE = 25
# Providers per page of a department's day: columns a clerk can take in at once.
PROVIDERS_PER_PAGE = 12
# How far from today a schedule may be asked for (beyond: a typo, answered with today).
FURTHEST_DAYS = 3660


# Checks and small helpers ------------------------------------------------------------------


def _schedule_reader(request) -> None:
    if not permissions.can_view_schedules(request.user):
        raise PermissionDenied("Only the front desk and clinicians use the schedules.")


def _desk(request) -> None:
    if not permissions.can_manage_appointments(request.user):
        raise PermissionDenied("Only the front desk books, moves and checks in appointments.")


def _checked_appointment(request, pk, predicate) -> Appointment:
    """The appointment if the user may see it (404) and `predicate` allows (403); logged."""
    appointment = get_appointment_for_user(request.user, pk)
    if not predicate(request.user):
        raise PermissionDenied("Appointments are handled by the front desk.")
    access_log_record(request, patient=appointment.patient, section=Section.APPOINTMENTS)
    return appointment


def _query_patient(request):
    """The patient named by `?patient=` (404 if the user may not see it), or None."""
    if not request.GET.get("patient"):
        return None
    patient = get_patient_for_user(request.user, request.GET["patient"])
    access_log_record(request, patient=patient, section=Section.APPOINTMENTS)
    return patient


def _find_patient_first(request, action: str):
    return render(request, "scheduling/find_patient.html", {"action": action})


def requested_day(request) -> tuple[date, str]:
    """The day of `?date=YYYY-MM-DD` (today when absent) and what was wrong with it."""
    today = timezone.localdate()
    raw = request.GET.get("date", "").strip()
    if not raw:
        return today, ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return today, f"“{raw[:20]}” is not a date (write it as YYYY-MM-DD). Showing today."
    if abs((day - today).days) > FURTHEST_DAYS:
        return today, f"{day:%Y-%m-%d} is too far away for the schedule. Showing today."
    return day, ""


def _submit(request, form, service, **arguments):
    """On a valid POST, the service's result; a refusal lands on the form (None then)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return service(**arguments, **form.service_arguments())
    except ValidationError as error:
        form.refuse(error)
        return None


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%A %Y-%m-%d %H:%M}"


def day_label(day: date) -> str:
    """A day as the schedules head it: the weekday, then the date as everywhere else."""
    return f"{day:%A} {day:%Y-%m-%d}"


def _appointment_url(appointment) -> str:
    return reverse("scheduling:appointment", kwargs={"pk": appointment.pk})


def _paged(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


# Schedules ---------------------------------------------------------------------------------


@login_required
@require_GET
def index(request):
    """Permission: can_view_schedules (front desk, administrators: every department;
    clinicians: their own schedule and their department's)."""
    _schedule_reader(request)
    day, date_error = requested_day(request)
    own = (
        getattr(request.user, "provider", None) if permissions.is_clinician(request.user) else None
    )
    manages = permissions.can_manage_appointments(request.user)
    context = {
        "day": day,
        "day_label": day_label(day),
        "date_error": date_error,
        "own": own,
        "departments": departments_visible_to(request.user).order_by("name", "pk"),
        "manages": manages,
        "open_requests": selectors.open_requests().count() if manages else 0,
    }
    return render(request, "scheduling/index.html", context)


def _day_page(request, *, title, here, week_url, department=None, provider=None):
    day, date_error = requested_day(request)
    schedule = selectors.day_schedule(
        user=request.user,
        day=day,
        department=department,
        provider=provider,
        page=request.GET.get("page"),
        per_page=PROVIDERS_PER_PAGE if provider is None else None,
    )
    access_log_record_list(
        request,
        patient_ids=selectors.patient_ids_shown(schedule),
        section=Section.SCHEDULE,
        detail=f"day schedule: {title}"[:200],
    )
    patient = request.GET.get("patient", "")
    context = {
        "title": title,
        "schedule": schedule,
        "day_label": day_label(day),
        "here": here,
        "week_url": week_url,
        "date_error": date_error,
        "today": timezone.localdate(),
        "now": timezone.now(),
        "department": department,
        "single": provider is not None,
        "can_book": permissions.can_manage_appointments(request.user),
        "patient_query": f"&patient={patient}" if patient.isdigit() else "",
        "pages_query": f"date={day:%Y-%m-%d}"
        + (f"&patient={patient}" if patient.isdigit() else ""),
    }
    template = "scheduling/partials/day_body.html" if request.htmx else "scheduling/day.html"
    return render(request, template, context)


def _week_page(request, *, title, here, day_url, department=None, provider=None):
    day, date_error = requested_day(request)
    week = selectors.week_schedule(start=day, department=department, provider=provider)
    context = {
        "title": title,
        "week": week,
        "week_label": day_label(week.start),
        "week_days": [(day, f"{day:%a} {day:%Y-%m-%d}") for day in week.days],
        "here": here,
        "day_url": day_url,
        "date_error": date_error,
        "today": timezone.localdate(),
    }
    template = "scheduling/partials/week_body.html" if request.htmx else "scheduling/week.html"
    return render(request, template, context)


@login_required
@require_GET
def department_day(request, pk):
    """Permission: can_view_schedules (403), then get_schedule_department_for_user (404)."""
    _schedule_reader(request)
    department = get_schedule_department_for_user(request.user, pk)
    return _day_page(
        request,
        title=f"{department.name} · {department.organization.name}",
        here=reverse("scheduling:department_day", kwargs={"pk": department.pk}),
        week_url=reverse("scheduling:department_week", kwargs={"pk": department.pk}),
        department=department,
    )


@login_required
@require_GET
def provider_day(request, pk):
    """Permission: can_view_schedules (403), then get_schedule_provider_for_user (404)."""
    _schedule_reader(request)
    provider = get_schedule_provider_for_user(request.user, pk)
    return _day_page(
        request,
        title=provider.display_name,
        here=reverse("scheduling:provider_day", kwargs={"pk": provider.pk}),
        week_url=reverse("scheduling:provider_week", kwargs={"pk": provider.pk}),
        provider=provider,
    )


@login_required
@require_GET
def department_week(request, pk):
    """Permission: can_view_schedules (403), then get_schedule_department_for_user (404)."""
    _schedule_reader(request)
    department = get_schedule_department_for_user(request.user, pk)
    return _week_page(
        request,
        title=f"{department.name} · {department.organization.name}",
        here=reverse("scheduling:department_week", kwargs={"pk": department.pk}),
        day_url=reverse("scheduling:department_day", kwargs={"pk": department.pk}),
        department=department,
    )


@login_required
@require_GET
def provider_week(request, pk):
    """Permission: can_view_schedules (403), then get_schedule_provider_for_user (404)."""
    _schedule_reader(request)
    provider = get_schedule_provider_for_user(request.user, pk)
    return _week_page(
        request,
        title=provider.display_name,
        here=reverse("scheduling:provider_week", kwargs={"pk": provider.pk}),
        day_url=reverse("scheduling:provider_day", kwargs={"pk": provider.pk}),
        provider=provider,
    )


# Booking -----------------------------------------------------------------------------------


def _portal_request(request, patient):
    """The open request of `?request=` (404 unless it is this patient's), or None."""
    if not request.GET.get("request"):
        return None
    wish = get_open_request_for_user(request.user, request.GET["request"])
    if wish.patient_id != patient.pk:
        raise Http404("No such request")
    if wish.status != AppointmentRequest.Status.OPEN:
        messages.info(request, f"This request is already {wish.get_status_display().lower()}.")
        return None
    return wish


def _booking_initial(request, wish) -> dict:
    """Prefill: today, the patient's request, then what the link (or the htmx refresh) names."""
    initial = {"day": timezone.localdate()}
    if wish is not None:
        initial = {
            "reason": wish.reason,
            "department": wish.department_id,
            "provider": wish.provider_id,
            "mode": wish.mode,
            "day": max(wish.earliest_on, timezone.localdate()),
        }
    start = request.GET.get("start", "")
    if start:
        try:
            moment = timezone.localtime(datetime.fromisoformat(start))
        except (ValueError, OverflowError):
            messages.warning(request, "The time in the link was not understood: choose one.")
        else:
            initial.update({"day": moment.date(), "time": f"{moment:%H:%M}"})
    fields = [name for name in BookingForm.base_fields if request.GET.get(name)]
    initial.update({name: request.GET[name] for name in fields})
    return initial


def _slot_form_page(request, form, *, title, patient, submit, cancel):
    """The booking and rescheduling page; an htmx refresh of its times gets the fields only."""
    template = "scheduling/partials/booking_when.html" if request.htmx else "scheduling/book.html"
    return render_form(
        request, form, title=title, patient=patient, submit=submit, cancel=cancel, template=template
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request):
    """Permission: can_manage_appointments (403); the patient of `?patient=` through
    get_patient_for_user (404); `?request=` through get_open_request_for_user (404)."""
    _desk(request)
    patient = _query_patient(request)
    if patient is None:
        return _find_patient_first(request, "book an appointment")
    wish = _portal_request(request, patient)
    query = {"patient": patient.pk, **({"request": wish.pk} if wish else {})}
    slots_url = f"{reverse('scheduling:book')}?{urlencode(query)}"
    initial = _booking_initial(request, wish) if request.method == "GET" else {}
    form = BookingForm(posted(request), initial=initial, slots_url=slots_url)
    appointment = _submit(
        request,
        form,
        services.appointment_book,
        patient=patient,
        by=request.user,
        appointment_request=wish,
    )
    if appointment is not None:
        messages.success(
            request,
            f"Booked: {patient.full_name} with {appointment.provider.display_name}, "
            f"{_when(appointment.starts_at)}.",
        )
        return redirect(_appointment_url(appointment))
    return _slot_form_page(
        request,
        form,
        title=f"Book an appointment: {patient.full_name}",
        patient=patient,
        submit="Book",
        cancel=patient.get_absolute_url(),
    )


# One appointment ---------------------------------------------------------------------------


@login_required
@require_GET
def appointment_detail(request, pk):
    """Permission: get_appointment_for_user (404), then can_view_schedules (403: patients
    read their appointments in the portal). The actions shown follow the user and status."""
    appointment = _checked_appointment(request, pk, permissions.can_view_schedules)
    context = {
        "appointment": appointment,
        "day_label": day_label(timezone.localtime(appointment.starts_at).date()),
        "patient": appointment.patient,
        "actions": appointment_actions(request.user, appointment),
        "history": selectors.appointment_history(appointment),
        "requests": appointment.requests.all(),
    }
    return render(request, "scheduling/appointment.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request, pk):
    """Permission: get_appointment_for_user (404), then can_manage_appointments (403)."""
    appointment = _checked_appointment(request, pk, permissions.can_manage_appointments)
    if appointment.status != Appointment.Status.BOOKED:
        messages.error(request, "Only a booked appointment can be moved.")
        return redirect(_appointment_url(appointment))
    local = timezone.localtime(appointment.starts_at)
    initial = {
        "department": appointment.department_id,
        "provider": appointment.provider_id,
        "day": local.date(),
        "time": f"{local:%H:%M}",
        "duration_minutes": appointment.duration_minutes,
    }
    initial.update({name: request.GET[name] for name in initial if request.GET.get(name)})
    here = reverse("scheduling:reschedule", kwargs={"pk": appointment.pk})
    form = RescheduleForm(posted(request), initial=initial, slots_url=here)
    moved = _submit(
        request, form, services.appointment_reschedule, appointment=appointment, by=request.user
    )
    if moved is not None:
        messages.success(
            request,
            f"Moved: {moved.patient.full_name} with {moved.provider.display_name}, "
            f"{_when(moved.starts_at)}.",
        )
        return redirect(_appointment_url(moved))
    return _slot_form_page(
        request,
        form,
        title=f"Move the appointment of {appointment.patient.full_name}",
        patient=appointment.patient,
        submit="Move",
        cancel=_appointment_url(appointment),
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, pk):
    """Permission: get_appointment_for_user (404), then can_manage_appointments (403)."""
    appointment = _checked_appointment(request, pk, permissions.can_manage_appointments)
    form = ReasonForm(posted(request))
    cancelled = _submit(
        request, form, services.appointment_cancel, appointment=appointment, by=request.user
    )
    if cancelled is not None:
        messages.success(
            request,
            f"Cancelled: {appointment.patient.full_name} with "
            f"{appointment.provider.display_name}, {_when(appointment.starts_at)}. "
            "The time is free again.",
        )
        return redirect(_appointment_url(appointment))
    return render_form(
        request,
        form,
        title=f"Cancel the appointment of {_when(appointment.starts_at)}",
        patient=appointment.patient,
        submit="Cancel the appointment",
        cancel=_appointment_url(appointment),
        template="scheduling/cancel.html",
        appointment=appointment,
    )


@login_required
@require_POST
def check_in(request, pk):
    """Permission: get_appointment_for_user (404), then can_manage_appointments (403)."""
    appointment = _checked_appointment(request, pk, permissions.can_manage_appointments)
    try:
        services.appointment_check_in(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{appointment.patient.full_name} is checked in; "
            f"{appointment.provider.display_name} sees them now.",
        )
    department = request.POST.get("department", "")
    query = f"?department={department}" if department.isdigit() else ""
    return redirect(reverse("scheduling:arrivals") + query)


# Arrivals and walk-ins ---------------------------------------------------------------------


@login_required
@require_GET
def arrivals(request):
    """Permission: can_manage_appointments (403); `?department=` through
    get_schedule_department_for_user (404)."""
    _desk(request)
    department = None
    if request.GET.get("department"):
        department = get_schedule_department_for_user(request.user, request.GET["department"])
    page = _paged(request, selectors.arrivals_today(department=department))
    access_log_record_list(
        request,
        patient_ids=[appointment.patient_id for appointment in page],
        section=Section.APPOINTMENTS,
        detail="today's arrivals",
    )
    context = {
        "page": page,
        "department": department,
        "departments": departments_visible_to(request.user).order_by("name", "pk"),
        "today_label": day_label(timezone.localdate()),
        "query": f"department={department.pk}" if department else "",
        "Status": Appointment.Status,
    }
    return render(request, "scheduling/arrivals.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def walk_in(request):
    """Permission: can_manage_appointments (403); the patient of `?patient=` through
    get_patient_for_user (404)."""
    _desk(request)
    patient = _query_patient(request)
    if patient is None:
        return _find_patient_first(request, "check in a walk-in patient")
    form = WalkInForm(posted(request))
    appointment = _submit(
        request, form, services.walk_in_check_in, patient=patient, by=request.user
    )
    if appointment is not None:
        messages.success(
            request,
            f"{patient.full_name} is checked in as a walk-in; "
            f"{appointment.provider.display_name} sees them now.",
        )
        return redirect("scheduling:arrivals")
    return render_form(
        request,
        form,
        title=f"Walk-in check-in: {patient.full_name}",
        patient=patient,
        submit="Check in now",
        cancel=reverse("scheduling:arrivals"),
    )


# The patients' requests --------------------------------------------------------------------


@login_required
@require_GET
def request_queue(request):
    """Permission: can_manage_appointments (403)."""
    _desk(request)
    page = _paged(request, selectors.open_requests().order_by("requested_at", "pk"))
    access_log_record_list(
        request,
        patient_ids=[wish.patient_id for wish in page],
        section=Section.APPOINTMENTS,
        detail="appointment requests",
    )
    return render(request, "scheduling/request_queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def request_decline(request, request_pk):
    """Permission: get_open_request_for_user (404 to everyone but the front desk and
    administrators)."""
    wish = get_open_request_for_user(request.user, request_pk)
    access_log_record(request, patient=wish.patient, section=Section.APPOINTMENTS)
    if wish.status != AppointmentRequest.Status.OPEN:
        messages.info(request, f"This request is already {wish.get_status_display().lower()}.")
        return redirect("scheduling:request_queue")
    form = ReasonForm(posted(request))
    declined = _submit(
        request,
        form,
        services.appointment_request_decline,
        appointment_request=wish,
        by=request.user,
    )
    if declined is not None:
        messages.success(
            request,
            f"The request of {wish.patient.full_name} is declined; they see why in the portal.",
        )
        return redirect("scheduling:request_queue")
    return render_form(
        request,
        form,
        title=f"Decline the request of {wish.patient.full_name}",
        patient=wish.patient,
        submit="Decline the request",
        cancel=reverse("scheduling:request_queue"),
        template=FORM_PAGE,
        wish=wish,
    )
