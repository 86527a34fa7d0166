"""What the portal shows of one record. Each read takes the patient the portal getter chose.

The home page's allergies, problems and medications come from the models as they are
today (Allergy rows, active Diagnosis rows, current Prescriptions); when the chart gets
its own problem and medication lists, `allergy_list`, `problem_list` and
`medication_list` are the three functions to point at them. A bill's amounts are
billing's (`billing.selectors.bill_amounts`), the same figures as the patient statement.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import IntegerField, Q, Subquery
from django.utils import timezone

from access.models import AccessLog
from access.roles import Role
from billing.models import Bill
from billing.selectors import bill_amounts
from patients.models import Allergy, Diagnosis, Encounter, LabResult, Patient, Prescription
from patients.notes import notes_for_patient
from patients.selectors import encounters_with_details
from portal.access import portal_record_or_404
from portal.models import ChangeRequest, ProxyAccess
from portal.results_chart import result_trend_svg
from providers.models import Department, HealthcareProvider
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.models import Appointment, AppointmentRequest, WorkingHours

VISITS_PER_PAGE = 10
NOTES_PER_PAGE = 10
BILLS_PER_PAGE = 20
MEDICATIONS_PER_PAGE = 25
ACCESS_LOG_PER_PAGE = 25
# The newest results of each test drawn in its trend; older ones stay in its table.
TREND_POINTS = 24
# Notes read from the document store for the notes page (newest first).
NOTES_READ_LIMIT = 500

FLAG_WORDS = {
    LabResult.Flag.HIGH: "above the usual range",
    LabResult.Flag.LOW: "below the usual range",
    LabResult.Flag.ABNORMAL: "outside the usual range",
    LabResult.Flag.NORMAL: "within the usual range",
}


def flag_words(result: LabResult) -> str:
    """The result's flag in plain words (shown as text, never as colour alone)."""
    if result.abnormal_flag == LabResult.Flag.NORMAL and not result.reference_range:
        return "no usual range given"
    return FLAG_WORDS.get(result.abnormal_flag, "outside the usual range")


def paged(items, number, per_page: int) -> Page:
    page = Paginator(items, per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page


# The home page -----------------------------------------------------------------------------


def allergy_list(patient) -> list[Allergy]:
    """Allergies that hold now (not resolved, refuted or entered in error); without the
    "no known allergies" assertion."""
    return list(Allergy.objects.filter(patient=patient).active().substances())


def problem_list(patient) -> list[Diagnosis]:
    """Active diagnoses, one per condition (its earliest onset), by name."""
    active = (
        Diagnosis.objects.filter(
            encounter__patient=patient, status=Diagnosis.Status.ACTIVE, resolved_date__isnull=True
        )
        .select_related("condition")
        .order_by("condition__name", "condition_id", "onset_date", "id")
    )
    return _first_of_each(active, "condition_id")


def medication_list(patient, *, today: dt.date | None = None) -> list[Prescription]:
    """Prescriptions running today (not stopped, no end date or one not passed), newest per
    medication."""
    today = today or timezone.localdate()
    current = (
        Prescription.objects.current(today)
        .filter(encounter__patient=patient, start_date__lte=today)
        .select_related("medication")
        .order_by("medication__name", "medication_id", "-start_date", "-id")
    )
    return _first_of_each(current, "medication_id")


def _first_of_each(rows, key: str) -> list:
    """The first row of each distinct `key`, in the rows' order."""
    first: dict = {}
    for row in rows:
        first.setdefault(getattr(row, key), row)
    return list(first.values())


@dataclass(frozen=True)
class AppointmentsSection:
    """The home page's appointments: the next one and how many more are coming."""

    connected: bool = True
    upcoming: tuple = ()
    next: Appointment | None = None
    more: int = 0


HOME_UPCOMING = 3


def appointments_for(patient) -> AppointmentsSection:
    """The next appointments of the record, for the home page (1 query)."""
    upcoming = tuple(scheduling_selectors.upcoming_for_patient(patient)[: HOME_UPCOMING + 1])
    return AppointmentsSection(
        upcoming=upcoming[:HOME_UPCOMING],
        next=upcoming[0] if upcoming else None,
        more=max(len(upcoming) - HOME_UPCOMING, 0),
    )


@dataclass(frozen=True)
class UpcomingAppointment:
    appointment: Appointment
    # Why the portal cannot cancel it ('' when it can): the patient reads this instead.
    cancel_refusal: str


@dataclass
class AppointmentsPage:
    upcoming: list[UpcomingAppointment]
    past: list[Appointment]
    requests: list[AppointmentRequest]


PAST_APPOINTMENTS = 10
REQUESTS_SHOWN = 10


def appointments_page(patient, *, now: dt.datetime | None = None) -> AppointmentsPage:
    """The appointments page of one record: upcoming (with whether the portal may cancel
    each), the latest past ones and the requests sent from the portal (3 queries)."""
    now = now or timezone.now()
    upcoming = [
        UpcomingAppointment(
            appointment=appointment,
            cancel_refusal=scheduling_services.patient_cancel_refusal(appointment, now=now),
        )
        for appointment in scheduling_selectors.upcoming_for_patient(patient, now=now)
    ]
    return AppointmentsPage(
        upcoming=upcoming,
        past=scheduling_selectors.past_for_patient(patient, now=now, limit=PAST_APPOINTMENTS),
        requests=scheduling_selectors.requests_of_patient(patient, limit=REQUESTS_SHOWN),
    )


def appointment_of(patient, appointment_pk) -> Appointment:
    """One appointment of the shown record (its provider and department loaded), else 404."""
    return portal_record_or_404(
        Appointment.objects.filter(patient=patient).select_related(
            "provider__doctor", "provider__nurse", "department"
        ),
        pk=appointment_pk,
    )


def appointment_request_of(patient, request_pk) -> AppointmentRequest:
    """One appointment request of the shown record, else 404."""
    return portal_record_or_404(AppointmentRequest.objects.filter(patient=patient), pk=request_pk)


def request_departments():
    """The departments a patient may ask for, with their organization (the form's choice)."""
    return Department.objects.select_related("organization").order_by("organization__name", "name")


def request_providers():
    """Providers the patient may name in a request: those who have working hours."""
    return HealthcareProvider.objects.filter(
        pk__in=WorkingHours.objects.values("provider_id")
    ).order_by("last_name", "first_name", "pk")


@dataclass
class WhatIsNew:
    since: dt.datetime | None
    visits: int = 0
    results: int = 0
    bills: int = 0
    decisions: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.visits or self.results or self.bills or self.decisions)


class _Count(Subquery):
    """The number of rows of a queryset, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def _counts(patient, since: dt.datetime | None) -> tuple[WhatIsNew, int]:
    """What is new since the previous portal visit (visits, results, bills, answers to change
    requests) and the change requests still waiting: one query."""
    counts = {
        "pending": ChangeRequest.objects.filter(
            patient=patient, status=ChangeRequest.Status.PENDING
        )
    }
    if since is not None:
        counts |= {
            "visits": Encounter.objects.filter(patient=patient, admitted_at__gt=since),
            "results": LabResult.objects.filter(encounter__patient=patient, observed_at__gt=since),
            "bills": Bill.objects.filter(patient=patient, issued_on__gte=since.date()),
            "decisions": ChangeRequest.objects.filter(
                patient=patient, reviewed_at__gt=since
            ).exclude(status=ChangeRequest.Status.PENDING),
        }
    found = (
        Patient.objects.filter(pk=patient.pk)
        .values_list(*[_Count(rows.order_by().values("pk")) for rows in counts.values()])
        .first()
    ) or [0] * len(counts)
    numbers = dict(zip(counts, found, strict=True))
    pending = numbers.pop("pending")
    return WhatIsNew(since=since, **numbers), pending


PORTAL_DETAIL = "portal"


def previous_portal_visit(*, user, patient) -> dt.datetime | None:
    """When this user last read this record in the portal (before the current visit)."""
    return (
        AccessLog.objects.filter(user=user, patient=patient, detail=PORTAL_DETAIL)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


@dataclass
class HomeRecord:
    """What the home page shows of the record itself; it changes only with the chart."""

    allergies: list
    problems: list
    medications: list
    last_visit: Encounter | None


def home_record(patient) -> HomeRecord:
    """Allergies, active problems, current medications and the last visit (4 queries)."""
    return HomeRecord(
        allergies=allergy_list(patient),
        problems=problem_list(patient),
        medications=medication_list(patient),
        last_visit=Encounter.objects.filter(patient=patient, admitted_at__lte=timezone.now())
        .order_by("-admitted_at", "-id")
        .first(),
    )


@dataclass
class PortalHome:
    """What the home page shows around the record: appointments, news, waiting requests."""

    appointments: AppointmentsSection
    news: WhatIsNew
    pending_requests: int


def portal_home(patient, *, since: dt.datetime | None) -> PortalHome:
    """The home page's parts that move without the chart: 2 queries."""
    news, pending = _counts(patient, since)
    return PortalHome(appointments=appointments_for(patient), news=news, pending_requests=pending)


# Visits, results, medications ---------------------------------------------------------------


def visits_page(patient, number) -> Page:
    """One page of encounters, newest first, with what was recorded in each (8 queries)."""
    encounters = encounters_with_details().filter(patient=patient).order_by("-admitted_at", "-id")
    page = paged(encounters, number, VISITS_PER_PAGE)
    _flag_results(result for encounter in page for result in encounter.lab_results.all())
    return page


def visit_detail(patient, encounter_pk) -> Encounter | None:
    encounter = encounters_with_details().filter(patient=patient, pk=encounter_pk).first()
    if encounter is not None:
        _flag_results(encounter.lab_results.all())
    return encounter


def _flag_results(results) -> None:
    for result in results:
        result.flag_words = flag_words(result)


@dataclass
class TestResults:
    """One lab test's results over time: newest first for the table, a trend picture."""

    name: str
    loinc_code: str
    results: list = field(default_factory=list)
    trend_svg: str = ""

    @property
    def latest(self) -> LabResult:
        return self.results[0]


def results_by_test(patient) -> list[TestResults]:
    """Every lab result of the record grouped by test (1 query), tests by name."""
    rows = (
        LabResult.objects.filter(encounter__patient=patient)
        .select_related("lab_test")
        .order_by("lab_test__name", "lab_test_id", "-observed_at", "-id")
    )
    tests: dict[int, TestResults] = {}
    for result in rows:
        result.flag_words = flag_words(result)
        group = tests.get(result.lab_test_id)
        if group is None:
            group = tests[result.lab_test_id] = TestResults(
                name=result.lab_test.name, loinc_code=result.lab_test.loinc_code
            )
        group.results.append(result)
    for group in tests.values():
        group.trend_svg = result_trend_svg(group.name, group.results[:TREND_POINTS][::-1])
    return list(tests.values())


def medications_page(patient, number) -> Page:
    """Every prescription, newest first; `is_current` says whether it runs today."""
    today = timezone.localdate()
    prescriptions = (
        Prescription.objects.filter(encounter__patient=patient)
        .select_related("medication", "prescriber")
        .order_by("-start_date", "-id")
    )
    page = paged(prescriptions, number, MEDICATIONS_PER_PAGE)
    for prescription in page:
        prescription.is_current = (
            prescription.start_date <= today
            and not prescription.is_stopped
            and (prescription.end_date is None or prescription.end_date >= today)
        )
    return page


# Notes -----------------------------------------------------------------------------------


def shared_notes(patient) -> list[dict]:
    """The notes the patient may read, newest first (raises DocumentStoreUnavailable)."""
    notes = notes_for_patient(patient.pk, limit=NOTES_READ_LIMIT)
    return [note for note in notes if note["shared_in_portal"]]


def note_encounter(patient, note) -> Encounter | None:
    if not note["encounter_id"]:
        return None
    return Encounter.objects.filter(patient=patient, pk=note["encounter_id"]).first()


# Bills --------------------------------------------------------------------------------------


def bills_page(patient, number) -> Page:
    bills = (
        Bill.objects.filter(patient=patient)
        .select_related("payer", "encounter")
        .order_by("-issued_on", "-id")
    )
    page = paged(bills, number, BILLS_PER_PAGE)
    for bill in page:
        bill.amounts = bill_amounts(bill)
    return page


def bill_detail(patient, bill_pk) -> Bill | None:
    bill = (
        Bill.objects.filter(patient=patient, pk=bill_pk)
        .select_related("payer", "encounter")
        .prefetch_related("lines")
        .first()
    )
    if bill is not None:
        bill.amounts = bill_amounts(bill)
    return bill


# Who looked at my record ------------------------------------------------------------------


@dataclass(frozen=True)
class AccessEntry:
    at: dt.datetime
    who: str
    role: str
    section: str
    by_you: bool
    break_glass_reason: str
    from_list: bool


def _person(user) -> str:
    name = user.get_full_name().strip()
    return name or "A member of staff whose name is not on file"


def access_history_page(patient, *, viewer, number) -> Page:
    """Who read this record, newest first: pages about it and lists that showed it.

    The record owner's own portal views are left out; a proxy's views show as the
    proxy's (name and relationship), and the viewer's own views say "you".
    """
    shown = AccessLog.patients_shown.through.objects.filter(patient_id=patient.pk)
    entries = AccessLog.objects.filter(
        Q(patient=patient) | Q(pk__in=shown.values("accesslog_id"))
    ).select_related("user")
    if patient.user_id is not None:
        entries = entries.exclude(user_id=patient.user_id)
    page = paged(entries.order_by("-at", "-id"), number, ACCESS_LOG_PER_PAGE)
    proxies = dict(
        ProxyAccess.objects.filter(patient=patient).values_list("proxy_id", "relationship")
    )
    relationships = dict(ProxyAccess.Relationship.choices)
    page.object_list = [
        AccessEntry(
            at=entry.at,
            who="You" if entry.user_id == viewer.pk else _person(entry.user),
            role=_role_label(entry, proxies, relationships),
            section=AccessLog.Section(entry.section).label
            if entry.section in AccessLog.Section.values
            else entry.section,
            by_you=entry.user_id == viewer.pk,
            break_glass_reason=entry.break_glass_reason,
            from_list=entry.patient_id is None,
        )
        for entry in page.object_list
    ]
    return page


def _role_label(entry, proxies, relationships) -> str:
    if entry.user_id in proxies:
        return f"Proxy: {relationships.get(proxies[entry.user_id], 'proxy')}"
    if entry.role in Role.values:
        return Role(entry.role).label
    return entry.role or "No role"


# Change requests -------------------------------------------------------------------------


def change_requests_of(patient, *, limit: int = 20) -> list[ChangeRequest]:
    return list(
        ChangeRequest.objects.filter(patient=patient).order_by("-requested_at", "-id")[:limit]
    )


def review_queue(*, user, status: str = ChangeRequest.Status.PENDING):
    """Change requests for front desk, oldest waiting first, with patient and requester."""
    requests = ChangeRequest.objects.filter(
        patient__in=Patient.objects.visible_to(user)
    ).select_related("patient", "requested_by", "reviewed_by")
    if status:
        requests = requests.filter(status=status)
    order = ("requested_at", "id") if status == ChangeRequest.Status.PENDING else ("-requested_at",)
    return requests.order_by(*order)
