"""One mapper per Synthea file: a row becomes an unsaved record, a batch is written at once.

`map_row` raises RowError for a row it cannot use and SkipRow, with the reason, for a
row it deliberately does not import (counted as skipped). `flush` writes one batch.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from billing import carc
from billing import services as billing_services
from billing.models import Bill, BillLine, LedgerEntry, ServiceCharge
from patients import value_sets
from patients.duplicates import duplicate_candidates
from patients.matching import Identity
from patients.models import (
    VITAL_RANGES,
    Allergy,
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    Encounter,
    LabResult,
    LabTest,
    Medication,
    Patient,
    Payer,
    Prescription,
    VitalSigns,
)
from patients.mrn import new_mrns
from providers.models import Doctor, HealthcareProvider, Nurse, Organization, Specialty

from .reader import (
    FileSpec,
    RowError,
    SkipRow,
    parse_date,
    parse_datetime,
    parse_decimal,
    stable_key,
)
from .store import REPEATED_ROW, build, ensure_catalog, record_history, upsert
from .summary import PossibleDuplicate

NO_INSURANCE = "NO_INSURANCE"
NURSE_SPECIALITIES = ("NURSE", "MIDWIFE")  # "NURSE PRACTITIONER", "CERTIFIED NURSE MIDWIFE", ...
VITAL_LOINC = {
    "8867-4": "heart_rate",
    "8310-5": "temperature_c",
    "8480-6": "systolic_bp",
    "8462-4": "diastolic_bp",
    "2708-6": "spo2",
    "59408-5": "spo2",
    "9279-1": "respiratory_rate",
    "29463-7": "weight_kg",
    "8302-2": "height_cm",
    "72514-3": "pain_score",
}
DECIMAL_VITALS = {"temperature_c", "weight_kg", "height_cm"}
VITAL_FIELDS = sorted(set(VITAL_LOINC.values()))
# Observations that are neither vital signs nor laboratory values (questionnaires,
# social history, quality-of-life scores); used for 2.x exports that have no CATEGORY.
NON_LAB_LOINC = {
    "32624-9",
    "44261-6",
    "54899-0",
    "55758-7",
    "56051-6",
    "59460-6",
    "59461-4",
    "63512-8",
    "63586-2",
    "67875-5",
    "70274-6",
    "71802-3",
    "72166-2",
    "75626-2",
    "76437-3",
    "76501-6",
    "76504-0",
    "82589-3",
    "82667-7",
    "89204-2",
    "93025-5",
    "93026-3",
    "93027-1",
    "93028-9",
    "93029-7",
    "93030-5",
    "93031-3",
    "93033-9",
    "93034-7",
    "93035-4",
    "93038-8",
    "69453-9",
    # vital-sign and procedure measurements that VitalSigns has no field for
    "39156-5",
    "59576-9",
    "9843-4",
    "77606-2",
    "8289-1",
    "19926-5",
    "33756-8",
}
# Quality-adjusted and disability-adjusted life years and the quality-of-life score:
# Synthea's own simulation bookkeeping, written without an encounter.
SIMULATION_METRICS = {"QALY", "DALY", "QOLS"}
SKIP_SIMULATION_METRIC = "Synthea simulation metric (QALY, DALY, QOLS), not a clinical record"
# Synthea's demographic columns and the value sets their words map to (patients.value_sets).
CODED_COLUMNS = (
    ("race", value_sets.RACE, "RACE"),
    ("ethnicity", value_sets.ETHNICITY, "ETHNICITY"),
    ("marital_status", value_sets.MARITAL_STATUS, "MARITAL"),
    ("state", value_sets.STATE, "STATE"),
)
OWNERSHIP = {"self": "self", "guardian": "guardian", "spouse": "spouse"}


@dataclass
class Context:
    """What the files share: id -> pk maps of the parent tables and catalog caches."""

    organizations: dict = field(default_factory=dict)
    payers: dict = field(default_factory=dict)  # Synthea id -> pk, or None for NO_INSURANCE
    providers: dict = field(default_factory=dict)  # id -> (pk, is_nurse)
    patients: dict = field(default_factory=dict)
    encounters: dict = field(default_factory=dict)  # id -> (pk, patient pk, provider pk, payer pk)
    claims: dict = field(default_factory=dict)  # claim id -> bill pk
    # claim id (or encounter id, without claims files) -> sum of its bill lines
    bill_totals: dict = field(default_factory=dict)
    encounter_bills: dict = field(default_factory=dict)  # encounter id -> bill pk (no claims files)
    specialties: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    lab_tests: dict = field(default_factory=dict)
    medications: dict = field(default_factory=dict)
    service_charges: dict = field(default_factory=dict)
    dose_numbers: dict = field(default_factory=dict)
    imported_encounters: dict = field(default_factory=dict)  # (patient pk, day) -> tuple
    claim_dates: dict = field(default_factory=dict)  # claim id -> service date
    has_claims: bool = False


def _coded(value_set: str, text: str) -> str:
    """The value set's code for an imported word; a word it has no code for is kept."""
    return value_sets.code_for(value_set, text) or text


def _text(row, column) -> str:
    return (row.get(column) or "").strip()


def _lookup(mapping: dict, row: dict, column: str, what: str, *, required=True):
    value = _text(row, column)
    if not value:
        if required:
            raise RowError(f"missing {column}")
        return None
    if value not in mapping:
        raise RowError(f"unknown {what} {value!r}")
    return mapping[value]


def _patient_and_encounter(ctx, row, *, patient_column="PATIENT", encounter_required=True):
    patient_pk = _lookup(ctx.patients, row, patient_column, "patient")
    encounter = _lookup(ctx.encounters, row, "ENCOUNTER", "encounter", required=encounter_required)
    if encounter is not None and encounter[1] != patient_pk:
        raise RowError(f"encounter {_text(row, 'ENCOUNTER')!r} belongs to another patient")
    return patient_pk, encounter


IMPORTED_ENCOUNTER = "Recorded without an encounter (imported from Synthea)"


def imported_encounter(ctx, row, patient_pk, moment, *, patient_column="PATIENT") -> tuple:
    """The patient's encounter of that day that holds rows Synthea recorded without one.

    Labelled as imported so the chart never presents it as a visit that took place.
    """
    day = moment.date()
    key = (patient_pk, day)
    if key not in ctx.imported_encounters:
        external_id = "imported-" + stable_key(_text(row, patient_column), day.isoformat())
        encounter = Encounter._base_manager.filter(external_id=external_id).first()
        if encounter is None:
            start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
            encounter = build(
                Encounter,
                external_id=external_id,
                patient_id=patient_pk,
                encounter_class=Encounter.EncounterClass.AMBULATORY,
                status=Encounter.Status.FINISHED,
                admitted_at=start,
                discharged_at=start + dt.timedelta(hours=23, minutes=59),
                type_description=IMPORTED_ENCOUNTER,
            )
            encounter.save()
            record_history(Encounter, [encounter])
        ctx.imported_encounters[key] = (encounter.pk, patient_pk, None, None)
    return ctx.imported_encounters[key]


class Mapper:
    spec: FileSpec
    model = None
    fields: list[str] = []

    def __init__(self, ctx: Context, stats, reject):
        self.ctx = ctx
        self.stats = stats
        self.reject = reject  # reject(line, reason)

    def map_row(self, row):
        raise NotImplementedError

    def flush(self, items):
        """items: list of (line, record); writes them in one transaction."""
        with transaction.atomic():
            self.write([record for _, record in items])

    def write(self, records):
        upsert(self.model, records, self.fields, self.stats)


class OrganizationsMapper(Mapper):
    spec = FileSpec("organizations.csv", ("Id", "NAME"), required=True)
    model = Organization
    fields = ["name", "address_line", "city", "state", "postal_code", "phone"]

    def map_row(self, row):
        return build(
            Organization,
            external_id=_text(row, "Id"),
            name=_text(row, "NAME"),
            address_line=_text(row, "ADDRESS"),
            city=_text(row, "CITY"),
            state=_text(row, "STATE"),
            postal_code=_text(row, "ZIP"),
            phone=_text(row, "PHONE"),
        )

    def write(self, records):
        self.ctx.organizations.update(upsert(self.model, records, self.fields, self.stats))


class PayersMapper(Mapper):
    spec = FileSpec("payers.csv", ("Id", "NAME"), required=True)
    model = Payer
    fields = ["name", "address_line", "city", "state", "postal_code", "phone"]

    def map_row(self, row):
        return build(
            Payer,
            external_id=_text(row, "Id"),
            name=_text(row, "NAME"),
            address_line=_text(row, "ADDRESS"),
            city=_text(row, "CITY"),
            state=_text(row, "STATE_HEADQUARTERED"),
            postal_code=_text(row, "ZIP"),
            phone=_text(row, "PHONE"),
        )

    def write(self, records):
        pks = upsert(self.model, records, self.fields, self.stats)
        for record in records:
            # "NO_INSURANCE" is Synthea's stand-in for self-pay, not an insurer.
            self.ctx.payers[record.external_id] = (
                None if record.name == NO_INSURANCE else pks[record.external_id]
            )


class ProvidersMapper(Mapper):
    spec = FileSpec("providers.csv", ("Id", "NAME", "SPECIALITY"), required=True)
    fields = ["first_name", "last_name", "gender", "specialty_id", "organization_id"]

    def map_row(self, row):
        speciality = _text(row, "SPECIALITY").upper()
        is_nurse = any(word in speciality for word in NURSE_SPECIALITIES)
        organization = _lookup(
            self.ctx.organizations, row, "ORGANIZATION", "organization", required=False
        )
        first, _, last = _text(row, "NAME").partition(" ")
        gender = _text(row, "GENDER").upper()
        return {
            "is_nurse": is_nurse,
            "specialty": speciality.title(),
            "values": {
                "external_id": _text(row, "Id"),
                "first_name": first,
                "last_name": last or first,
                "gender": gender if gender in ("F", "M") else "U",
                "organization_id": organization,
            },
        }

    def write(self, records):
        wanted = {r["specialty"]: {} for r in records if r["specialty"]}
        ensure_catalog(Specialty, "name", wanted, self.ctx.specialties)
        by_id = {}
        for record in records:
            if record["values"]["external_id"] in by_id:
                self.stats.skip(REPEATED_ROW)
            by_id[record["values"]["external_id"]] = record
        existing = {
            p.external_id: p
            for p in HealthcareProvider._base_manager.filter(external_id__in=list(by_id))
        }
        # Doctor and Nurse are multi-table children, which bulk_create cannot insert.
        for external_id, record in by_id.items():
            values = {
                **record["values"],
                "specialty_id": self.ctx.specialties.get(record["specialty"]),
            }
            old = existing.get(external_id)
            if old is None:
                provider = build(Nurse if record["is_nurse"] else Doctor, **values)
                provider.save()
                self.stats.created += 1
            else:
                provider = old
                new = build(HealthcareProvider, **values)
                if any(getattr(old, f) != getattr(new, f) for f in self.fields):
                    for f in self.fields:
                        setattr(old, f, getattr(new, f))
                    old.save()
                    self.stats.updated += 1
                else:
                    self.stats.unchanged += 1
            self.ctx.providers[external_id] = (provider.pk, record["is_nurse"])


class PatientsMapper(Mapper):
    spec = FileSpec("patients.csv", ("Id", "BIRTHDATE", "FIRST", "LAST", "GENDER"), required=True)
    model = Patient
    fields = [
        "prefix",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "maiden_name",
        "date_of_birth",
        "date_of_death",
        "sex",
        "race",
        "ethnicity",
        "marital_status",
        "address_line",
        "city",
        "state",
        "county",
        "postal_code",
    ]

    def map_row(self, row):
        born = parse_date(row, "BIRTHDATE")
        died = parse_date(row, "DEATHDATE", required=False)
        if died and died < born:
            raise RowError("DEATHDATE before BIRTHDATE")
        gender = _text(row, "GENDER").upper()
        external_id = _text(row, "Id")
        if not external_id:
            raise RowError("missing Id")
        patient = build(
            Patient,
            external_id=external_id,
            prefix=_text(row, "PREFIX"),
            first_name=_text(row, "FIRST"),
            middle_name=_text(row, "MIDDLE"),
            last_name=_text(row, "LAST"),
            suffix=_text(row, "SUFFIX"),
            maiden_name=_text(row, "MAIDEN"),
            date_of_birth=born,
            date_of_death=died,
            sex=gender if gender in ("F", "M") else "U",
            **{
                field: _coded(value_set, _text(row, column))
                for field, value_set, column in CODED_COLUMNS
            },
            address_line=_text(row, "ADDRESS"),
            city=_text(row, "CITY"),
            county=_text(row, "COUNTY"),
            postal_code=_text(row, "ZIP"),
        )
        patient.set_ssn(_text(row, "SSN"))
        patient.refresh_match_keys()
        return patient

    def write(self, records):
        by_id = {p.external_id: p for p in records}
        existing = {
            p.external_id: p for p in Patient._base_manager.filter(external_id__in=list(by_id))
        }
        # The SSN is encrypted with a fresh nonce each time: compare it in clear.
        for external_id, old in existing.items():
            new = by_id[external_id]
            if old.reveal_ssn() == new.reveal_ssn():
                new.ssn_encrypted = old.ssn_encrypted
        created = [p for p in by_id.values() if p.external_id not in existing]
        for patient, mrn in zip(created, new_mrns(len(created)), strict=True):
            patient.mrn = mrn
        fields = [*self.fields, "ssn_encrypted", "ssn_last4", "family_name_key", "given_name_key"]
        self.ctx.patients.update(upsert(Patient, records, fields, self.stats))
        # Listed in the report for the front desk to review; never merged by an import.
        for patient in created:
            self.stats.possible_duplicates += [
                PossibleDuplicate.of(patient, candidate)
                for candidate in duplicate_candidates(
                    Identity.of(patient), exclude_ids=[patient.pk]
                )
            ]


class PayerTransitionsMapper(Mapper):
    spec = FileSpec("payer_transitions.csv", ("PATIENT", "START_YEAR", "PAYER"))
    model = Coverage
    fields = [
        "patient_id",
        "payer_id",
        "member_id",
        "start_date",
        "end_date",
        "ownership",
        "owner_name",
        "is_secondary",
    ]

    def map_row(self, row):
        patient = _lookup(self.ctx.patients, row, "PATIENT", "patient")
        payer = _lookup(self.ctx.payers, row, "PAYER", "payer")
        if payer is None:
            raise SkipRow("NO_INSURANCE: years without coverage (self-pay), no Coverage record")
        start = parse_date(row, "START_YEAR")
        end = parse_date(row, "END_YEAR", required=False)
        if end and len(_text(row, "END_YEAR")) == 4:
            end = end.replace(month=12, day=31)
        if end and end < start:
            raise RowError("END_YEAR before START_YEAR")
        ownership = _text(row, "OWNERSHIP").lower()
        return build(
            Coverage,
            external_id=stable_key(
                *(_text(row, c) for c in ("PATIENT", "PAYER", "START_YEAR", "MEMBERID"))
            ),
            patient_id=patient,
            payer_id=payer,
            member_id=_text(row, "MEMBERID"),
            start_date=start,
            end_date=end,
            ownership=OWNERSHIP.get(ownership, "other" if ownership else "self"),
            owner_name=_text(row, "OWNERNAME"),
            is_secondary=False,
        )


class EncountersMapper(Mapper):
    spec = FileSpec(
        "encounters.csv", ("Id", "START", "PATIENT", "PROVIDER", "ENCOUNTERCLASS"), required=True
    )
    model = Encounter
    fields = [
        "patient_id",
        "encounter_class",
        "status",
        "admitted_at",
        "discharged_at",
        "type_code",
        "type_description",
        "reason",
        "reason_code",
        "organization_id",
    ]
    classes = set(Encounter.EncounterClass.values)

    def map_row(self, row):
        patient = _lookup(self.ctx.patients, row, "PATIENT", "patient")
        admitted = parse_datetime(row, "START")
        discharged = parse_datetime(row, "STOP", required=False)
        if discharged and discharged < admitted:
            raise RowError("STOP before START")
        encounter_class = _text(row, "ENCOUNTERCLASS").lower()
        if encounter_class not in self.classes:
            raise RowError(f"unknown ENCOUNTERCLASS {encounter_class!r}")
        provider_id = _text(row, "PROVIDER")
        provider = None
        if "ORGANIZATION" in row:
            organization = _lookup(
                self.ctx.organizations, row, "ORGANIZATION", "organization", required=False
            )
            provider = _lookup(self.ctx.providers, row, "PROVIDER", "provider", required=False)
        elif provider_id in self.ctx.organizations:  # 2.x: PROVIDER holds the organization
            organization = self.ctx.organizations[provider_id]
        else:
            organization = None
            provider = _lookup(self.ctx.providers, row, "PROVIDER", "provider", required=False)
        payer = (
            _lookup(self.ctx.payers, row, "PAYER", "payer", required=False)
            if "PAYER" in row
            else None
        )
        encounter = build(
            Encounter,
            external_id=_text(row, "Id"),
            patient_id=patient,
            encounter_class=encounter_class,
            status=Encounter.Status.FINISHED if discharged else Encounter.Status.IN_PROGRESS,
            admitted_at=admitted,
            discharged_at=discharged,
            type_code=_text(row, "CODE"),
            type_description=_text(row, "DESCRIPTION"),
            reason=_text(row, "REASONDESCRIPTION"),
            reason_code=_text(row, "REASONCODE"),
            organization_id=organization,
        )
        return encounter, provider, payer

    def write(self, records):
        pks = upsert(Encounter, [r[0] for r in records], self.fields, self.stats)
        wanted = {}
        for encounter, provider, payer in records:
            pk = pks[encounter.external_id]
            self.ctx.encounters[encounter.external_id] = (
                pk,
                encounter.patient_id,
                provider[0] if provider else None,
                payer,
            )
            if provider:
                role = CareAssignment.Role.NURSING if provider[1] else CareAssignment.Role.ATTENDING
                wanted[(pk, provider[0], role)] = encounter.discharged_at
        have = set(
            CareAssignment._base_manager.filter(
                encounter_id__in=[k[0] for k in wanted]
            ).values_list("encounter_id", "provider_id", "role")
        )
        new = [
            CareAssignment(encounter_id=e, provider_id=p, role=role, ended_at=ended)
            for (e, p, role), ended in wanted.items()
            if (e, p, role) not in have
        ]
        if new:
            CareAssignment._base_manager.bulk_create(new)
            record_history(CareAssignment, new)


class AllergiesMapper(Mapper):
    spec = FileSpec("allergies.csv", ("START", "PATIENT", "CODE", "DESCRIPTION"))
    model = Allergy
    fields = [
        "patient_id",
        "encounter_id",
        "code_system",
        "code",
        "description",
        "allergy_type",
        "category",
        "reaction",
        "severity",
        "onset_date",
        "resolved_date",
    ]

    def map_row(self, row):
        patient, encounter = _patient_and_encounter(self.ctx, row, encounter_required=False)
        onset = parse_date(row, "START")
        resolved = parse_date(row, "STOP", required=False)
        if resolved and resolved < onset:
            raise RowError("STOP before START")
        reactions = [_text(row, c) for c in ("DESCRIPTION1", "DESCRIPTION2") if _text(row, c)]
        severity = _text(row, "SEVERITY1").lower()
        return build(
            Allergy,
            external_id=stable_key(
                *(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "CODE", "START"))
            ),
            patient_id=patient,
            encounter_id=encounter[0] if encounter else None,
            code_system=_text(row, "SYSTEM") or "SNOMED-CT",
            code=_text(row, "CODE"),
            description=_text(row, "DESCRIPTION"),
            allergy_type=_text(row, "TYPE"),
            category=_text(row, "CATEGORY"),
            reaction="; ".join(reactions),
            severity=severity if severity in Allergy.Severity.values else "",
            onset_date=onset,
            resolved_date=resolved,
        )


class ConditionsMapper(Mapper):
    spec = FileSpec("conditions.csv", ("START", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"))
    model = Diagnosis
    fields = [
        "encounter_id",
        "condition_id",
        "diagnosed_by_id",
        "onset_date",
        "resolved_date",
        "status",
    ]

    def map_row(self, row):
        _, encounter = _patient_and_encounter(self.ctx, row)
        onset = parse_date(row, "START")
        resolved = parse_date(row, "STOP", required=False)
        if resolved and resolved < onset:
            raise RowError("STOP before START")
        system = "ICD-10" if _text(row, "SYSTEM").upper().startswith("ICD") else "SNOMED-CT"
        diagnosis = build(
            Diagnosis,
            external_id=stable_key(
                *(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "CODE", "START"))
            ),
            encounter_id=encounter[0],
            diagnosed_by_id=encounter[2],
            onset_date=onset,
            resolved_date=resolved,
            status=Diagnosis.Status.RESOLVED if resolved else Diagnosis.Status.ACTIVE,
        )
        return diagnosis, (system, _text(row, "CODE")), _text(row, "DESCRIPTION")

    def write(self, records):
        wanted = {f"{system}|{code}": name for _, (system, code), name in records}
        missing = {k: v for k, v in wanted.items() if k not in self.ctx.conditions}
        if missing:
            codes = [k.split("|", 1)[1] for k in missing]
            for pk, system, code in Condition.objects.filter(code__in=codes).values_list(
                "pk", "code_system", "code"
            ):
                self.ctx.conditions[f"{system}|{code}"] = pk
            new = []
            for k, name in missing.items():
                if k not in self.ctx.conditions:
                    system, code = k.split("|", 1)
                    new.append(build(Condition, code_system=system, code=code, name=name or code))
            if new:
                Condition.objects.bulk_create(new)
                record_history(Condition, new)
                for c in new:
                    self.ctx.conditions[f"{c.code_system}|{c.code}"] = c.pk
        diagnoses = []
        for diagnosis, (system, code), _ in records:
            diagnosis.condition_id = self.ctx.conditions[f"{system}|{code}"]
            diagnoses.append(diagnosis)
        upsert(Diagnosis, diagnoses, self.fields, self.stats)


def _vital_value(field_name, text):
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise RowError(f"bad number in VALUE: {text!r}") from None
    value = (
        value.quantize(Decimal("0.1"))
        if field_name in DECIMAL_VITALS
        else int(value.to_integral_value())
    )
    low, high = VITAL_RANGES[field_name]
    if not low <= value <= high:
        raise RowError(f"{field_name} {value} outside plausible range {low}-{high}")
    return value


class ObservationsMapper(Mapper):
    spec = FileSpec("observations.csv", ("DATE", "PATIENT", "ENCOUNTER", "CODE", "VALUE"))
    lab_fields = [
        "encounter_id",
        "lab_test_id",
        "observed_at",
        "value_numeric",
        "value_text",
        "unit",
    ]

    def classify(self, row) -> str:
        """'vital' or 'lab'; raises SkipRow for observations the chart does not keep."""
        code = _text(row, "CODE")
        if code in SIMULATION_METRICS:
            raise SkipRow(SKIP_SIMULATION_METRIC)
        category = _text(row, "CATEGORY") or None  # optional: 2.x exports have no such column
        if code in VITAL_LOINC and category in (None, "vital-signs"):
            return "vital"
        if category == "laboratory" or (category is None and code not in NON_LAB_LOINC):
            return "lab"
        if category == "vital-signs":
            raise SkipRow("a vital sign the chart has no field for (BMI, head circumference ...)")
        raise SkipRow(f"not a vital sign or laboratory result ({category or 'survey, score'})")

    def map_row(self, row):
        kind = self.classify(row)
        patient, encounter = _patient_and_encounter(self.ctx, row, encounter_required=False)
        observed = parse_datetime(row, "DATE")
        if encounter is None:
            encounter = imported_encounter(self.ctx, row, patient, observed)
        value = _text(row, "VALUE")
        if kind == "vital":
            field_name = VITAL_LOINC[_text(row, "CODE")]
            return "vital", (encounter, observed, field_name, _vital_value(field_name, value))
        numeric = None
        if _text(row, "TYPE") != "text":
            try:
                numeric = Decimal(value).quantize(Decimal("0.0001"))
            except ArithmeticError:
                numeric = None
            if numeric is not None and abs(numeric) >= Decimal("1e10"):
                raise RowError(f"VALUE {value} too large")
        if numeric is None and not value:
            raise RowError("missing VALUE")
        result = build(
            LabResult,
            external_id=stable_key(
                *(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "DATE", "CODE"))
            ),
            encounter_id=encounter[0],
            observed_at=observed,
            value_numeric=numeric,
            value_text="" if numeric is not None else value,
            unit=_text(row, "UNITS"),
        )
        return "lab", (result, _text(row, "CODE"), _text(row, "DESCRIPTION"), _text(row, "UNITS"))

    def flush(self, items):
        with transaction.atomic():
            labs = [record for _, (kind, record) in items if kind == "lab"]
            if labs:
                wanted = {
                    code: {"name": name or code, "unit": unit} for _, code, name, unit in labs
                }
                ensure_catalog(LabTest, "loinc_code", wanted, self.ctx.lab_tests)
                results = []
                for result, code, _, _ in labs:
                    result.lab_test_id = self.ctx.lab_tests[code]
                    results.append(result)
                upsert(LabResult, results, self.lab_fields, self.stats)
            self.write_vitals([(line, record) for line, (kind, record) in items if kind == "vital"])

    def write_vitals(self, items):
        """Observations of one encounter at one moment make one VitalSigns row."""
        groups: dict[str, dict] = {}
        for line, (encounter, observed, field_name, value) in items:
            key = stable_key(str(encounter[0]), observed.isoformat())
            group = groups.setdefault(
                key, {"encounter": encounter, "at": observed, "values": {}, "lines": {}}
            )
            if field_name in group["lines"]:
                self.stats.skip(REPEATED_ROW)
            group["values"][field_name] = value
            group["lines"][field_name] = line
        if not groups:
            return
        existing = {
            v.external_id: v for v in VitalSigns._base_manager.filter(external_id__in=list(groups))
        }
        to_create, to_update = [], []
        for key, group in groups.items():
            old = existing.get(key)
            row = old or VitalSigns(
                external_id=key,
                encounter_id=group["encounter"][0],
                recorded_at=group["at"],
                recorded_by_id=group["encounter"][2],
            )
            merged = {f: getattr(row, f) for f in VITAL_FIELDS} | group["values"]
            systolic, diastolic = merged["systolic_bp"], merged["diastolic_bp"]
            if systolic is not None and diastolic is not None and systolic <= diastolic:
                for f in ("systolic_bp", "diastolic_bp"):
                    if f in group["values"]:
                        self.reject(
                            group["lines"][f],
                            f"systolic {systolic} not above diastolic {diastolic}",
                        )
                        merged[f] = getattr(row, f)
                        del group["values"][f]
            changed = [f for f in VITAL_FIELDS if getattr(row, f) != merged[f]]
            for f in VITAL_FIELDS:
                setattr(row, f, merged[f])
            # Each observation row is counted by what became of its value.
            if old is None:
                to_create.append(row)
                self.stats.created += len(group["values"])
            else:
                if changed:
                    to_update.append(row)
                updated = sum(f in changed for f in group["values"])
                self.stats.updated += updated
                self.stats.unchanged += len(group["values"]) - updated
        if to_create:
            VitalSigns._base_manager.bulk_create(to_create)
            record_history(VitalSigns, to_create)
        if to_update:
            VitalSigns._base_manager.bulk_update(to_update, VITAL_FIELDS)
            record_history(VitalSigns, to_update, update=True)


class MedicationsMapper(Mapper):
    spec = FileSpec("medications.csv", ("START", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"))
    model = Prescription
    fields = [
        "encounter_id",
        "medication_id",
        "prescriber_id",
        "start_date",
        "end_date",
        "dispenses",
        "reason",
    ]

    def map_row(self, row):
        _, encounter = _patient_and_encounter(self.ctx, row)
        start = parse_date(row, "START")
        end = parse_date(row, "STOP", required=False)
        if end and end < start:
            raise RowError("STOP before START")
        dispenses = _text(row, "DISPENSES") or "1"
        if not dispenses.isdigit():
            raise RowError(f"bad number in DISPENSES: {dispenses!r}")
        price = parse_decimal(row, "BASE_COST", default=Decimal("0.00"))
        prescription = build(
            Prescription,
            external_id=stable_key(
                *(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "CODE", "START"))
            ),
            encounter_id=encounter[0],
            prescriber_id=encounter[2],
            start_date=start,
            end_date=end,
            dispenses=int(dispenses),
            reason=_text(row, "REASONDESCRIPTION"),
        )
        return (
            prescription,
            _text(row, "CODE"),
            _text(row, "DESCRIPTION"),
            max(price, Decimal("0.00")),
        )

    def write(self, records):
        wanted = {
            code: {"name": name or code, "unit_price": price} for _, code, name, price in records
        }
        ensure_catalog(Medication, "code", wanted, self.ctx.medications)
        prescriptions = []
        for prescription, code, _, _ in records:
            prescription.medication_id = self.ctx.medications[code]
            prescriptions.append(prescription)
        upsert(Prescription, prescriptions, self.fields, self.stats)


class CareplansMapper(Mapper):
    """Care plans become clinical notes of kind care_plan in the document store."""

    spec = FileSpec("careplans.csv", ("Id", "START", "PATIENT", "CODE", "DESCRIPTION"))

    def map_row(self, row):
        patient, encounter = _patient_and_encounter(self.ctx, row, encounter_required=False)
        start = parse_datetime(row, "START")
        stop = parse_date(row, "STOP", required=False)
        text = f"Care plan: {_text(row, 'DESCRIPTION')} (SNOMED CT {_text(row, 'CODE')})."
        if _text(row, "REASONDESCRIPTION"):
            reason, code = _text(row, "REASONDESCRIPTION"), _text(row, "REASONCODE")
            text += f" Reason: {reason} (SNOMED CT {code})."
        text += f" Started {start.date().isoformat()}"
        text += f", ended {stop.isoformat()}." if stop else ", ongoing."
        return {
            "patient_id": patient,
            "encounter": encounter[0] if encounter else None,
            "text": text,
            "created_at": start,
            "external_id": _text(row, "Id"),
        }

    def flush(self, items):
        from patients import notes
        from patients.document_schemas import NoteKind

        patients = {
            p.pk: p
            for p in Patient._base_manager.filter(pk__in={r["patient_id"] for _, r in items})
        }
        batch = []
        for _, record in items:
            encounter = None
            if record["encounter"] is not None:
                encounter = Encounter(pk=record["encounter"], patient_id=record["patient_id"])
            batch.append(
                {
                    "patient": patients[record["patient_id"]],
                    "author": None,
                    "kind": NoteKind.CARE_PLAN,
                    "text": record["text"],
                    "tags": ("synthea", "care plan"),
                    "encounter": encounter,
                    "created_at": record["created_at"],
                    "external_id": record["external_id"],
                }
            )
        created = notes.notes_import_many(notes=batch)
        self.stats.created += created
        self.stats.unchanged += len(items) - created


class ImmunizationsMapper(Mapper):
    """Immunizations become vaccination events in the document store."""

    spec = FileSpec("immunizations.csv", ("DATE", "PATIENT", "CODE", "DESCRIPTION"))

    def map_row(self, row):
        patient, _ = _patient_and_encounter(self.ctx, row, encounter_required=False)
        given = parse_datetime(row, "DATE")
        code = _text(row, "CODE")
        dates = self.ctx.dose_numbers.get((_text(row, "PATIENT"), code), [])
        dose = 1 + sum(1 for d in dates if d < given.isoformat())
        return {
            "patient_id": patient,
            "vaccine": _text(row, "DESCRIPTION"),
            "cvx_code": code,
            "dose_number": dose,
            "date": given.date(),
            "external_id": stable_key(
                *(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "CODE", "DATE"))
            ),
        }

    def flush(self, items):
        from patients import vaccinations

        patients = {
            p.pk: p
            for p in Patient._base_manager.filter(pk__in={r["patient_id"] for _, r in items})
        }
        batch = [
            {**record, "patient": patients[record["patient_id"]], "status": "completed"}
            for _, record in items
        ]
        created = vaccinations.vaccinations_import_many(events=batch)
        self.stats.created += created
        self.stats.unchanged += len(items) - created


ZERO = Decimal("0.00")
BILL_FIELDS = [
    "encounter_id",
    "patient_id",
    "payer_id",
    "issued_on",
    "status",
    "total_amount",
    "sanctioned_amount",
]


def bill_amounts(total: Decimal, outstanding: Decimal, *, has_status=True) -> dict:
    """Paid = total - outstanding; the status follows (docs/synthea-import.md)."""
    paid = min(max(total - outstanding, ZERO), total)
    if not has_status:
        status = Bill.Status.DRAFT
    elif outstanding <= 0:
        status = Bill.Status.PAID
    elif paid > 0:
        status = Bill.Status.PARTIALLY_PAID
    else:
        status = Bill.Status.SUBMITTED
    return {"status": status, "total_amount": total, "sanctioned_amount": paid}


class ClaimsMapper(Mapper):
    spec = FileSpec("claims.csv", ("Id", "PATIENTID", "APPOINTMENTID", "SERVICEDATE"))
    model = Bill
    fields = BILL_FIELDS

    def map_row(self, row):
        patient = _lookup(self.ctx.patients, row, "PATIENTID", "patient")
        served = parse_datetime(row, "SERVICEDATE")
        encounter = _lookup(
            self.ctx.encounters, row, "APPOINTMENTID", "encounter", required=False
        ) or imported_encounter(self.ctx, row, patient, served, patient_column="PATIENTID")
        if encounter[1] != patient:
            raise RowError("APPOINTMENTID belongs to another patient")
        self.ctx.claim_dates[_text(row, "Id")] = served.date()
        payer_id = _text(row, "PRIMARYPATIENTINSURANCEID")
        payer = self.ctx.payers.get(payer_id) if payer_id not in ("", "0") else None
        if payer_id not in ("", "0") and payer_id not in self.ctx.payers:
            raise RowError(f"unknown payer {payer_id!r}")
        outstanding = sum(
            (
                parse_decimal(row, c, default=ZERO)
                for c in ("OUTSTANDING1", "OUTSTANDING2", "OUTSTANDINGP")
            ),
            ZERO,
        )
        has_status = any(_text(row, c) for c in ("STATUS1", "STATUS2", "STATUSP"))
        total = self.ctx.bill_totals.get(_text(row, "Id"), ZERO)
        return build(
            Bill,
            external_id=_text(row, "Id"),
            encounter_id=encounter[0],
            patient_id=patient,
            payer_id=payer,
            issued_on=served.date(),
            **bill_amounts(total, outstanding, has_status=has_status),
        )

    def write(self, records):
        self.ctx.claims.update(upsert(Bill, records, self.fields, self.stats))


def _bill_line(external_id, bill_pk, code, description, quantity, unit_price):
    return build(
        BillLine,
        external_id=external_id,
        bill_id=bill_pk,
        code=code,
        description=description or code,
        quantity=quantity,
        unit_price=unit_price,
    )


LINE_FIELDS = ["bill_id", "service_charge_id", "code", "description", "quantity", "unit_price"]


def _write_lines(ctx, stats, lines):
    wanted = {
        line.code: {
            "code_system": "SNOMED-CT",
            "description": line.description,
            "unit_price": line.unit_price,
        }
        for line in lines
        if line.code
    }
    ensure_catalog(ServiceCharge, "code", wanted, ctx.service_charges)
    for line in lines:
        line.service_charge_id = ctx.service_charges.get(line.code)
    upsert(BillLine, lines, LINE_FIELDS, stats)


def charge_units_and_price(row) -> tuple[Decimal, Decimal]:
    units = parse_decimal(row, "UNITS", default=Decimal("1.00"))
    if units <= 0:
        units = Decimal("1.00")
    amount = parse_decimal(row, "AMOUNT", default=ZERO)
    unit_price = parse_decimal(row, "UNITAMOUNT") or (amount / units).quantize(Decimal("0.01"))
    if unit_price < 0:
        raise RowError(f"negative UNITAMOUNT {unit_price}")
    return units, unit_price


def procedure_price(row) -> Decimal:
    return max(parse_decimal(row, "BASE_COST", default=ZERO), ZERO)


def line_amount(units: Decimal, unit_price: Decimal) -> Decimal:
    return (units * unit_price).quantize(Decimal("0.01"))


LEDGER_FIELDS = [
    "bill_id", "kind", "party", "amount", "posted_on", "method", "reason_code", "note",
]  # fmt: skip
PAYMENT_METHODS = {
    "COPAY": LedgerEntry.Method.COPAY,
    "CASH": LedgerEntry.Method.CASH,
    "CHECK": LedgerEntry.Method.CHECK,
    "ECHECK": LedgerEntry.Method.EFT,
    "CC": LedgerEntry.Method.CARD,
}


class ClaimsTransactionsMapper(Mapper):
    """CHARGE rows become bill lines; PAYMENT, ADJUSTMENT and TRANSFERIN-to-patient rows
    become ledger entries, and the bills' totals are then summed from the ledger.

    A payment is the patient's when it is a copay or when the charge it pays was last
    transferred to the patient (TRANSFERTYPE "p"), the insurer's otherwise; rows of one
    claim come in order, so the party is followed row by row. Synthea lets a copay exceed
    its charge and then shows the charge's OUTSTANDING as 0.00: the entry posts what the
    charge still owed, and its note keeps the amount paid.
    """

    spec = FileSpec("claims_transactions.csv", ("ID", "CLAIMID", "TYPE", "AMOUNT"))

    def __init__(self, *args):
        super().__init__(*args)
        self.party_of_claim = {}
        self.open_of_claim = {}  # what the claim's current charge still owes

    def map_row(self, row):
        kind = _text(row, "TYPE")
        claim = _text(row, "CLAIMID")
        if kind == "TRANSFEROUT":
            raise SkipRow("TRANSFEROUT: the other half of the TRANSFERIN row that follows it")
        bill = _lookup(self.ctx.claims, row, "CLAIMID", "claim")
        if kind == "CHARGE":
            self.party_of_claim[claim] = _text(row, "TRANSFERTYPE")
            units, unit_price = charge_units_and_price(row)
            self.open_of_claim[claim] = line_amount(units, unit_price)
            return _bill_line(
                _text(row, "ID"),
                bill,
                _text(row, "PROCEDURECODE"),
                _text(row, "NOTES"),
                units,
                unit_price,
            )
        entry = {"external_id": _text(row, "ID"), "bill_id": bill}
        # FROMDATE is optional: TODATE, then the claim's service date stand in.
        posted = parse_datetime(row, "FROMDATE", required=False) or parse_datetime(
            row, "TODATE", required=False
        )
        entry["posted_on"] = posted.date() if posted else self.ctx.claim_dates.get(claim)
        if entry["posted_on"] is None:
            raise RowError("missing FROMDATE")
        if kind == "PAYMENT":
            method = _text(row, "METHOD").upper()
            to_patient = method == "COPAY" or self.party_of_claim.get(claim) == "p"
            entry |= {
                "kind": LedgerEntry.Kind.PAYMENT,
                "party": LedgerEntry.Party.PATIENT if to_patient else LedgerEntry.Party.PAYER,
                "amount": parse_decimal(row, "PAYMENTS", default=ZERO),
                "method": PAYMENT_METHODS.get(method, LedgerEntry.Method.OTHER),
            }
        elif kind == "ADJUSTMENT":
            entry |= {
                "kind": LedgerEntry.Kind.CONTRACTUAL,
                "amount": parse_decimal(row, "ADJUSTMENTS", default=ZERO),
                "reason_code": carc.CONTRACTUAL_DEFAULT,
            }
        elif kind == "TRANSFERIN":
            self.party_of_claim[claim] = _text(row, "TRANSFERTYPE")
            if _text(row, "TRANSFERTYPE") != "p":
                raise SkipRow("TRANSFERIN between insurers: the balance stays the insurers' share")
            entry |= {
                "kind": LedgerEntry.Kind.TRANSFER,
                "amount": parse_decimal(row, "AMOUNT", default=ZERO),
            }
        else:
            raise RowError(f"unknown TYPE {kind!r}")
        if kind in ("PAYMENT", "ADJUSTMENT"):
            owed = self.open_of_claim.get(claim, ZERO)
            if entry["amount"] > owed:
                entry["note"] = f"{entry['amount']} paid on a charge that owed {owed}"
                entry["amount"] = owed
            self.open_of_claim[claim] = owed - entry["amount"]
        if entry["amount"] <= 0:
            raise SkipRow(f"{kind} of 0.00: moves nothing on the ledger")
        return build(LedgerEntry, **entry)

    def write(self, records):
        lines = [r for r in records if isinstance(r, BillLine)]
        entries = [r for r in records if isinstance(r, LedgerEntry)]
        if lines:
            _write_lines(self.ctx, self.stats, lines)
        if entries:
            upsert(LedgerEntry, entries, LEDGER_FIELDS, self.stats)
            billing_services.refresh_totals({entry.bill_id for entry in entries})


class ProceduresMapper(Mapper):
    spec = FileSpec(
        "procedures.csv",
        ("PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"),
        one_of=(("START", "DATE"),),
    )

    def map_row(self, row):
        _, encounter = _patient_and_encounter(self.ctx, row)
        column = "START" if "START" in row else "DATE"
        performed = parse_datetime(row, column)
        price = procedure_price(row)
        external_id = stable_key(*(_text(row, c) for c in ("PATIENT", "ENCOUNTER", "CODE", column)))
        return (
            _text(row, "ENCOUNTER"),
            encounter,
            performed,
            _bill_line(
                external_id,
                None,
                _text(row, "CODE"),
                _text(row, "DESCRIPTION"),
                Decimal("1.00"),
                price,
            ),
        )

    def write(self, records):
        if self.ctx.has_claims:
            # The claims already bill every procedure; keep the procedure in the service catalog.
            wanted = {
                line.code: {
                    "code_system": "SNOMED-CT",
                    "description": line.description,
                    "unit_price": line.unit_price,
                }
                for *_, line in records
            }
            ensure_catalog(ServiceCharge, "code", wanted, self.ctx.service_charges)
            self.stats.skip(
                "billed through claims_transactions.csv (the procedure is kept in the catalog)",
                len(records),
            )
            return
        bills = {}
        for encounter_id, encounter, performed, _ in records:
            if encounter_id not in self.ctx.encounter_bills:
                total = self.ctx.bill_totals.get(encounter_id, ZERO)
                bills[encounter_id] = build(
                    Bill,
                    external_id=f"encounter:{encounter_id}",
                    encounter_id=encounter[0],
                    patient_id=encounter[1],
                    payer_id=encounter[3],
                    issued_on=performed.date(),
                    **bill_amounts(total, total),  # nothing is known to be paid without claims
                )
        if bills:
            bill_stats = type(self.stats)("bills")
            fields = [f for f in BILL_FIELDS if f != "issued_on"]
            pks = upsert(Bill, list(bills.values()), fields, bill_stats)
            for encounter_id, bill in bills.items():
                self.ctx.encounter_bills[encounter_id] = pks[bill.external_id]
        lines = []
        for encounter_id, _, _, line in records:
            line.bill_id = self.ctx.encounter_bills[encounter_id]
            lines.append(line)
        _write_lines(self.ctx, self.stats, lines)


class NotImportedMapper(Mapper):
    """A file the chart has no place for yet: every row is counted as skipped, with why."""

    reason = ""

    def map_row(self, row):
        raise SkipRow(self.reason)


class DevicesMapper(NotImportedMapper):
    spec = FileSpec("devices.csv", ())
    reason = "implanted and durable devices are not imported: the chart has no device list yet"


class SuppliesMapper(NotImportedMapper):
    spec = FileSpec("supplies.csv", ())
    reason = "supplies used in care are not imported: the chart does not list supplies"


class ImagingStudiesMapper(NotImportedMapper):
    spec = FileSpec("imaging_studies.csv", ())
    reason = "imaging studies are not imported: the chart has no imaging section yet"


MAPPERS = [
    OrganizationsMapper,
    PayersMapper,
    ProvidersMapper,
    PatientsMapper,
    PayerTransitionsMapper,
    EncountersMapper,
    AllergiesMapper,
    ConditionsMapper,
    CareplansMapper,
    ObservationsMapper,
    MedicationsMapper,
    ImmunizationsMapper,
    ClaimsMapper,
    ClaimsTransactionsMapper,
    ProceduresMapper,
    DevicesMapper,
    SuppliesMapper,
    ImagingStudiesMapper,
]
