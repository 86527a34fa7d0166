"""Reads that span models: the patient directory search, the whole chart of one patient, the
care team of an encounter and the searches that fill the recording forms' choices."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Lag
from django.utils import timezone

from core.documents import DocumentStoreUnavailable
from patients.models import (
    Allergy,
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    Patient,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.notes import SearchMode, notes_search
from patients.vitals_chart import MAX_POINTS as VITALS_TREND_POINTS
from providers.models import HealthcareProvider

# Sort keys the directory offers; the id makes the order total so pages never overlap.
PATIENT_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "mrn": ("mrn",),
    "date_of_birth": ("date_of_birth", "id"),
    "state": ("state", "last_name", "first_name", "id"),
}
HISTORY_LIMIT = 20
SEARCH_LIMIT = 30
SEARCH_QUERY_LENGTH = 100


def patient_search(
    *,
    user,
    q: str = "",
    mrn: str = "",
    date_of_birth: dt.date | None = None,
    state: str = "",
    payer_id: int | None = None,
    condition: str = "",
    sort: str = "name",
) -> QuerySet[Patient]:
    """Patients the user may see that match every given filter, in the asked order.

    `q` matches each word against the start of the first or last name (or a whole MRN);
    `sort` is one of PATIENT_SORTS, with a leading "-" for descending.
    """
    patients = Patient.objects.visible_to(user)
    for word in q.split():
        patients = patients.filter(
            Q(first_name__istartswith=word) | Q(last_name__istartswith=word) | Q(mrn__iexact=word)
        )
    if mrn.strip():
        patients = patients.filter(mrn__istartswith=mrn.strip())
    if date_of_birth is not None:
        patients = patients.filter(date_of_birth=date_of_birth)
    if state.strip():
        patients = patients.filter(state__iexact=state.strip())
    if payer_id is not None:
        patients = patients.filter(
            Exists(Coverage.objects.filter(patient=OuterRef("pk"), payer_id=payer_id))
        )
    if condition.strip():
        term = condition.strip()
        patients = patients.filter(
            Exists(
                Diagnosis.objects.filter(encounter__patient=OuterRef("pk")).filter(
                    Q(condition__name__icontains=term) | Q(condition__code__iexact=term)
                )
            )
        )
    descending = sort.startswith("-")
    keys = PATIENT_SORTS.get(sort.lstrip("-"), PATIENT_SORTS["name"])
    return patients.order_by(*(f"-{key}" if descending else key for key in keys))


def patients_outside_care_team_identified(
    *, user, q: str = "", mrn: str = "", date_of_birth: dt.date | None = None
) -> list[Patient]:
    """Patients the user may not see whom the search identifies exactly: the whole MRN, or
    the full name (first and last, any case) together with the date of birth.

    What an emergency access starts from; a partial search never reaches these patients.
    """
    identified = Q()
    if mrn.strip():
        identified |= Q(mrn__iexact=mrn.strip())
    words = q.split()
    if date_of_birth is not None and len(words) >= 2:
        full_names = Q()
        for split in range(1, len(words)):
            full_names |= Q(
                first_name__iexact=" ".join(words[:split]),
                last_name__iexact=" ".join(words[split:]),
            )
        identified |= full_names & Q(date_of_birth=date_of_birth)
    if not identified:
        return []
    outside = Patient.objects.filter(identified).exclude(
        pk__in=Patient.objects.visible_to(user).values("pk")
    )
    return list(outside.order_by("last_name", "first_name", "id")[:SEARCH_LIMIT])


CHART_ENCOUNTERS_PER_PAGE = 20
# A page number past any real chart; requests beyond it are read as "the last page".
MAX_ENCOUNTERS_PAGE = 1_000_000


@dataclass
class PatientChart:
    """Everything the chart page shows from the relational store, loaded in fixed queries.

    `encounters` is one page of the timeline, newest first (`encounters_page` says which);
    `vitals_oldest_first` holds the latest readings across all encounters, for the trend.
    """

    patient: Patient
    encounters_page: Page
    coverages: list[Coverage]
    emergency_contacts: list[EmergencyContact]
    allergies: list[Allergy]
    vitals_oldest_first: list[VitalSigns] = field(default_factory=list)

    @property
    def encounters(self) -> list[Encounter]:
        return self.encounters_page.object_list


def _provider_related(prefix: str) -> tuple[str, ...]:
    # Joining the child tables makes `provider.kind` / `display_name` free.
    return (prefix, f"{prefix}__doctor", f"{prefix}__nurse", f"{prefix}__specialty")


def _encounters_with_details() -> QuerySet[Encounter]:
    # Each prefetch orders by encounter first, so the foreign-key index that finds the
    # rows also serves most of the sort.
    return Encounter.objects.select_related("organization").prefetch_related(
        Prefetch(
            "care_assignments",
            queryset=CareAssignment.objects.select_related(*_provider_related("provider")).order_by(
                "encounter_id", "role", "id"
            ),
        ),
        Prefetch(
            "vital_signs",
            queryset=VitalSigns.objects.order_by("encounter_id", "-recorded_at", "-id"),
        ),
        Prefetch(
            "symptoms", queryset=Symptom.objects.order_by("encounter_id", "-recorded_at", "-id")
        ),
        Prefetch(
            "diagnoses",
            queryset=Diagnosis.objects.select_related("condition").order_by(
                "encounter_id", "-onset_date", "-id"
            ),
        ),
        Prefetch(
            "lab_results",
            queryset=LabResult.objects.select_related("lab_test").order_by(
                "encounter_id", "-observed_at", "-id"
            ),
        ),
        Prefetch(
            "prescriptions",
            queryset=Prescription.objects.select_related(
                "medication", *_provider_related("prescriber")
            ).order_by("encounter_id", "-start_date", "-id"),
        ),
    )


def care_team(encounter: Encounter) -> QuerySet[CareAssignment]:
    """The encounter's current care assignments, with what their names need."""
    return CareAssignment.objects.filter(encounter=encounter, ended_at__isnull=True).select_related(
        *_provider_related("provider")
    )


def providers_matching(query: str, *, limit: int = SEARCH_LIMIT) -> list[HealthcareProvider]:
    """Providers whose first or last name or specialty contains every word of the query."""
    providers = HealthcareProvider.objects.select_related("doctor", "nurse", "specialty")
    for word in query.strip()[:SEARCH_QUERY_LENGTH].split():
        providers = providers.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(specialty__name__icontains=word)
        )
    return list(providers[:limit])


def conditions_matching(query: str, *, limit: int = SEARCH_LIMIT) -> list[Condition]:
    """Catalog conditions by name (anywhere) or code (its start); none for an empty query."""
    query = query.strip()[:SEARCH_QUERY_LENGTH]
    if not query:
        return []
    matches = Condition.objects.filter(Q(name__icontains=query) | Q(code__istartswith=query))
    return list(matches.order_by("name")[:limit])


def encounters_with_details() -> QuerySet[Encounter]:
    """Encounters with their care team, vitals, symptoms, diagnoses, labs and prescriptions
    prefetched (one query each, whatever the number of encounters)."""
    return _encounters_with_details()


def encounter_timeline_page(
    encounter: Encounter, *, per_page: int = CHART_ENCOUNTERS_PER_PAGE
) -> int:
    """The page of the patient's chart timeline that shows this encounter (1 query)."""
    newer = Encounter.objects.filter(patient_id=encounter.patient_id).filter(
        Q(admitted_at__gt=encounter.admitted_at)
        | Q(admitted_at=encounter.admitted_at, id__gt=encounter.pk)
    )
    return newer.count() // per_page + 1


def requested_encounters_page(value) -> int:
    """The encounter page a request asks for, read as `Paginator.get_page` reads it but
    without counting: not a number -> 1; below 1 or past any chart -> 0, which get_page
    answers with the last page. The view keys the cached sections on it."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= MAX_ENCOUNTERS_PAGE else 0


def _encounters_page(patient: Patient, number, per_page: int | None) -> Page:
    # The id makes the order total, so neighbouring pages never share or skip an encounter.
    encounters = _encounters_with_details().filter(patient=patient).order_by("-admitted_at", "-id")
    if per_page is None:
        everything = list(encounters)
        return Paginator(everything, max(len(everything), 1)).page(1)
    page = Paginator(encounters, per_page).get_page(number)
    page.object_list = list(page.object_list)  # runs the prefetches for this page only
    return page


def _latest_vitals_oldest_first(patient: Patient) -> list[VitalSigns]:
    latest = VitalSigns.objects.filter(
        encounter__patient=patient, encounter__deleted_at__isnull=True
    ).order_by("-recorded_at", "-id")[:VITALS_TREND_POINTS]
    return list(latest)[::-1]


def patient_chart(
    patient: Patient, *, encounters_page=1, per_page: int | None = CHART_ENCOUNTERS_PER_PAGE
) -> PatientChart:
    """The patient's chart with one page of encounters (`per_page=None`: all of them).

    12 queries whatever the number of encounters (11 for all of them: nothing to count).
    A page number that is not a number gives page 1, one out of range the last page.
    """
    return PatientChart(
        patient=patient,
        encounters_page=_encounters_page(patient, encounters_page, per_page),
        coverages=list(
            Coverage.objects.filter(patient=patient).select_related("payer").order_by("-start_date")
        ),
        emergency_contacts=list(EmergencyContact.objects.filter(patient=patient)),
        allergies=list(Allergy.objects.filter(patient=patient)),
        vitals_oldest_first=_latest_vitals_oldest_first(patient),
    )


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    what: str
    action: str
    who: str
    reason: str
    changed: tuple[str, ...] = ()  # the fields a change touched, by their labels


_HISTORY_ACTIONS = {"+": "Created", "~": "Changed", "-": "Removed"}
# Soft-delete bookkeeping: a change of these is a deletion or a restore, not an edit.
_DELETION_FIELDS = ("deleted_at", "deleted_by", "deletion_id")
# Fields every history row carries that say nothing a reader would call a change.
_UNCHANGING_FIELDS = ("id", "external_id", "assigned_at")


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# The record kinds of the chart's change history: model, how its rows find the patient,
# the relations the description reads, and the description of one historical row.
_HISTORY_KINDS = (
    (Patient, "id", (), lambda row: "Patient record"),
    (
        EmergencyContact,
        "patient_id",
        (),
        lambda row: f"Emergency contact {row.first_name} {row.last_name}",
    ),
    (Coverage, "patient_id", ("payer",), lambda row: f"Coverage: {row.payer.name}"),
    (
        Encounter,
        "patient_id",
        (),
        lambda row: f"Encounter {row.admitted_at:%Y-%m-%d} ({row.get_encounter_class_display()})",
    ),
    (
        CareAssignment,
        "encounter__patient_id",
        ("provider",),
        lambda row: (
            f"Care team: {row.provider.first_name} {row.provider.last_name} "
            f"({row.get_role_display()})"
        ),
    ),
    (
        VitalSigns,
        "encounter__patient_id",
        (),
        lambda row: f"Vital signs of {_local(row.recorded_at)}",
    ),
    (Symptom, "encounter__patient_id", (), lambda row: f"Symptom: {row.description}"),
    (
        Diagnosis,
        "encounter__patient_id",
        ("condition",),
        lambda row: f"Diagnosis: {row.condition.name}",
    ),
    (
        LabResult,
        "encounter__patient_id",
        ("lab_test",),
        lambda row: f"Lab result: {row.lab_test.name}",
    ),
    (
        Prescription,
        "encounter__patient_id",
        ("medication",),
        lambda row: f"Prescription: {row.medication.name}",
    ),
    (Allergy, "patient_id", (), lambda row: f"Allergy: {row.description}"),
)


def _tracked_fields(model) -> list:
    """The model's own columns its history keeps (what a change can touch)."""
    kept = {field.attname for field in model.history.model._meta.concrete_fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.attname in kept and field.name not in _UNCHANGING_FIELDS
    ]


def _history_rows(model, patient_path, related, patient, limit):
    """The latest history rows of one kind, each with the previous version's values of every
    tracked field (a window over the rows, so one query whatever the number of versions)."""
    fields = _tracked_fields(model)
    order = [F("history_date").asc(), F("history_id").asc()]
    previous = {
        f"previous_{field.attname}": Window(
            Lag(field.attname), partition_by=[F("id")], order_by=order
        )
        for field in fields
    }
    rows = (
        model.history.filter(**{patient_path: patient.pk})
        .select_related("history_user", *related)
        .annotate(**previous)
        .order_by("-history_date", "-history_id")[:limit]
    )
    return [(row, fields) for row in rows]


def _history_entry(row, fields, describe) -> HistoryEntry:
    changed = [
        field
        for field in fields
        if row.history_type == "~"
        and getattr(row, f"previous_{field.attname}") != getattr(row, field.attname)
    ]
    action = _HISTORY_ACTIONS.get(row.history_type, row.history_type)
    deletion = [field for field in changed if field.name in _DELETION_FIELDS]
    if deletion:
        action = "Deleted" if row.deleted_at is not None else "Restored"
    return HistoryEntry(
        when=row.history_date,
        what=describe(row),
        action=action,
        who=row.history_user.get_username() if row.history_user else "system",
        reason=row.history_change_reason or "",
        changed=tuple(
            str(field.verbose_name) for field in changed if field.name not in _DELETION_FIELDS
        ),
    )


def patient_change_history(patient: Patient, *, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The latest changes to every clinical record of the patient, newest first: who, when,
    what changed and why (one query per record kind, whatever the number of records)."""
    rows = []
    for model, patient_path, related, describe in _HISTORY_KINDS:
        rows += [
            (row, fields, describe)
            for row, fields in _history_rows(model, patient_path, related, patient, limit)
        ]
    rows.sort(key=lambda item: (item[0].history_date, item[0].history_id), reverse=True)
    return [_history_entry(row, fields, describe) for row, fields, describe in rows[:limit]]


HOME_LIST_LIMIT = 10


@dataclass
class ClinicianWorklist:
    patients: list[Patient]
    open_assignments: list[CareAssignment]
    recent_notes: list[dict]
    notes_down: bool = False


def clinician_worklist(user) -> ClinicianWorklist:
    """A clinician's home: their patients, their open encounters and the notes they wrote."""
    patients = list(Patient.objects.visible_to(user).order_by("last_name", "first_name", "id")[:50])
    open_assignments = list(
        CareAssignment.objects.filter(
            provider__user=user,
            ended_at__isnull=True,
            encounter__discharged_at__isnull=True,
            encounter__deleted_at__isnull=True,
            encounter__patient__deleted_at__isnull=True,
        )
        .select_related("encounter__patient")
        .order_by("-encounter__admitted_at")[:HOME_LIST_LIMIT]
    )
    worklist = ClinicianWorklist(
        patients=patients[:HOME_LIST_LIMIT], open_assignments=open_assignments, recent_notes=[]
    )
    if patients:
        try:
            notes = notes_search(
                ".", mode=SearchMode.PATTERN, patient_ids=[p.pk for p in patients], limit=200
            )
        except DocumentStoreUnavailable:
            worklist.notes_down = True
        else:
            names = {patient.pk: patient for patient in patients}
            worklist.recent_notes = [
                {**note, "patient": names.get(note["patient_id"])}
                for note in notes
                if note["author_id"] == user.pk
            ][:5]
    return worklist
