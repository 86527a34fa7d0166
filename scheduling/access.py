"""The access getters of scheduling, paired with the list scopes in models.py."""

from django.http import Http404

from access import permissions
from providers.models import Department, HealthcareProvider
from scheduling.models import Appointment, AppointmentRequest


def _int_or_404(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError, OverflowError):
        raise Http404("Not found") from None


def get_appointment_for_user(user, pk) -> Appointment:
    """The appointment if the user may see its details (patient, reason), else 404."""
    appointment = (
        Appointment.objects.visible_to(user)
        .select_related("patient", "provider", "department", "encounter", "booked_by")
        .filter(pk=_int_or_404(pk))
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment")
    return appointment


def get_schedule_provider_for_user(user, pk) -> HealthcareProvider:
    """A provider whose schedule the user may see (their own, their department's), else 404."""
    provider = HealthcareProvider.objects.filter(pk=_int_or_404(pk)).first()
    if provider is None or not permissions.can_view_schedule_of(user, provider):
        raise Http404("No such schedule")
    return provider


def get_schedule_department_for_user(user, pk) -> Department:
    department = (
        Department.objects.select_related("organization").filter(pk=_int_or_404(pk)).first()
    )
    if department is None or not permissions.can_view_department_schedule(user, department):
        raise Http404("No such schedule")
    return department


def departments_visible_to(user):
    """The departments whose schedules the user may open (the list scope of departments)."""
    departments = Department.objects.select_related("organization")
    if permissions.can_manage_appointments(user):
        return departments
    own = getattr(user, "provider", None) if permissions.is_clinician(user) else None
    if own is None or own.department_id is None:
        return departments.none()
    return departments.filter(pk=own.department_id)


def get_open_request_for_user(user, pk) -> AppointmentRequest:
    """A request in the front desk's queue; only who books sees the queue."""
    if not permissions.can_manage_appointments(user):
        raise Http404("No such request")
    appointment_request = (
        AppointmentRequest.objects.select_related("patient", "department", "provider")
        .filter(pk=_int_or_404(pk))
        .first()
    )
    if appointment_request is None:
        raise Http404("No such request")
    return appointment_request


def appointment_actions(user, appointment) -> dict:
    """What the appointment page offers this user now (flags for its buttons)."""
    Status = Appointment.Status
    manages = permissions.can_manage_appointments(user)
    booked = appointment.status == Status.BOOKED
    return {
        "reschedule": manages and booked,
        "cancel": manages and appointment.may_become(Status.CANCELLED),
        # A video visit checks in when the clinician starts it.
        "check_in": manages and appointment.may_check_in,
        "start": permissions.can_start_visit(user, appointment) and appointment.may_start,
        "chart": permissions.can_view_clinical(user, appointment.patient),
        "patient_page": manages,
    }
