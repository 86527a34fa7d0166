"""Reads that span models: the patient directory search, the whole chart of one patient, the
care team of an encounter and the searches that fill the recording forms' choices."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from access import grants
from core.documents import DocumentStoreUnavailable
from patients.allergens import RXNORM
from patients.models import (
    REMOTE_MONITORING_REASON,
    Allergy,
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    Medication,
    Patient,
    PatientMerge,
    Prescription,
    RegistrationStep,
    Symptom,
    VitalSigns,
)
from patients.news2 import COMPLETE_SET, RED_SCORE, News2Reading, news2_reading, red_parameters
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
# What a row of the directory's results shows (the age comes from birth and death dates).
DIRECTORY_COLUMNS = (
    "mrn", "first_name", "last_name", "date_of_birth", "date_of_death", "sex", "state",
)  # fmt: skip
HISTORY_LIMIT = 20
SEARCH_LIMIT = 30
SEARCH_QUERY_LENGTH = 100


def _merged_mrn(mrn: str) -> Q:
    """The record a merged duplicate's MRN now stands for (a merge keeps the old MRN)."""
    survivors = list(
        Patient.all_objects.filter(mrn__iexact=mrn, merged_into__isnull=False).values_list(
            "merged_into_id", flat=True
        )
    )
    return Q(pk__in=survivors) if survivors else Q(pk__in=[])


def _mrn_or_merged_mrn(word: str) -> Q:
    # Only a word with a digit can be an MRN; names are not looked up a second time.
    if not any(ch.isdigit() for ch in word):
        return Q(mrn__iexact=word)
    return Q(mrn__iexact=word) | _merged_mrn(word)


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
            Q(first_name__istartswith=word)
            | Q(last_name__istartswith=word)
            | _mrn_or_merged_mrn(word)
        )
    if mrn.strip():
        patients = patients.filter(Q(mrn__istartswith=mrn.strip()) | _merged_mrn(mrn.strip()))
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
    # Only the columns a result row shows: the database sorts every match before it can
    # hand out a page, and narrow rows sort faster.
    patients = patients.only(*DIRECTORY_COLUMNS)
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
    `vitals_oldest_first` holds the latest readings across all encounters, for the trend;
    `latest_complete_vitals` the latest set that holds every NEWS2 parameter.
    """

    patient: Patient
    encounters_page: Page
    coverages: list[Coverage]
    emergency_contacts: list[EmergencyContact]
    allergies: list[Allergy]
    vitals_oldest_first: list[VitalSigns] = field(default_factory=list)
    recent_results: list[LabResult] = field(default_factory=list)
    latest_complete_vitals: VitalSigns | None = None
    problems: list[Diagnosis] = field(default_factory=list)
    medications: list[Prescription] = field(default_factory=list)

    @property
    def allergy_status(self) -> "AllergyStatus":
        return allergy_status_of(self.allergies)

    @property
    def encounters(self) -> list[Encounter]:
        return self.encounters_page.object_list

    @property
    def news2(self) -> News2Reading:
        latest = self.vitals_oldest_first[-1] if self.vitals_oldest_first else None
        return news2_reading(latest, self.latest_complete_vitals, age=self.patient.age)


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


@dataclass(frozen=True)
class PatientBanner:
    """The strip at the top of every chart page: who this is and what matters right now.

    `encounter` is the latest open encounter, else the latest one (`encounter.is_open` says).
    """

    patient: Patient
    allergies: "AllergyStatus"
    encounter: Encounter | None
    remote_alerts: list = field(default_factory=list)


@dataclass(frozen=True)
class RemoteAlert:
    """A device reading of the last day with a parameter far outside the usual range."""

    vitals: VitalSigns
    parameters: list[str]


REMOTE_ALERT_HOURS = 24
REMOTE_ALERTS_SHOWN = 3


def remote_alerts(patient: Patient) -> list[RemoteAlert]:
    since = timezone.now() - dt.timedelta(hours=REMOTE_ALERT_HOURS)
    readings = VitalSigns.objects.filter(
        RED_SCORE,
        encounter__patient=patient,
        encounter__reason=REMOTE_MONITORING_REASON,
        recorded_at__gte=since,
    ).order_by("-recorded_at", "-id")[:REMOTE_ALERTS_SHOWN]
    return [RemoteAlert(vitals=v, parameters=red_parameters(v)) for v in readings]


def _remote_monitoring():
    """1 for the encounter device readings feed: never the current visit, nor the one a
    clinician records into, while another encounter is open."""
    return Case(
        When(reason=REMOTE_MONITORING_REASON, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def patient_banner(patient: Patient) -> PatientBanner:
    """Two queries, whatever the record holds (a third while devices feed the record)."""
    open_first = Case(
        When(Encounter.open_q(), then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    monitored = Encounter.objects.filter(
        Encounter.open_q(), patient=OuterRef("patient"), reason=REMOTE_MONITORING_REASON
    )
    encounter = (
        Encounter.objects.filter(patient=patient)
        .annotate(
            open_now=open_first,
            is_remote=_remote_monitoring(),
            remote_monitored=Exists(monitored),
        )
        .order_by("-open_now", "is_remote", "-admitted_at", "-id")
        .first()
    )
    # The readings are asked for only while devices feed an open remote-monitoring encounter.
    monitoring = encounter is not None and encounter.remote_monitored
    return PatientBanner(
        patient=patient,
        allergies=allergy_status(patient),
        encounter=encounter,
        remote_alerts=remote_alerts(patient) if monitoring else [],
    )


def _open_encounters_user_on_team_first(user, patient: Patient) -> QuerySet[Encounter]:
    live = grants.live_care_assignments().filter(encounter=OuterRef("pk"), provider__user=user)
    return (
        Encounter.objects.filter(Encounter.open_q(), patient=patient)
        .annotate(on_team=Exists(live), is_remote=_remote_monitoring())
        .order_by("-on_team", "is_remote", "-admitted_at", "-id")
    )


def open_encounter_for(user, patient: Patient) -> Encounter | None:
    """The open encounter a user records into: the latest on whose live care team they are,
    else the latest open one (under an emergency access, say). Never a finished encounter."""
    return _open_encounters_user_on_team_first(user, patient).first()


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


RECENT_RESULTS = 30


def _patient_vitals(patient: Patient) -> QuerySet[VitalSigns]:
    return VitalSigns.objects.filter(
        encounter__patient=patient, encounter__deleted_at__isnull=True
    ).order_by("-recorded_at", "-id")


def _latest_vitals_oldest_first(patient: Patient) -> list[VitalSigns]:
    return list(_patient_vitals(patient)[:VITALS_TREND_POINTS])[::-1]


def patient_chart(
    patient: Patient, *, encounters_page=1, per_page: int | None = CHART_ENCOUNTERS_PER_PAGE
) -> PatientChart:
    """The patient's chart with one page of encounters (`per_page=None`: all of them).

    A fixed number of queries whatever the number of encounters (tests/test_chart.py).
    A page number that is not a number gives page 1, one out of range the last page.
    """
    return PatientChart(
        patient=patient,
        encounters_page=_encounters_page(patient, encounters_page, per_page),
        coverages=list(
            Coverage.objects.filter(patient=patient).select_related("payer").order_by("-start_date")
        ),
        emergency_contacts=list(EmergencyContact.objects.filter(patient=patient)),
        allergies=list(Allergy.objects.filter(patient=patient).order_by("-onset_date", "-id")),
        vitals_oldest_first=_latest_vitals_oldest_first(patient),
        recent_results=list(
            LabResult.objects.filter(encounter__patient=patient, encounter__deleted_at__isnull=True)
            .select_related("lab_test")
            .order_by("-observed_at", "-id")[:RECENT_RESULTS]
        ),
        latest_complete_vitals=_patient_vitals(patient).filter(COMPLETE_SET).first(),
        problems=problem_list(patient),
        medications=medication_list(patient),
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
    tracked field as `previous_<attname>` (at most two queries, whatever the number of
    versions: the rows, then the versions of the records that a change row touched)."""
    fields = _tracked_fields(model)
    rows = list(
        model.history.filter(**{patient_path: patient.pk})
        .select_related("history_user", *related)
        .order_by("-history_date", "-history_id")[:limit]
    )
    changes = [row for row in rows if row.history_type == "~"]
    versions: dict[int, list[dict]] = {}
    if changes:
        attnames = [field.attname for field in fields]
        for version in (
            model.history.filter(id__in={row.id for row in changes})
            .order_by("id", "history_date", "history_id")
            .values("id", "history_id", *attnames)
        ):
            versions.setdefault(version["id"], []).append(version)
    for row in changes:
        earlier = None
        for version in versions.get(row.id, []):
            if version["history_id"] == row.history_id:
                break
            earlier = version
        for tracked in fields:
            setattr(row, f"previous_{tracked.attname}", (earlier or {}).get(tracked.attname))
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
WARD_LIST_LIMIT = 50


@dataclass
class WardPatient:
    """A patient on the user's care team with an open encounter, as the home page lists them."""

    assignment: CareAssignment
    allergies: list[str]
    no_known_allergies: bool
    last_vitals_at: dt.datetime | None
    news2: News2Reading
    vitals_due: bool

    @property
    def patient(self) -> Patient:
        return self.assignment.encounter.patient

    @property
    def encounter(self) -> Encounter:
        return self.assignment.encounter

    @property
    def allergy_summary(self) -> str:
        if self.allergies:
            return ", ".join(self.allergies)
        return "No known allergies" if self.no_known_allergies else "Allergies not assessed"


@dataclass
class ClinicianWorklist:
    patients: list[Patient]
    ward: list[WardPatient]
    recent_notes: list[dict]
    notes_down: bool = False

    def patient_ids_shown(self) -> list[int]:
        """Every patient the home page names: my patients, the ward list, my recent notes."""
        return [
            *(patient.pk for patient in self.patients),
            *(row.patient.pk for row in self.ward),
            *(note["patient_id"] for note in self.recent_notes if note["patient"]),
        ]


def _open_assignments(user) -> list[CareAssignment]:
    """The user's current assignments to open encounters, one per patient (the latest
    admission), with the time of the patient's last vitals and the id of the latest
    complete set annotated."""
    patient_vitals = VitalSigns.objects.filter(
        encounter__patient_id=OuterRef("encounter__patient_id"),
        encounter__deleted_at__isnull=True,
    ).order_by("-recorded_at", "-id")
    assignments = (
        CareAssignment.objects.filter(
            provider__user=user,
            ended_at__isnull=True,
            encounter__discharged_at__isnull=True,
            encounter__deleted_at__isnull=True,
            encounter__patient__deleted_at__isnull=True,
        )
        .exclude(encounter__status=Encounter.Status.CANCELLED)
        .select_related("encounter__patient")
        .annotate(
            last_vitals_at=Subquery(patient_vitals.values("recorded_at")[:1]),
            latest_complete_vitals_id=Subquery(
                patient_vitals.filter(COMPLETE_SET).values("id")[:1]
            ),
        )
        .order_by("-encounter__admitted_at", "-id")[:WARD_LIST_LIMIT]
    )
    latest_per_patient = {}
    for assignment in assignments:
        latest_per_patient.setdefault(assignment.encounter.patient_id, assignment)
    return sorted(
        latest_per_patient.values(),
        key=lambda a: (a.encounter.patient.last_name, a.encounter.patient.first_name, a.pk),
    )


def _ward(user) -> list[WardPatient]:
    """The ward list in 3 queries, whatever the number of patients and vital signs."""
    assignments = _open_assignments(user)
    if not assignments:
        return []
    patient_ids = [a.encounter.patient_id for a in assignments]
    allergies: dict[int, list[Allergy]] = {pk: [] for pk in patient_ids}
    for allergy in (
        Allergy.objects.filter(patient_id__in=patient_ids).active().order_by("description", "id")
    ):
        allergies[allergy.patient_id].append(allergy)
    complete = VitalSigns.objects.in_bulk(
        [a.latest_complete_vitals_id for a in assignments if a.latest_complete_vitals_id]
    )
    due_before = timezone.now() - dt.timedelta(hours=settings.VITALS_DUE_AFTER_HOURS)
    ward = []
    for assignment in assignments:
        allergy = allergy_status_of(allergies[assignment.encounter.patient_id])
        latest_complete = complete.get(assignment.latest_complete_vitals_id)
        ward.append(
            WardPatient(
                assignment=assignment,
                allergies=[a.description for a in allergy.allergies],
                no_known_allergies=allergy.state == AllergyStatus.NONE_KNOWN,
                last_vitals_at=assignment.last_vitals_at,
                news2=news2_reading(None, latest_complete, age=assignment.encounter.patient.age),
                vitals_due=assignment.last_vitals_at is None
                or assignment.last_vitals_at < due_before,
            )
        )
    return ward


def clinician_worklist(user) -> ClinicianWorklist:
    """A clinician's home: their patients, those with an open encounter (the ward list) and
    the notes they wrote."""
    patients = list(Patient.objects.visible_to(user).order_by("last_name", "first_name", "id")[:50])
    worklist = ClinicianWorklist(
        patients=patients[:HOME_LIST_LIMIT], ward=_ward(user), recent_notes=[]
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


# Problem, medication and allergy lists ------------------------------------------------------


def problem_list(patient: Patient) -> list[Diagnosis]:
    """Every diagnosis of the patient across encounters: active first, then resolved, then
    those entered in error (shown apart, never counted as active); newest onset first."""
    status_order = Case(
        When(status=Diagnosis.Status.ACTIVE, then=Value(0)),
        When(status=Diagnosis.Status.RESOLVED, then=Value(1)),
        default=Value(2),
    )
    return list(
        Diagnosis.objects.filter(encounter__patient=patient, encounter__deleted_at__isnull=True)
        .select_related("condition", "encounter", *_provider_related("diagnosed_by"))
        .annotate(status_order=status_order)
        .order_by("status_order", "-onset_date", "-id")
    )


def medication_list(patient: Patient, *, today: dt.date | None = None) -> list[Prescription]:
    """The patient's active prescriptions across encounters: not stopped, not ended before
    today and not replaced by a renewal; newest start first."""
    today = today or timezone.localdate()
    # A renewal is written in one of the patient's own encounters, so renewals are found
    # from the patient; a lookup row by row through `renewed_from` would read the whole
    # table, as SQLite and MariaDB both judge that index useless (almost every value is NULL).
    renewed = Prescription.objects.filter(
        encounter__patient=patient, renewed_from__isnull=False
    ).values("renewed_from_id")
    return list(
        Prescription.objects.current(today)
        .filter(encounter__patient=patient, encounter__deleted_at__isnull=True)
        .exclude(pk__in=renewed)
        .select_related("medication", "encounter", *_provider_related("prescriber"))
        .order_by("-start_date", "-id")
    )


@dataclass(frozen=True)
class AllergyStatus:
    """What the chart says about allergies: `state` is "listed" (the active `allergies`),
    "none_known" (an active "no known allergies" assertion) or "not_assessed"."""

    state: str
    allergies: tuple = ()

    LISTED = "listed"
    NONE_KNOWN = "none_known"
    NOT_ASSESSED = "not_assessed"


def allergy_status_of(allergies) -> AllergyStatus:
    """The status from the patient's allergy rows already loaded (no query)."""
    active = [allergy for allergy in allergies if allergy.is_active]
    substances = tuple(allergy for allergy in active if not allergy.is_none_known_assertion)
    if substances:
        return AllergyStatus(AllergyStatus.LISTED, substances)
    if active:
        return AllergyStatus(AllergyStatus.NONE_KNOWN)
    return AllergyStatus(AllergyStatus.NOT_ASSESSED)


def allergy_status(patient: Patient) -> AllergyStatus:
    """ "No known allergies", "Allergies not assessed" or the active allergies (1 query)."""
    return allergy_status_of(Allergy.objects.filter(patient=patient).active())


_SUBSTANCE_TAG = re.compile(r"\s*\((substance|organism|product|disorder|finding)\)\s*$", re.I)
_ALLERGY_WORDING = re.compile(r"^\s*allergy to\s+|\s+allergy\s*$", re.I)


def allergy_substance_name(description: str) -> str:
    """The substance an allergy names: "Allergy to penicillin" and "Penicillin (substance)"
    both give "penicillin"."""
    name = _SUBSTANCE_TAG.sub("", description)
    return _ALLERGY_WORDING.sub("", name).strip().lower()


def allergies_matching(patient: Patient, medication: Medication) -> list[Allergy]:
    """The patient's active allergies a medication matches (1 query).

    The rule: an active allergy (see `Allergy.objects.active()`; not the "no known
    allergies" assertion) matches when its substance name, without the wording "Allergy
    to ..." / "... allergy" and a trailing SNOMED CT tag such as "(substance)", appears in
    the medication's name as whole words, ignoring case ("Penicillin V" matches "Penicillin
    V Potassium 250 MG Oral Tablet"); or when the allergy is coded in RxNorm, the
    formulary's code system, and its code is the medication's code. Drug classes match only
    by name: "Penicillin" does not match "Amoxicillin".
    """
    matches = []
    for allergy in Allergy.objects.filter(patient=patient).active().substances():
        name = allergy_substance_name(allergy.description)
        by_name = bool(name) and re.search(
            rf"(?<!\w){re.escape(name)}(?!\w)", medication.name, re.IGNORECASE
        )
        by_code = (
            allergy.code_system.lower() == RXNORM.lower()
            and allergy.code
            and allergy.code == medication.code
        )
        if by_name or by_code:
            matches.append(allergy)
    return matches


def open_encounter_on_care_team(user, patient: Patient) -> Encounter | None:
    """The patient's newest open encounter on whose live care team the user is, or None."""
    return _open_encounters_user_on_team_first(user, patient).filter(on_team=True).first()


def registration_step_context(patient: Patient, step: str) -> dict:
    """What a registration step shows beside its form: what is on file already."""
    if step == RegistrationStep.EMERGENCY_CONTACTS:
        return {"on_file": list(patient.emergency_contacts.order_by("pk"))}
    if step == RegistrationStep.COVERAGE:
        return {"on_file": list(patient.coverages.select_related("payer").order_by("pk"))}
    return {}


def merges_into(patient: Patient) -> list[PatientMerge]:
    """The records merged into this one (undone merges too: the chart says so)."""
    return list(
        PatientMerge.objects.filter(survivor=patient).select_related("merged", "merged_by")[:20]
    )


def merged_into_pk(pk) -> int | None:
    """The surviving record of a merged one, following merges of merges; else None."""
    try:
        current = int(pk)
    except (TypeError, ValueError, OverflowError):
        return None
    for _hop in range(10):
        following = (
            Patient.all_objects.filter(pk=current, merged_into__isnull=False)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if following is None:
            break
        current = following
    return current if current != int(pk) else None
