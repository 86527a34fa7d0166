"""The original PHMS design's sample SQL queries, as ORM selectors.

Each takes an optional `patients` scope (default: every patient) so callers pass
`Patient.objects.visible_to(user)`. Soft-deleted rows never count: a deleted patient,
encounter, bill, diagnosis or contact is left out even when the scope includes it.
"""

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils import timezone

from billing.models import Bill
from patients.document_selectors import (
    COVID19_CVX_CODES,
    INFLUENZA_CVX_CODES,
    completed_vaccination_events,
)
from patients.models import (
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    Medication,
    Patient,
    Payer,
)
from reports.filters import AGE_BAND_BY_KEY, AGE_BANDS, ReportFilters, birth_dates_of_age_band
from scheduling.selectors import day_bounds


def _scope(patients: QuerySet | None) -> QuerySet:
    """The living patients of the caller's scope, as a subquery of ids."""
    scope = Patient.objects.all() if patients is None else patients
    return scope.filter(deleted_at__isnull=True).values("pk")


def _encounters(patients: QuerySet | None) -> QuerySet:
    return Encounter.objects.filter(patient__in=_scope(patients))


def encounters_with_dates(*, patients: QuerySet | None = None) -> QuerySet:
    """Every encounter with its admit and discharge dates (discharge is None while open).

    SELECT encounter_id, patient_id, admit_date, discharge_date FROM PatientEncounter
    """
    return (
        _encounters(patients)
        .order_by("admitted_at", "pk")
        .values(
            "pk",
            "patient_id",
            "patient__mrn",
            "encounter_class",
            "admitted_at",
            "discharged_at",
        )
    )


def sanctioned_amount_per_encounter(*, patients: QuerySet | None = None) -> QuerySet:
    """Total sanctioned (payer-approved) claim amount per encounter that has bills.

    SELECT encounter_id, SUM(sanctioned_amount) FROM Billing GROUP BY encounter_id
    """
    return (
        Bill.objects.filter(encounter__in=_encounters(patients))
        .values("encounter_id")
        .annotate(total_sanctioned=Sum("sanctioned_amount"), bills=Count("pk"))
        .order_by("encounter_id")
    )


def distinct_diagnosis_code_count(*, patients: QuerySet | None = None) -> int:
    """How many different diagnosis codes (code system + code) have been recorded.

    SELECT COUNT(DISTINCT diagnosis_code) FROM Diagnosis
    """
    return Diagnosis.objects.filter(encounter__in=_encounters(patients)).aggregate(
        codes=Count("condition", distinct=True)
    )["codes"]


def patients_diagnosed_with(condition: str, *, patients: QuerySet | None = None) -> QuerySet:
    """Patients with a diagnosis whose condition name or code is `condition` (any case).

    SELECT * FROM Patient WHERE patient_id IN
        (SELECT patient_id FROM Diagnosis WHERE diagnosis_name = 'Hypertension')
    """
    diagnosed = Diagnosis.objects.filter(
        Q(condition__name__iexact=condition) | Q(condition__code__iexact=condition),
        encounter__in=_encounters(patients),
    ).values("encounter__patient_id")
    return Patient.objects.filter(pk__in=diagnosed).order_by("last_name", "first_name", "pk")


def patients_with_emergency_contact_count(*, patients: QuerySet | None = None) -> int:
    """How many patients have at least one emergency contact.

    SELECT COUNT(DISTINCT patient_id) FROM PatientEmergencyContact
    """
    with_contact = EmergencyContact.objects.values("patient_id")
    return Patient.objects.filter(pk__in=_scope(patients)).filter(pk__in=with_contact).count()


def medications_by_price(*, patients: QuerySet | None = None) -> QuerySet:
    """Medications, highest unit price first. Without a scope, the whole formulary;
    with one, the medications prescribed to those patients.

    SELECT * FROM MedicationDetails ORDER BY price DESC
    """
    medications = Medication.objects.all()
    if patients is not None:
        medications = medications.filter(
            prescriptions__deleted_at__isnull=True,
            prescriptions__encounter__in=_encounters(patients),
        ).distinct()
    return medications.order_by("-unit_price", "name")


def emergency_contacts_by_last_name(*, patients: QuerySet | None = None) -> QuerySet:
    """Emergency contacts sorted by last name (then first name), with their patient.

    SELECT * FROM PatientEmergencyContact ORDER BY last_name
    """
    return (
        EmergencyContact.objects.filter(patient__in=_scope(patients))
        .select_related("patient")
        .order_by("last_name", "first_name", "pk")
    )


# Analytics: aggregated in the database, handed to pandas as a few hundred rows ------------
#
# Every selector below takes the caller's scope (`Patient.objects.visible_to(user)`) and a
# `ReportFilters`, and returns DataFrames whose "patients" column counts distinct patients,
# so that small cells can be suppressed (`reports.suppression`).

NO_FILTERS = ReportFilters()
CENT = Decimal("0.01")
SEX_LABELS = dict(Patient.Sex.choices)
CLASS_LABELS = dict(Encounter.EncounterClass.choices)
STATUS_LABELS = dict(Bill.Status.choices)
# Claim amounts are counted in bands ten to a decade ($1.00, $1.26, $1.58 ... $10M): the
# quartiles drawn in the box plot are read from these counts, to within one band.
AMOUNT_BAND_EDGES = tuple(Decimal(f"{10 ** (step / 10):.2f}") for step in range(71))


def scoped_patients(patients: QuerySet | None, filters: ReportFilters, *, today: dt.date):
    """The living patients of the scope that pass the patient filters (state, sex, age, payer)."""
    scope = (Patient.objects.all() if patients is None else patients).filter(
        deleted_at__isnull=True
    )
    if filters.state:
        scope = scope.filter(state=filters.state)
    if filters.sex:
        scope = scope.filter(sex=filters.sex)
    if filters.age_band:
        earliest, latest = birth_dates_of_age_band(AGE_BAND_BY_KEY[filters.age_band], today)
        scope = scope.filter(date_of_birth__lte=latest)
        if earliest is not None:
            scope = scope.filter(date_of_birth__gte=earliest)
    if filters.payer_id:
        covered = Coverage.objects.filter(payer_id=filters.payer_id).values("patient_id")
        scope = scope.filter(pk__in=covered)
    return scope


def _has_patient_filters(filters: ReportFilters) -> bool:
    return bool(filters.state or filters.sex or filters.age_band or filters.payer_id)


def _of_scoped_patients(rows: QuerySet, patient_field: str, patients, filters, today):
    """`rows` of the scope's patients that pass the patient filters. Everyone's rows, with
    no patient filter, need no look at the patients: deleting a patient soft-deletes its
    encounters and everything recorded in them, which the default managers hide."""
    if patients is None and not _has_patient_filters(filters):
        return rows
    scope = scoped_patients(patients, filters, today=today).values("pk")
    return rows.filter(**{f"{patient_field}__in": scope})


def _age_band_case(field: str, today: dt.date) -> Case:
    whens = []
    for band in AGE_BANDS:
        earliest, latest = birth_dates_of_age_band(band, today)
        bounds = {f"{field}__lte": latest}
        if earliest is not None:
            bounds[f"{field}__gte"] = earliest
        whens.append(When(then=Value(band.key), **bounds))
    return Case(*whens, default=Value(""), output_field=CharField())


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def birth_year_distribution(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    by="year",
    today: dt.date,
) -> pd.DataFrame:
    """Patients per year (or decade) of birth and sex: columns period, sex, patients."""
    rows = (
        scoped_patients(patients, filters, today=today)
        # The first four characters of the date, read natively by both databases (Django's
        # SQLite ExtractYear is a Python function called per row).
        .annotate(year=Substr(Cast("date_of_birth", CharField()), 1, 4))
        .values("year", "sex")
        .annotate(patients=Count("pk"))
        .order_by()
        .values_list("year", "sex", "patients")
    )
    frame = _frame(rows, ["period", "sex", "patients"])
    frame["period"] = frame["period"].astype(int)
    if by == "decade":
        frame["period"] = frame["period"] // 10 * 10
    frame["sex"] = frame["sex"].map(SEX_LABELS)
    return (
        frame.groupby(["period", "sex"], as_index=False)["patients"]
        .sum()
        .sort_values(["period", "sex"], ignore_index=True)
    )


def diagnosis_frequencies(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
) -> pd.DataFrame:
    """Every diagnosed condition with its distinct patients and its count of diagnoses
    (entered-in-error diagnoses left out): columns code, condition, patients, diagnoses."""
    diagnoses = _of_scoped_patients(
        _diagnoses(filters), "encounter__patient", patients, filters, today
    )
    rows = (
        diagnoses.values("condition__code", "condition__name")
        .annotate(patients=Count("encounter__patient_id", distinct=True), diagnoses=Count("pk"))
        .order_by()
        .values_list("condition__code", "condition__name", "patients", "diagnoses")
    )
    return _frame(rows, ["code", "condition", "patients", "diagnoses"])


def _diagnoses(filters: ReportFilters) -> QuerySet:
    """Live diagnoses (not entered in error) of live encounters, in the filters' dates and
    encounter class."""
    diagnoses = Diagnosis.objects.filter(encounter__deleted_at__isnull=True).exclude(
        status=Diagnosis.Status.ENTERED_IN_ERROR
    )
    if filters.date_from:
        diagnoses = diagnoses.filter(onset_date__gte=filters.date_from)
    if filters.date_to:
        diagnoses = diagnoses.filter(onset_date__lte=filters.date_to)
    if filters.encounter_class:
        diagnoses = diagnoses.filter(encounter__encounter_class=filters.encounter_class)
    return diagnoses


def top_diagnoses(frequencies: pd.DataFrame, *, rank_by: str, count: int = 10) -> pd.DataFrame:
    """The `count` most frequent conditions by "patients" or "diagnoses", ties by name."""
    other = "diagnoses" if rank_by == "patients" else "patients"
    ranked = frequencies.sort_values(
        [rank_by, other, "condition"], ascending=[False, False, True], ignore_index=True
    ).head(count)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked


def _bills(patients, filters, today):
    bills = _of_scoped_patients(Bill.objects.all(), "patient", patients, filters, today)
    if filters.date_from:
        bills = bills.filter(issued_on__gte=filters.date_from)
    if filters.date_to:
        bills = bills.filter(issued_on__lte=filters.date_to)
    if filters.encounter_class:
        bills = bills.filter(encounter__encounter_class=filters.encounter_class)
    return bills


def _patient_count(count_patients: bool) -> dict:
    """Distinct patients per group, asked only when small cells are to be suppressed: it is
    the costliest part of a grouping, and administrators see every number."""
    return {"patients": Count("patient_id", distinct=True)} if count_patients else {}


def claim_totals_by_status_and_payer(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
    count_patients: bool = True,
) -> pd.DataFrame:
    """Bills per status and payer: columns status, payer, (patients,) bills, billed, paid by
    insurance, paid by patients, adjusted."""
    sums = {
        "billed": Sum("total_amount"),
        "insurance_sum": Sum("insurance_paid"),
        "patient_sum": Sum("patient_paid"),
        "adjusted_sum": Sum("adjusted"),
    }
    counts = {**_patient_count(count_patients), "bills": Count("pk")}
    rows = (
        _bills(patients, filters, today)
        .values("status", "payer_id")
        .annotate(**counts, **sums)
        .order_by()
        .values_list("status", "payer_id", *counts, *sums)
    )
    money = ["billed", "insurance paid", "patient paid", "adjusted"]
    frame = _frame(rows, ["status", "payer", *counts, *money])
    payer_names = dict(
        Payer.objects.filter(pk__in=set(frame["payer"].dropna())).values_list("pk", "name")
    )
    frame["status"] = frame["status"].map(STATUS_LABELS)
    frame["payer"] = frame["payer"].map(lambda pk: payer_names.get(pk, "Self-pay"))
    for column in money:
        frame[column] = frame[column].map(lambda value: Decimal(value or 0).quantize(CENT))
    return frame.sort_values(["status", "payer"], ignore_index=True)


def claim_amount_distribution(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
    count_patients: bool = True,
) -> pd.DataFrame:
    """Per status: (patients,) bills, the smallest and largest amount (exact), and the 5th,
    25th, 50th, 75th and 95th percentiles of the billed amount, estimated from the count of
    bills in each amount band (`AMOUNT_BAND_EDGES`)."""
    bills = _bills(patients, filters, today)
    counts = {**_patient_count(count_patients), "bills": Count("pk")}
    extents = {
        status: rest
        for status, *rest in bills.values("status")
        .annotate(**counts, low=Min("total_amount"), high=Max("total_amount"))
        .order_by()
        .values_list("status", *counts, "low", "high")
    }
    band = _amount_band()
    banded: dict[str, list[tuple[int, int]]] = {}
    for status, index, count in (
        bills.annotate(band=band)
        .values("status", "band")
        .annotate(bills=Count("pk"))
        .order_by("status", "band")
        .values_list("status", "band", "bills")
    ):
        banded.setdefault(status, []).append((index, count))
    records = []
    for status, (*counted, low, high) in sorted(extents.items()):
        quantiles = _banded_quantiles(banded.get(status, []), counted[-1], low, high)
        records.append(
            {
                "status": STATUS_LABELS.get(status, status),
                **dict(zip(counts, counted, strict=True)),
                "lowest": Decimal(low).quantize(CENT),
                **quantiles,
                "highest": Decimal(high).quantize(CENT),
            }
        )
    columns = ["status", *counts, "lowest", *QUANTILE_COLUMNS, "highest"]
    return pd.DataFrame.from_records(records, columns=columns)


def _amount_band() -> Case:
    """The index of the first band edge above the amount: a decade first, then the band
    within it (about 8 comparisons a bill instead of up to 71)."""
    edges = list(enumerate(AMOUNT_BAND_EDGES))
    decades = []
    for start in range(0, len(edges), 10):
        decade = edges[start : start + 10]
        inner = Case(
            *(When(total_amount__lt=edge, then=Value(index)) for index, edge in decade),
            default=Value(decade[-1][0] + 1),
            output_field=IntegerField(),
        )
        decades.append(When(total_amount__lt=decade[-1][1], then=inner))
    return Case(*decades, default=Value(len(AMOUNT_BAND_EDGES)), output_field=IntegerField())


QUANTILES = {"p5": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
QUANTILE_COLUMNS = tuple(QUANTILES)


def _banded_quantiles(bands, total, low, high) -> dict[str, Decimal]:
    """Quantiles from counts per amount band, linear within a band, clamped to the exact
    smallest and largest amounts."""
    low, high = Decimal(low), Decimal(high)
    edges = (Decimal(0), *AMOUNT_BAND_EDGES, high)
    result = {}
    for name, fraction in QUANTILES.items():
        target = Decimal(str(fraction)) * total
        seen = 0
        value = high
        for index, count in bands:
            if seen + count >= target:
                start = max(edges[index], low)
                end = min(edges[index + 1] if index + 1 < len(edges) else high, high)
                share = (target - seen) / count if count else Decimal(0)
                value = start + (end - start) * share
                break
            seen += count
        result[name] = min(max(value, low), high).quantize(CENT)
    return result


def encounters_per_month(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
    count_patients: bool = True,
) -> pd.DataFrame:
    """Encounters per month of admission and class: columns month, class, patients,
    encounters. Without dates, the last 24 months to today."""
    start = filters.date_from or (today.replace(day=1) - dt.timedelta(days=730)).replace(day=1)
    end = filters.date_to or today
    encounters = Encounter.objects.filter(
        admitted_at__gte=day_bounds(start)[0],
        admitted_at__lt=day_bounds(end)[1],
    )
    encounters = _of_scoped_patients(encounters, "patient", patients, filters, today)
    if filters.encounter_class:
        encounters = encounters.filter(encounter_class=filters.encounter_class)
    rows = (
        encounters.annotate(month=_month_of("admitted_at"))
        .values("month", "encounter_class")
        .annotate(**_patient_count(count_patients), encounters=Count("pk"))
        .order_by()
    )
    columns = ["month", "class", *(["patients"] if count_patients else []), "encounters"]
    frame = _frame(rows.values_list("month", "encounter_class", *columns[2:]), columns)
    frame["month"] = frame["month"].map(
        lambda month: month if isinstance(month, str) else f"{month:%Y-%m}"
    )
    frame["class"] = frame["class"].map(CLASS_LABELS)
    return frame.sort_values(["month", "class"], ignore_index=True)


def _month_of(field: str):
    """The month of a timestamp in the current time zone. In UTC (the default), the first
    seven characters of the stored value, which both databases read natively (Django's
    SQLite TruncMonth is a Python function called per row)."""
    if timezone.get_current_timezone_name() == "UTC":
        return Substr(Cast(field, CharField()), 1, 7)
    return TruncMonth(field)


def patients_per_state(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
) -> pd.DataFrame:
    """Patients per state of residence, most first: columns state, patients."""
    rows = (
        scoped_patients(patients, filters, today=today)
        .values("state")
        .annotate(patients=Count("pk"))
        .order_by()
        .values_list("state", "patients")
    )
    frame = _frame(rows, ["state", "patients"])
    frame["state"] = frame["state"].replace("", "Not recorded")
    return frame.sort_values(["patients", "state"], ascending=[False, True], ignore_index=True)


def patients_with_condition_by_age_and_sex(
    condition: str,
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
) -> pd.DataFrame:
    """Patients with a diagnosis of the condition (code, or name containing the words),
    per age band today and sex: columns age, sex, patients."""
    term = condition.strip()
    diagnoses = _diagnoses(filters).filter(
        Q(condition__code__iexact=term) | Q(condition__name__icontains=term)
    )
    diagnosed = scoped_patients(patients, filters, today=today).filter(
        pk__in=diagnoses.values("encounter__patient_id")
    )
    return _by_age_and_sex(diagnosed, today)


def _by_age_and_sex(patients: QuerySet, today: dt.date) -> pd.DataFrame:
    rows = (
        patients.annotate(age=_age_band_case("date_of_birth", today))
        .values("age", "sex")
        .annotate(patients=Count("pk"))
        .order_by()
        .values_list("age", "sex", "patients")
    )
    frame = _frame(rows, ["age", "sex", "patients"])
    order = {band.key: index for index, band in enumerate(AGE_BANDS)}
    frame["sex"] = frame["sex"].map(SEX_LABELS)
    frame = frame.sort_values(["age", "sex"], key=lambda c: c.map(order) if c.name == "age" else c)
    return frame.reset_index(drop=True)


def patients_per_payer(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
) -> pd.DataFrame:
    """Patients who have had coverage with each payer (any period), most first: columns
    payer, patients."""
    scope = scoped_patients(patients, filters, today=today).values("pk")
    rows = (
        Coverage.objects.filter(patient__in=scope)
        .values("payer__name")
        .annotate(patients=Count("patient_id", distinct=True))
        .order_by()
        .values_list("payer__name", "patients")
    )
    frame = _frame(rows, ["payer", "patients"])
    return frame.sort_values(["patients", "payer"], ascending=[False, True], ignore_index=True)


def report_states(*, patients: QuerySet | None = None) -> list[str]:
    """The states the scope's patients live in, for the state filter. For everyone (None),
    read from the state index alone: a state only a deleted patient had is offered too,
    and counts nothing."""
    scope = Patient.all_objects.all() if patients is None else patients
    return list(
        scope.exclude(state="").order_by("state").values_list("state", flat=True).distinct()
    )


# Vaccinations: the events come from the document store, the patients from SQL -------------

VACCINE_GROUPS = {"COVID-19": COVID19_CVX_CODES, "Influenza": INFLUENZA_CVX_CODES}
# Patient ids travel to SQL in chunks of this many (an IN list per chunk).
ID_CHUNK = 5000


def _vaccinated_patients(filters: ReportFilters) -> dict[int, dict[str, str]]:
    """Per patient id: {CVX code: vaccine name} of completed, live events in the dates.

    One pass over the collection with a projection; no demographics in the store."""
    found: dict[int, dict[str, str]] = {}
    for patient_id, event in completed_vaccination_events():
        day = _event_day(event.get("date"))
        if (filters.date_from and (day is None or day < filters.date_from)) or (
            filters.date_to and (day is None or day > filters.date_to)
        ):
            continue
        codes = found.setdefault(patient_id, {})
        codes.setdefault(event["cvx_code"], event.get("vaccine") or event["cvx_code"])
    return found


def _event_day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _in_scope(scope: QuerySet, patient_ids) -> dict[int, str]:
    """{patient id: sex} of those ids that are in the scope, asked in chunks."""
    ids = sorted(patient_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        found.update(scope.filter(pk__in=chunk).values_list("pk", "sex"))
    return found


def vaccination_coverage(
    *,
    patients: QuerySet | None = None,
    filters: ReportFilters = NO_FILTERS,
    today: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(per vaccine: cvx, vaccine, patients, coverage % of the scope; per sex: patients with
    a COVID-19 vaccination, with an influenza vaccination, with either; patients in scope).

    Raises `core.documents.DocumentStoreUnavailable` when the store is down."""
    scope = scoped_patients(patients, filters, today=today)
    vaccinated = _vaccinated_patients(filters)
    sexes = _in_scope(scope, vaccinated)
    denominator = scope.count()
    per_vaccine: dict[str, list] = {}
    groups = {(sex, group): 0 for sex in SEX_LABELS for group in [*VACCINE_GROUPS, "either"]}
    for patient_id, sex in sexes.items():
        codes = vaccinated[patient_id]
        for code, name in codes.items():
            entry = per_vaccine.setdefault(code, [name, 0])
            entry[1] += 1
        in_any = False
        for group, group_codes in VACCINE_GROUPS.items():
            if group_codes.intersection(codes):
                groups[sex, group] += 1
                in_any = True
        if in_any:
            groups[sex, "either"] += 1
    coverage = pd.DataFrame.from_records(
        [(code, name, count) for code, (name, count) in per_vaccine.items()],
        columns=["cvx", "vaccine", "patients"],
    )
    coverage["coverage %"] = (
        (coverage["patients"] * 100 / denominator).round(1) if denominator else 0.0
    )
    coverage = coverage.sort_values(["patients", "vaccine"], ascending=[False, True])
    by_sex = pd.DataFrame.from_records(
        [
            (SEX_LABELS[sex], *(groups[sex, group] for group in [*VACCINE_GROUPS, "either"]))
            for sex in SEX_LABELS
        ],
        columns=["sex", "COVID-19", "influenza", "COVID-19 or influenza"],
    )
    return coverage.reset_index(drop=True), by_sex, denominator
