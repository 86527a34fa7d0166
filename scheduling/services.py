"""Writes of scheduling: booking, rescheduling, cancelling, check-in, visits, no-shows,
working hours and the patients' requests. Each is atomic and keeps history."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import services as patient_services
from patients.models import CareAssignment, Encounter
from providers.models import HealthcareProvider, ProviderKind
from scheduling.models import (
    Appointment,
    AppointmentRequest,
    ScheduleException,
    WorkingHours,
)

Status = Appointment.Status

# The class of encounter a check-in opens, by appointment type (video visits are virtual).
ENCOUNTER_CLASS_OF_KIND = {
    Appointment.Kind.NEW_PATIENT: Encounter.EncounterClass.AMBULATORY,
    Appointment.Kind.FOLLOW_UP: Encounter.EncounterClass.AMBULATORY,
    Appointment.Kind.CHECKUP: Encounter.EncounterClass.WELLNESS,
    Appointment.Kind.URGENT: Encounter.EncounterClass.URGENT_CARE,
    Appointment.Kind.NURSING: Encounter.EncounterClass.NURSING,
}
# A booking may start this long ago (a clerk finishing the form as the slot begins).
BOOKING_PAST_TOLERANCE = timedelta(minutes=5)
WALK_IN_MINUTES = 15
REASON_MAX_LENGTH = 200


def _stamp(instance, by):
    if by is not None:
        instance._history_user = by
    return instance


def _save_validated(instance, by):
    instance.full_clean()
    _stamp(instance, by).save()
    return instance


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _when(moment: datetime) -> str:
    return f"{_local(moment):%a %Y-%m-%d %H:%M}"


def _lock_provider(provider) -> None:
    """Serialize bookings per provider: two clerks booking the same provider at the same
    instant wait for each other here, so the overlap check sees the other's row."""
    HealthcareProvider.all_objects.select_for_update().filter(pk=provider.pk).first()


def _refuse_transition(appointment, status) -> None:
    if not appointment.may_become(status):
        raise ValidationError(
            f"An appointment that is {appointment.get_status_display().lower()} cannot become "
            f"{Status(status).label.lower()}."
        )


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason for {what}."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    return reason


# Working hours ---------------------------------------------------------------------------


def _block_for(provider, department, starts_at, ends_at):
    """The working-hours block that holds [starts_at, ends_at) for this provider, or None."""
    local_start, local_end = _local(starts_at), _local(ends_at)
    if local_start.date() != (local_end - timedelta(microseconds=1)).date():
        return None
    day = local_start.date()
    blocks = WorkingHours.objects.filter(
        provider=provider, department=department, weekday=day.weekday()
    )
    for block in blocks:
        if not block.applies_on(day):
            continue
        if block.starts_at <= local_start.time() and local_end.time() <= block.ends_at:
            return block
    return None


def booking_refusal(*, provider, department, starts_at, duration_minutes) -> str:
    """Why this time cannot be booked with this provider ('' when it can)."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    block = _block_for(provider, department, starts_at, ends_at)
    if block is None:
        return (
            f"{provider.display_name} does not work in {department} at {_when(starts_at)} "
            f"for {duration_minutes} minutes. Choose a time within their working hours."
        )
    start_minutes = _local(starts_at).hour * 60 + _local(starts_at).minute
    block_minutes = block.starts_at.hour * 60 + block.starts_at.minute
    on_grid = (start_minutes - block_minutes) % block.slot_minutes == 0 and not (
        _local(starts_at).second or _local(starts_at).microsecond
    )
    if not on_grid:
        return (
            f"Appointments with {provider.display_name} start every {block.slot_minutes} "
            f"minutes from {block.starts_at:%H:%M}. Choose one of those times."
        )
    leave = (
        ScheduleException.objects.filter(provider=provider)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .first()
    )
    if leave is not None:
        return (
            f"{provider.display_name} is away then ({leave.get_kind_display().lower()} "
            f"{_when(leave.starts_at)} to {_when(leave.ends_at)})."
        )
    return ""


def _overlap_refusal(*, provider, patient, starts_at, ends_at, exclude_pk=None) -> str:
    taken = Appointment.objects.active().overlapping(starts_at, ends_at)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    clash = taken.filter(provider=provider).first()
    if clash is not None:
        return (
            f"{provider.display_name} already has an appointment from "
            f"{_local(clash.starts_at):%H:%M} to {_local(clash.ends_at):%H:%M}. "
            "Choose another time."
        )
    clash = taken.filter(patient=patient).select_related("provider").first()
    if clash is not None:
        return (
            f"{patient.full_name} already has an appointment with "
            f"{clash.provider.display_name} at {_when(clash.starts_at)}."
        )
    return ""


@transaction.atomic
def working_hours_create(*, provider, department, by, **fields) -> WorkingHours:
    """Add a block to a provider's weekly template; blocks of one weekday never overlap."""
    _lock_provider(provider)
    return _save_validated(WorkingHours(provider=provider, department=department, **fields), by)


@transaction.atomic
def schedule_exception_create(*, provider, by, **fields) -> ScheduleException:
    """Leave: the provider cannot be booked then. Appointments already booked stay, and the
    front desk sees them to move them."""
    return _save_validated(ScheduleException(provider=provider, **fields), by)


# Booking -----------------------------------------------------------------------------------


def _slot_minutes(provider, department, starts_at) -> int:
    block = _block_for(provider, department, starts_at, starts_at + timedelta(minutes=5))
    return block.slot_minutes if block is not None else 15


def _check_bookable(appointment, *, now=None) -> None:
    now = now or timezone.now()
    if appointment.starts_at < now - BOOKING_PAST_TOLERANCE:
        raise ValidationError({"starts_at": "An appointment cannot start in the past."})
    refusal = booking_refusal(
        provider=appointment.provider,
        department=appointment.department,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
    )
    if refusal:
        raise ValidationError({"starts_at": refusal})
    if appointment.is_video and not appointment.meeting_link:
        raise ValidationError(
            {"meeting_link": "A video visit needs the meeting link the patient and clinician join."}
        )


@transaction.atomic
def appointment_book(
    *,
    patient,
    provider,
    department,
    starts_at,
    by,
    duration_minutes=None,
    kind=Appointment.Kind.FOLLOW_UP,
    mode=Appointment.Mode.IN_PERSON,
    reason: str = "",
    meeting_link: str = "",
    appointment_request=None,
) -> Appointment:
    """Book a patient with a provider inside the provider's working hours, never over
    another appointment of the provider or of the patient."""
    _lock_provider(provider)
    appointment = Appointment(
        patient=patient,
        provider=provider,
        department=department,
        starts_at=starts_at,
        duration_minutes=duration_minutes or _slot_minutes(provider, department, starts_at),
        kind=kind,
        mode=mode,
        reason=reason,
        meeting_link=meeting_link,
        booked_by=by,
    )
    appointment.full_clean()
    _check_bookable(appointment)
    overlap = _overlap_refusal(
        provider=provider, patient=patient, starts_at=starts_at, ends_at=appointment.ends_at
    )
    if overlap:
        raise ValidationError({"starts_at": overlap})
    _save_validated(appointment, by)
    if appointment_request is not None:
        _request_handled(appointment_request, by, AppointmentRequest.Status.BOOKED, appointment)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, appointment, by, starts_at, provider=None, department=None, duration_minutes=None
) -> Appointment:
    """Move a booked appointment to another time (and provider); the same rules as booking."""
    _refuse_transition_from_booked(appointment, "rescheduled")
    provider = provider or appointment.provider
    _lock_provider(provider)
    appointment.provider = provider
    appointment.department = department or appointment.department
    appointment.starts_at = starts_at
    appointment.duration_minutes = duration_minutes or appointment.duration_minutes
    appointment.full_clean()
    _check_bookable(appointment)
    overlap = _overlap_refusal(
        provider=provider,
        patient=appointment.patient,
        starts_at=starts_at,
        ends_at=appointment.ends_at,
        exclude_pk=appointment.pk,
    )
    if overlap:
        raise ValidationError({"starts_at": overlap})
    return _save_validated(appointment, by)


def _refuse_transition_from_booked(appointment, what: str) -> None:
    if appointment.status != Status.BOOKED:
        raise ValidationError(
            f"Only a booked appointment can be {what}; this one is "
            f"{appointment.get_status_display().lower()}."
        )


@transaction.atomic
def appointment_cancel(*, appointment, by, reason: str) -> Appointment:
    """Cancel with a reason; the time is free again and the appointment grants nothing."""
    reason = _require_reason(reason, "the cancellation")
    _refuse_transition(appointment, Status.CANCELLED)
    appointment.status = Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = by
    appointment.cancel_reason = reason
    return _save_validated(appointment, by)


def patient_cancel_refusal(appointment, *, now=None) -> str:
    """Why a patient may not cancel this appointment in the portal ('' when they may)."""
    now = now or timezone.now()
    if appointment.status != Status.BOOKED:
        return f"This appointment is {appointment.get_status_display().lower()}."
    hours = settings.APPOINTMENT_CANCEL_NOTICE_HOURS
    if appointment.starts_at - now < timedelta(hours=hours):
        return (
            f"Appointments can be cancelled here up to {hours} hours before they start. "
            "Please call the front desk."
        )
    return ""


@transaction.atomic
def appointment_cancel_by_patient(*, appointment, by, reason: str = "") -> Appointment:
    refusal = patient_cancel_refusal(appointment)
    if refusal:
        raise ValidationError(refusal)
    note = (reason or "").strip()[: REASON_MAX_LENGTH - 40]
    return appointment_cancel(
        appointment=appointment,
        by=by,
        reason=f"Cancelled by the patient in the portal{': ' + note if note else '.'}",
    )


# Arrival and the visit ---------------------------------------------------------------------


def _care_role_of(provider) -> str:
    if provider.kind == ProviderKind.NURSE:
        return CareAssignment.Role.NURSING
    return CareAssignment.Role.ATTENDING


def _open_visit(appointment, by) -> None:
    """Open the encounter and put the appointment's provider on its care team: from now on
    the provider sees the patient's chart."""
    encounter_class = (
        Encounter.EncounterClass.VIRTUAL
        if appointment.is_video
        else ENCOUNTER_CLASS_OF_KIND[Appointment.Kind(appointment.kind)]
    )
    # The appointment decides the class (a nurse's video visit is virtual), so the opener's
    # own class limits do not apply; the request still records who acted.
    encounter = patient_services.encounter_open(
        patient=appointment.patient,
        by=None,
        encounter_class=encounter_class,
        reason=appointment.reason or appointment.get_kind_display(),
        organization=appointment.department.organization,
    )
    # The appointment is what authorizes the assignment, whoever checks the patient in.
    patient_services.care_assignment_create(
        encounter=encounter, provider=appointment.provider, role=_care_role_of(appointment.provider)
    )
    appointment.encounter = encounter
    appointment.arrived_at = timezone.now()


@transaction.atomic
def appointment_check_in(*, appointment, by) -> Appointment:
    """The patient is here: the appointment is arrived, the visit's encounter is open and the
    provider is on the care team. A video visit checks in when the clinician starts it."""
    if appointment.is_video:
        raise ValidationError("A video visit is checked in when the clinician starts it.")
    _refuse_transition(appointment, Status.ARRIVED)
    _open_visit(appointment, by)
    appointment.status = Status.ARRIVED
    return _save_validated(appointment, by)


@transaction.atomic
def walk_in_check_in(
    *, patient, provider, department, by, kind=Appointment.Kind.URGENT, reason: str = ""
) -> Appointment:
    """A patient without an appointment: checked in now with the provider chosen at the desk.
    A walk-in does not hold a slot; it joins the provider's list of arrived patients."""
    appointment = Appointment(
        patient=patient,
        provider=provider,
        department=department,
        starts_at=timezone.now().replace(microsecond=0),
        duration_minutes=WALK_IN_MINUTES,
        kind=kind,
        reason=reason,
        walk_in=True,
        booked_by=by,
        status=Status.ARRIVED,
    )
    appointment.full_clean()
    _open_visit(appointment, by)
    return _save_validated(appointment, by)


@transaction.atomic
def appointment_start(*, appointment, by) -> Appointment:
    """The clinician starts the visit; a video visit is checked in at this moment."""
    _refuse_transition(appointment, Status.IN_PROGRESS)
    if appointment.status == Status.BOOKED:
        if not appointment.is_video:
            raise ValidationError("The patient has not been checked in yet.")
        _open_visit(appointment, by)
    appointment.status = Status.IN_PROGRESS
    appointment.started_at = timezone.now()
    return _save_validated(appointment, by)


def appointment_complete_for_encounter(*, encounter, by) -> int:
    """Finishing an encounter completes the appointments it was opened for."""
    now = timezone.now()
    completed = 0
    rows = Appointment.objects.filter(
        encounter=encounter, status__in=(Status.ARRIVED, Status.IN_PROGRESS)
    )
    for appointment in rows:
        appointment.status = Status.COMPLETED
        appointment.completed_at = now
        _save_validated(appointment, by)
        completed += 1
    return completed


def appointments_mark_no_shows(*, now=None, grace_minutes=None) -> int:
    """Booked appointments whose start is past the grace period and nobody checked in."""
    now = now or timezone.now()
    grace = timedelta(minutes=grace_minutes or settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES)
    marked = 0
    late = Appointment.objects.filter(status=Status.BOOKED, starts_at__lt=now - grace)
    for appointment in late.iterator(chunk_size=500):
        with transaction.atomic():
            # Read again under a lock: a check-in in the meantime wins.
            appointment = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
            if appointment is None or appointment.status != Status.BOOKED:
                continue
            appointment.status = Status.NO_SHOW
            _save_validated(appointment, None)
            marked += 1
    return marked


# Requests from the portal ------------------------------------------------------------------


@transaction.atomic
def appointment_request_create(*, patient, by, **fields) -> AppointmentRequest:
    fields["reason"] = _require_reason(fields.get("reason", ""), "the appointment")
    if fields.get("earliest_on") and fields["earliest_on"] < timezone.localdate():
        raise ValidationError({"earliest_on": "Choose today or a later day."})
    return _save_validated(AppointmentRequest(patient=patient, requested_by=by, **fields), by)


def _request_handled(appointment_request, by, status, appointment=None) -> None:
    if appointment_request.status != AppointmentRequest.Status.OPEN:
        raise ValidationError(
            f"This request is already {appointment_request.get_status_display().lower()}."
        )
    appointment_request.status = status
    appointment_request.handled_by = by
    appointment_request.handled_at = timezone.now()
    appointment_request.appointment = appointment
    _save_validated(appointment_request, by)


@transaction.atomic
def appointment_request_decline(*, appointment_request, by, reason: str) -> AppointmentRequest:
    appointment_request.decline_reason = _require_reason(reason, "declining")
    _request_handled(appointment_request, by, AppointmentRequest.Status.DECLINED)
    return appointment_request


@transaction.atomic
def appointment_request_withdraw(*, appointment_request, by) -> AppointmentRequest:
    _request_handled(appointment_request, by, AppointmentRequest.Status.WITHDRAWN)
    return appointment_request
