"""Reads that span models: the patient directory search, the whole chart of one patient, the
care team of an encounter and the searches that fill the recording forms' choices."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from access import grants
from core.documents import DocumentStoreUnavailable
from patients.allergens import RXNORM
from patients.models import (
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
    problems: list[Diagnosis] = field(default_factory=list)
    medications: list[Prescription] = field(default_factory=list)

    @property
    def allergy_status(self) -> "AllergyStatus":
        return allergy_status_of(self.allergies)

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

    14 queries whatever the number of encounters (13 for all of them: nothing to count).
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


_HISTORY_ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def patient_change_history(patient: Patient, *, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The latest changes to the patient's record and its encounters (2 queries)."""
    rows = list(
        Patient.history.filter(id=patient.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )
    rows += list(
        Encounter.history.filter(patient_id=patient.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )
    rows.sort(key=lambda row: row.history_date, reverse=True)
    entries = []
    for row in rows[:limit]:
        what = (
            "Patient record"
            if row.instance_type is Patient
            else f"Encounter {row.admitted_at:%Y-%m-%d} ({row.get_encounter_class_display()})"
        )
        who = row.history_user.get_username() if row.history_user else "system"
        entries.append(
            HistoryEntry(
                when=row.history_date,
                what=what,
                action=_HISTORY_ACTIONS.get(row.history_type, row.history_type),
                who=who,
                reason=row.history_change_reason or "",
            )
        )
    return entries


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
    renewed = Prescription.objects.filter(renewed_from=OuterRef("pk"))
    return list(
        Prescription.objects.current(today)
        .filter(encounter__patient=patient, encounter__deleted_at__isnull=True)
        .exclude(Exists(renewed))
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
    assignments = grants.live_care_assignments().filter(
        encounter=OuterRef("pk"), provider__user=user
    )
    return (
        Encounter.objects.filter(patient=patient, discharged_at__isnull=True)
        .exclude(status=Encounter.Status.CANCELLED)
        .filter(Exists(assignments))
        .order_by("-admitted_at", "-id")
        .first()
    )
