"""Reads of scheduling: day and week schedules, today's arrivals, "My day", a patient's
upcoming appointments and the request queue. Each runs a fixed number of queries, however
many providers and appointments a day holds."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from access import permissions
from providers.models import Department, HealthcareProvider
from scheduling.models import Appointment, AppointmentRequest, ScheduleException, WorkingHours

Status = Appointment.Status
# A day schedule reads only these: thousands of appointments a day make every column count.
APPOINTMENT_FIELDS = [field.name for field in Appointment._meta.concrete_fields]
SCHEDULE_PATIENT_FIELDS = ("first_name", "last_name", "mrn")
SHOWN_STATUSES = [status for status in Status.values if status != Status.CANCELLED]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as aware datetimes [start, end)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class ScheduleEntry:
    """One line of a provider's day: a free slot, an appointment, or time away."""

    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None = None
    away: ScheduleException | None = None
    # For a free slot: the department of the working hours it belongs to (where to book it).
    department: Department | None = None
    # Whether the user may see who the appointment is for (else the line says "Booked").
    shows_patient: bool = False

    @property
    def is_free(self) -> bool:
        return self.appointment is None and self.away is None


@dataclass
class ProviderDay:
    provider: HealthcareProvider
    hours: list[WorkingHours] = field(default_factory=list)
    entries: list[ScheduleEntry] = field(default_factory=list)

    @property
    def booked(self) -> int:
        return sum(1 for entry in self.entries if entry.appointment is not None)

    @property
    def free(self) -> int:
        return sum(1 for entry in self.entries if entry.is_free)


@dataclass
class DaySchedule:
    day: date
    columns: list[ProviderDay]
    # The page of providers shown (a department's day comes a few providers at a time).
    providers_page: Page | None = None

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)


def _visible_appointment_ids(user, appointments) -> set[int]:
    if user is None:  # no reader (free slots for a form): no names to show
        return set()
    if permissions.can_manage_appointments(user):
        return {appointment.pk for appointment in appointments}
    ids = [appointment.pk for appointment in appointments]
    if not ids:
        return set()
    return set(Appointment.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def _hours_on(day: date, *, department=None, provider=None):
    hours = WorkingHours.objects.filter(weekday=day.weekday()).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
    )
    if department is not None:
        hours = hours.filter(department=department)
    if provider is not None:
        hours = hours.filter(provider=provider)
    return hours.select_related(
        "provider__doctor", "provider__nurse", "provider__specialty", "department"
    ).order_by("starts_at")


def _entries_for(column: ProviderDay, day, appointments, away, visible_ids) -> None:
    """Slots of each block, each either free, taken by an appointment, or away; then the
    appointments outside the blocks (walk-ins, hours changed after booking).

    `appointments` come ordered by start, so each block walks them once alongside its slots.
    """
    placed = set()
    booked = [appointment for appointment in appointments if not appointment.walk_in]
    for block in column.hours:
        moment = timezone.make_aware(datetime.combine(day, block.starts_at))
        block_end = timezone.make_aware(datetime.combine(day, block.ends_at))
        step = timedelta(minutes=block.slot_minutes)
        first = 0  # appointments before `first` end before the current slot
        while moment + step <= block_end:
            slot_end = moment + step
            while first < len(booked) and booked[first].ends_at <= moment:
                first += 1
            taken = None
            for appointment in booked[first:]:
                if appointment.starts_at >= slot_end:
                    break
                if appointment.ends_at > moment:
                    taken = appointment
                    break
            if taken is not None:
                if taken.pk not in placed:
                    placed.add(taken.pk)
                    column.entries.append(
                        ScheduleEntry(
                            taken.starts_at,
                            taken.ends_at,
                            appointment=taken,
                            shows_patient=taken.pk in visible_ids,
                        )
                    )
            else:
                leave = next(
                    (
                        exception
                        for exception in away
                        if exception.starts_at < slot_end and exception.ends_at > moment
                    ),
                    None,
                )
                column.entries.append(
                    ScheduleEntry(moment, slot_end, away=leave, department=block.department)
                )
            moment = slot_end
    for appointment in appointments:
        if appointment.pk not in placed:
            column.entries.append(
                ScheduleEntry(
                    appointment.starts_at,
                    appointment.ends_at,
                    appointment=appointment,
                    shows_patient=appointment.pk in visible_ids,
                )
            )
    column.entries.sort(key=lambda entry: entry.starts_at)


def day_schedule(
    *, user, day: date, department=None, provider=None, page=1, per_page: int | None = None
) -> DaySchedule:
    """The day of one provider, or of the providers working in a department that day,
    `per_page` providers at a time (all when None), ordered by name.

    Cancelled appointments free their slot and are not shown.
    """
    start, end = day_bounds(day)
    columns: dict[int, ProviderDay] = {}
    if provider is not None:
        columns[provider.pk] = ProviderDay(provider)
    for hours in _hours_on(day, department=department, provider=provider):
        column = columns.setdefault(hours.provider_id, ProviderDay(hours.provider))
        column.hours.append(hours)
    appointments = Appointment.objects.on_day(start, end).filter(status__in=SHOWN_STATUSES)
    if department is not None:
        appointments = appointments.filter(department=department)
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    # Providers booked that day outside their (current) working hours still get a column.
    booked_providers = set(appointments.order_by().values_list("provider_id", flat=True).distinct())
    for extra in HealthcareProvider.objects.filter(pk__in=sorted(booked_providers - set(columns))):
        columns[extra.pk] = ProviderDay(extra)
    ordered = sorted(
        columns.values(),
        key=lambda column: (
            column.provider.last_name,
            column.provider.first_name,
            column.provider.pk,
        ),
    )
    providers_page = Paginator(ordered, per_page or max(len(ordered), 1)).get_page(page)
    shown = {column.provider.pk: column for column in providers_page}
    rows = list(
        appointments.filter(provider_id__in=list(shown))
        .select_related("patient")
        .only(*APPOINTMENT_FIELDS, *(f"patient__{name}" for name in SCHEDULE_PATIENT_FIELDS))
        .order_by("starts_at", "pk")
    )
    by_provider = defaultdict(list)
    for appointment in rows:
        by_provider[appointment.provider_id].append(appointment)
    away_by_provider = defaultdict(list)
    for exception in ScheduleException.objects.filter(
        provider_id__in=list(shown), starts_at__lt=end, ends_at__gt=start
    ):
        away_by_provider[exception.provider_id].append(exception)
    visible_ids = _visible_appointment_ids(user, rows)
    for provider_pk, column in shown.items():
        _entries_for(
            column, day, by_provider[provider_pk], away_by_provider[provider_pk], visible_ids
        )
    return DaySchedule(day=day, columns=list(providers_page), providers_page=providers_page)


@dataclass
class WeekDay:
    day: date
    appointments: int = 0
    slots: int = 0
    away: bool = False


@dataclass
class ProviderWeek:
    provider: HealthcareProvider
    days: list[WeekDay]


@dataclass
class WeekSchedule:
    start: date
    rows: list[ProviderWeek]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(7)]

    @property
    def previous_week(self) -> date:
        return self.start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.start + timedelta(days=7)


def week_schedule(*, start: date, department=None, provider=None) -> WeekSchedule:
    """Per provider and day: appointments booked (counted in the database) and slots."""
    start = week_start(start)
    days = [start + timedelta(days=offset) for offset in range(7)]
    week_from, _ = day_bounds(start)
    _, week_until = day_bounds(days[-1])
    hours = WorkingHours.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=start),
        Q(valid_from__isnull=True) | Q(valid_from__lte=days[-1]),
    ).select_related("provider__doctor", "provider__nurse", "provider__specialty")
    appointments = Appointment.objects.filter(
        starts_at__gte=week_from, starts_at__lt=week_until, status__in=SHOWN_STATUSES
    )
    if department is not None:
        hours = hours.filter(department=department)
        appointments = appointments.filter(department=department)
    if provider is not None:
        hours = hours.filter(provider=provider)
        appointments = appointments.filter(provider=provider)
    providers: dict[int, HealthcareProvider] = {}
    if provider is not None:
        providers[provider.pk] = provider
    slots = defaultdict(int)
    for block in hours:
        providers.setdefault(block.provider_id, block.provider)
        for day in days:
            if block.applies_on(day):
                minutes = (
                    datetime.combine(day, block.ends_at) - datetime.combine(day, block.starts_at)
                ).seconds // 60
                slots[(block.provider_id, day)] += minutes // block.slot_minutes
    counts = (
        appointments.annotate(day=TruncDate("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("provider_id", "day")
        .annotate(total=Count("pk"))
    )
    booked = {(row["provider_id"], row["day"]): row["total"] for row in counts}
    missing = {pk for pk, _ in booked} - set(providers)
    for extra in HealthcareProvider.objects.filter(pk__in=missing):
        providers[extra.pk] = extra
    away = defaultdict(bool)
    for exception in ScheduleException.objects.filter(
        provider_id__in=list(providers), starts_at__lt=week_until, ends_at__gt=week_from
    ):
        for day in days:
            day_from, day_until = day_bounds(day)
            if exception.starts_at < day_until and exception.ends_at > day_from:
                away[(exception.provider_id, day)] = True
    rows = [
        ProviderWeek(
            provider=row_provider,
            days=[
                WeekDay(
                    day=day,
                    appointments=booked.get((pk, day), 0),
                    slots=slots[(pk, day)],
                    away=away[(pk, day)],
                )
                for day in days
            ],
        )
        for pk, row_provider in sorted(
            providers.items(), key=lambda item: (item[1].last_name, item[1].first_name)
        )
    ]
    return WeekSchedule(start=start, rows=rows)


# Lists -------------------------------------------------------------------------------------

# "My day" and arrivals: who is here first (in the order they arrived), then who is being
# seen, then who is still expected (by time), then what is over.
_WORK_ORDER = Case(
    When(status=Status.ARRIVED, then=Value(0)),
    When(status=Status.IN_PROGRESS, then=Value(1)),
    When(status=Status.BOOKED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def my_day(user, *, day: date | None = None) -> list[Appointment]:
    """The signed-in provider's appointments of the day, arrived patients first."""
    own = getattr(user, "provider", None)
    if own is None:
        return []
    start, end = day_bounds(day or timezone.localdate())
    return list(
        Appointment.objects.on_day(start, end)
        .filter(provider=own, status__in=SHOWN_STATUSES)
        .select_related("patient", "department", "encounter")
        .annotate(work_order=_WORK_ORDER)
        .order_by("work_order", "arrived_at", "starts_at")
    )


def arrivals_today(*, department=None):
    """Today's appointments for the front desk: expected, arrived, being seen and done."""
    start, end = day_bounds(timezone.localdate())
    appointments = (
        Appointment.objects.on_day(start, end)
        .filter(status__in=SHOWN_STATUSES)
        .select_related("patient", "provider__doctor", "provider__nurse", "department")
        .annotate(work_order=_WORK_ORDER)
        .order_by("work_order", "starts_at", "pk")
    )
    if department is not None:
        appointments = appointments.filter(department=department)
    return appointments


def upcoming_for_patient(patient, *, now=None):
    """A patient's appointments still to come (booked, arrived, being seen)."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(patient=patient, status__in=Appointment.HOLDING_STATUSES)
        .filter(ends_at__gte=now)
        .select_related("provider__doctor", "provider__nurse", "department")
        .order_by("starts_at")
    )


def past_for_patient(patient, *, now=None, limit: int = 10) -> list[Appointment]:
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(patient=patient)
        .filter(Q(ends_at__lt=now) | ~Q(status__in=Appointment.HOLDING_STATUSES))
        .select_related("provider__doctor", "provider__nurse", "department")
        .order_by("-starts_at")[:limit]
    )


def open_requests():
    return AppointmentRequest.objects.filter(status=AppointmentRequest.Status.OPEN).select_related(
        "patient", "department", "provider__doctor", "provider__nurse"
    )


def requests_of_patient(patient, *, limit: int = 10) -> list[AppointmentRequest]:
    return list(
        AppointmentRequest.objects.filter(patient=patient)
        .select_related("department", "provider__doctor", "provider__nurse", "appointment")
        .order_by("-requested_at")[:limit]
    )


def provider_calendar(provider, *, since: date, days: int = 120):
    """The appointments of a provider's iCalendar feed: from `since`, for `days` days."""
    start, _ = day_bounds(since)
    return (
        Appointment.objects.filter(
            provider=provider,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=days),
        )
        .select_related("patient", "department")
        .order_by("starts_at")
    )


def bookable_slots(*, provider, department, day: date, limit: int = 40) -> list[datetime]:
    """Free slot starts of a provider on a day (for the booking form's choice)."""
    schedule = day_schedule(user=None, day=day, provider=provider, department=department)
    now = timezone.now()
    starts = [
        entry.starts_at
        for column in schedule.columns
        for entry in column.entries
        if entry.is_free and entry.starts_at >= now
    ]
    return starts[:limit]


# The front desk's pages ------------------------------------------------------------------


def providers_for_booking(*, department=None):
    """Providers who have working hours (in `department` when given): whom a clerk books."""
    hours = WorkingHours.objects.all()
    if department is not None:
        hours = hours.filter(department=department)
    return (
        HealthcareProvider.objects.with_kind()
        .filter(pk__in=hours.values("provider_id"))
        .order_by("last_name", "first_name", "pk")
    )


def patient_ids_shown(schedule: DaySchedule) -> list[int]:
    """The patients a day schedule names to its reader (for the access log)."""
    return [
        entry.appointment.patient_id
        for column in schedule.columns
        for entry in column.entries
        if entry.appointment is not None and entry.shows_patient
    ]


@dataclass
class HistoryLine:
    when: datetime
    who: str
    what: str


_STATUS_EVENTS = {
    Status.ARRIVED: "Checked in",
    Status.IN_PROGRESS: "Visit started",
    Status.COMPLETED: "Completed",
    Status.NO_SHOW: "Marked as a no-show",
}


def _history_what(record, previous, providers) -> str:
    if previous is None:
        return "Checked in as a walk-in" if record.walk_in else "Booked"
    if record.status != previous.status:
        if record.status == Status.CANCELLED:
            return f"Cancelled: {record.cancel_reason}" if record.cancel_reason else "Cancelled"
        return _STATUS_EVENTS.get(record.status, f"Now {record.get_status_display().lower()}")
    if record.starts_at != previous.starts_at or record.provider_id != previous.provider_id:
        provider = providers.get(record.provider_id)
        with_whom = f" with {provider.display_name}" if provider is not None else ""
        when = timezone.localtime(record.starts_at)
        return f"Moved to {when:%A %Y-%m-%d %H:%M}{with_whom}"
    return "Details changed"


def appointment_history(appointment) -> list[HistoryLine]:
    """Who booked, moved, checked in or cancelled the appointment, oldest first (2 queries)."""
    records = list(
        appointment.history.select_related("history_user").order_by("history_date", "history_id")
    )
    providers = HealthcareProvider.all_objects.select_related("doctor", "nurse").in_bulk(
        {record.provider_id for record in records}
    )
    lines, previous = [], None
    for record in records:
        user = record.history_user
        who = (user.get_full_name() or user.get_username()) if user is not None else "The system"
        lines.append(
            HistoryLine(record.history_date, who, _history_what(record, previous, providers))
        )
        previous = record
    return lines
