"""The demo hospital: a coherent, deterministic population and one login per role.

`demo_seed(patients=N, seed=S)` builds organizations, specialties, doctors and nurses,
payers, catalogs, and N patients with contacts, coverage, encounters (vitals, symptoms,
diagnoses, labs, prescriptions, care team) and bills in every payment status.
Everything is drawn from one `random.Random(seed)` and a Faker seeded with the same
seed, so the same seed gives the same people, codes and amounts. Dates are offsets
from `as_of` (default: today); pass `as_of` as well to reproduce the dates too.

The schedules (departments, weekly working hours, two weeks of appointments from today,
some of today's patients already checked in) are drawn from a second `random.Random`, so
the population of a seed stays the same with or without them.

Catalogs are written with simple-history's `bulk_create_with_history`; the population
(about 30 rows per patient) goes through `_RowWriter`, which inserts the rows and their
"created" history records with `executemany`, several times faster.
"""

import contextlib
import functools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from faker import Faker
from simple_history.utils import bulk_create_with_history

from access.roles import Role
from access.services import roles_setup
from billing.models import ZERO, Bill, BillLine, LedgerEntry, ServiceCharge
from billing.services import LedgerTotals
from patients.models import (
    CareAssignment,
    Condition,
    Coverage,
    Diagnosis,
    EmergencyContact,
    Encounter,
    LabResult,
    LabTest,
    Medication,
    Patient,
    Payer,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.mrn import mrn_for_serial
from patients.services import care_assignment_create
from portal.models import ProxyAccess
from portal.services import proxy_access_grant
from providers.models import Department, Doctor, Nurse, Organization, Specialty
from scheduling.models import Appointment, WorkingHours
from scheduling.services import ENCOUNTER_CLASS_OF_KIND

# Documented in the README and printed by `seed_demo --print-logins`. It passes the
# password validators; it is for local demos only.
DEMO_PASSWORD = "Demo-Ward-Rounds-2024"  # noqa: S105 - published on purpose, demo only
CHANGE_REASON = "seed_demo"
CHUNK_PATIENTS = 500
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    first_name: str
    last_name: str
    sees: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMINISTRATOR, "Alex", "Admin", "Django admin, every patient"),
    DemoLogin("doctor", Role.DOCTOR, "Grace", "Hopper", "cardiologist; her care-team patients"),
    DemoLogin("nurse", Role.NURSE, "Florence", "Night", "nurse; her ward patients"),
    DemoLogin("billing", Role.BILLING, "Bill", "Ledger", "bills and claims of every patient"),
    DemoLogin("frontdesk", Role.FRONT_DESK, "Fran", "Desk", "registration of every patient"),
    DemoLogin("patient", Role.PATIENT, "", "", "own record only, in the patient portal"),
)
# A parent in the portal: no record of their own, proxy access to two patients' records.
DEMO_PROXY = DemoLogin(
    "proxy", Role.PATIENT, "Pat", "Carer", "portal proxy (parent) for two patients' records"
)
DEMO_PROXY_DAYS = 365
DOCTOR_TEAM_SIZE = 20
NURSE_TEAM_SIZE = 8

# Scheduling: departments of each organization, weekly hours, two weeks of appointments.
CARDIOLOGY_CLINIC = "Cardiology clinic"
MEDICINE_CLINIC = "General medicine clinic"
NURSING_CLINIC = "Nursing clinic"
DEPARTMENTS = (CARDIOLOGY_CLINIC, MEDICINE_CLINIC, NURSING_CLINIC)
SCHEDULE_DAYS = 14
WORKING_BLOCKS = ((time(8, 0), time(12, 0)), (time(13, 0), time(17, 0)))
# The demo doctor and nurse also hold a weekend morning clinic: a demo always has a day.
WEEKEND_BLOCK = (time(9, 0), time(13, 0))
DOCTOR_SLOT_MINUTES = 20
NURSE_SLOT_MINUTES = 15
# Shares of the slots booked: the demo doctor's and nurse's days are full enough to work.
DEMO_LOGIN_FILL = 0.6
OTHERS_FILL = 0.35
ARRIVED_TODAY_DEMO = 3
APPOINTMENT_KINDS = [
    (Appointment.Kind.FOLLOW_UP, 50),
    (Appointment.Kind.NEW_PATIENT, 20),
    (Appointment.Kind.CHECKUP, 20),
    (Appointment.Kind.URGENT, 10),
]
APPOINTMENT_REASONS = {
    Appointment.Kind.FOLLOW_UP: ["Blood pressure review", "Medication review", "Lab results"],
    Appointment.Kind.NEW_PATIENT: ["Chest pain on exertion", "Shortness of breath", "Palpitations"],
    Appointment.Kind.CHECKUP: ["Annual check-up", "Pre-operative check"],
    Appointment.Kind.URGENT: ["Fever for three days", "Sudden dizziness"],
    Appointment.Kind.NURSING: ["Wound dressing", "Blood draw", "Vaccination", "INR check"],
}
VIDEO_LINK = "https://video.example.org/phms-demo/{number:04d}"

# Catalogs ---------------------------------------------------------------------------

ORGANIZATIONS = [
    ("PHMS General Hospital", "55 Fruit Street", "Boston", "Massachusetts", "02114"),
    ("Bayview Medical Center", "500 Parnassus Avenue", "San Francisco", "California", "94143"),
    ("Pioneer Valley Clinic", "759 Chestnut Street", "Springfield", "Massachusetts", "01199"),
    ("Harbor Urgent Care", "1200 N State Street", "Los Angeles", "California", "90033"),
]
SPECIALTIES = [
    "Cardiology",
    "Internal Medicine",
    "Family Medicine",
    "Emergency Medicine",
    "Pediatrics",
    "Pulmonology",
    "Endocrinology",
    "Infectious Disease",
    "Orthopedics",
    "Neurology",
]
WARDS = ["Ward 3B (Cardiology)", "Ward 4A (Medicine)", "Emergency Department", "ICU"]
PAYERS = [
    ("Blue Cross Blue Shield", "Chicago", "Illinois", "800-262-2583"),
    ("Medicare", "Baltimore", "Maryland", "800-633-4227"),
    ("Medicaid", "Baltimore", "Maryland", "877-267-2323"),
    ("Aetna", "Hartford", "Connecticut", "800-872-3862"),
    ("UnitedHealthcare", "Minnetonka", "Minnesota", "800-328-5979"),
    ("Cigna", "Bloomfield", "Connecticut", "800-997-1654"),
    ("Humana", "Louisville", "Kentucky", "800-457-4708"),
]
PRIVATE_PAYERS = ["Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Cigna", "Humana"]

# (ICD-10 code, name, chronic?, weight among adults)
CONDITIONS = [
    ("I10", "Hypertension", True, 30),
    ("E78.5", "Hyperlipidemia", True, 20),
    ("E11.9", "Type 2 diabetes mellitus", True, 11),
    ("E66.9", "Obesity", True, 12),
    ("J45.909", "Asthma", True, 8),
    ("I25.10", "Coronary artery disease", True, 6),
    ("I48.91", "Atrial fibrillation", True, 4),
    ("I50.9", "Heart failure", True, 3),
    ("J44.9", "Chronic obstructive pulmonary disease", True, 5),
    ("E03.9", "Hypothyroidism", True, 6),
    ("F41.1", "Generalized anxiety disorder", True, 7),
    ("F32.9", "Major depressive disorder", True, 6),
    ("K21.9", "Gastro-esophageal reflux disease", True, 8),
    ("M17.9", "Osteoarthritis of knee", True, 6),
    ("N18.30", "Chronic kidney disease, stage 3", True, 3),
    ("U07.1", "COVID-19", False, 6),
    ("J06.9", "Acute upper respiratory infection", False, 18),
    ("J02.9", "Acute pharyngitis", False, 8),
    ("N39.0", "Urinary tract infection", False, 7),
    ("J18.9", "Pneumonia", False, 4),
    ("M54.50", "Low back pain", False, 9),
    ("R07.9", "Chest pain", False, 6),
    ("G43.909", "Migraine", False, 5),
    ("S93.401A", "Sprain of ankle", False, 5),
]
CARDIAC_CODES = {"I10", "I25.10", "I48.91", "I50.9", "R07.9", "E78.5"}

# (LOINC, name, unit, reference low, reference high, typical low, typical high)
LAB_TESTS = [
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", "70", "99", 65, 180),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "4.0", "5.6", 4.6, 9.5),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", "100", "199", 140, 280),
    ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", "0", "149", 60, 320),
    ("2085-9", "HDL Cholesterol", "mg/dL", "40", "90", 28, 85),
    ("18262-6", "LDL Cholesterol (direct)", "mg/dL", "0", "99", 60, 190),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "12.0", "17.5", 9.5, 17.8),
    ("6690-2", "Leukocytes [#/volume] in Blood", "10*3/uL", "4.5", "11.0", 3.2, 16.0),
    ("777-3", "Platelets [#/volume] in Blood", "10*3/uL", "150", "400", 120, 450),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "0.6", "1.3", 0.5, 2.4),
    ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", "135", "145", 130, 148),
    ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", "3.5", "5.1", 3.2, 5.6),
    ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume]", "U/L", "7", "56", 10, 90),
    ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "mIU/L", "0.4", "4.0", 0.2, 8.0),
    ("33762-6", "NT-proBNP [Mass/volume] in Serum or Plasma", "pg/mL", "0", "125", 20, 2500),
    ("10839-9", "Troponin I.cardiac [Mass/volume]", "ng/mL", "0.00", "0.04", 0.0, 0.3),
]
COVID_PCR = ("94500-6", "SARS-CoV-2 RNA [Presence] in Respiratory specimen by NAA", "")
LABS_FOR = {
    "I10": ["2160-0", "2951-2", "2823-3"],
    "E78.5": ["2093-3", "2571-8", "2085-9", "18262-6"],
    "E11.9": ["2345-7", "4548-4", "2160-0"],
    "I25.10": ["10839-9", "2093-3"],
    "I50.9": ["33762-6", "2160-0", "2823-3"],
    "I48.91": ["3016-3", "2823-3"],
    "E03.9": ["3016-3"],
    "N18.30": ["2160-0", "2823-3"],
    "R07.9": ["10839-9"],
    "J18.9": ["6690-2", "718-7"],
    "N39.0": ["6690-2"],
}
ROUTINE_LABS = ["718-7", "6690-2", "777-3", "2345-7", "2951-2", "1742-6"]

# (RxNorm code, name, strength, unit price)
MEDICATIONS = [
    ("197361", "Amlodipine 5 MG Oral Tablet", "5 mg", "0.45"),
    ("314076", "Lisinopril 10 MG Oral Tablet", "10 mg", "0.30"),
    ("310798", "Hydrochlorothiazide 25 MG Oral Tablet", "25 mg", "0.20"),
    ("860975", "Metformin 500 MG Extended Release Oral Tablet", "500 mg", "0.25"),
    ("617312", "Atorvastatin 40 MG Oral Tablet", "40 mg", "0.60"),
    ("311041", "Insulin Glargine 100 UNT/ML Injectable Solution", "100 U/mL", "98.00"),
    ("243670", "Aspirin 81 MG Oral Tablet", "81 mg", "0.03"),
    ("855332", "Warfarin Sodium 5 MG Oral Tablet", "5 mg", "0.20"),
    ("200031", "Carvedilol 6.25 MG Oral Tablet", "6.25 mg", "0.30"),
    ("197417", "Furosemide 40 MG Oral Tablet", "40 mg", "0.15"),
    ("895994", "Albuterol 90 MCG/ACTUAT Metered Dose Inhaler", "90 mcg", "45.00"),
    ("896188", "Fluticasone/Salmeterol 250/50 MCG Inhaler", "250/50 mcg", "310.00"),
    ("966247", "Levothyroxine 50 MCG Oral Tablet", "50 mcg", "0.28"),
    ("312940", "Sertraline 50 MG Oral Tablet", "50 mg", "0.22"),
    ("198053", "Omeprazole 20 MG Delayed Release Oral Capsule", "20 mg", "0.35"),
    ("310965", "Ibuprofen 200 MG Oral Tablet", "200 mg", "0.08"),
    ("313782", "Acetaminophen 325 MG Oral Tablet", "325 mg", "0.05"),
    ("308182", "Amoxicillin 500 MG Oral Capsule", "500 mg", "0.40"),
    ("197511", "Nitrofurantoin 100 MG Oral Capsule", "100 mg", "0.90"),
    ("2587899", "Nirmatrelvir 150 MG / Ritonavir 100 MG Oral Tablet Pack", "300/100 mg", "1390.00"),
    ("1049621", "Oxycodone 5 MG Oral Tablet", "5 mg", "0.65"),
    ("311700", "Sumatriptan 50 MG Oral Tablet", "50 mg", "2.10"),
]
MEDS_FOR = {
    "I10": ["197361", "314076", "310798"],
    "E78.5": ["617312"],
    "E11.9": ["860975", "311041"],
    "I25.10": ["243670", "617312"],
    "I48.91": ["855332"],
    "I50.9": ["200031", "197417"],
    "J45.909": ["895994"],
    "J44.9": ["896188", "895994"],
    "E03.9": ["966247"],
    "F41.1": ["312940"],
    "F32.9": ["312940"],
    "K21.9": ["198053"],
    "M17.9": ["310965"],
    "U07.1": ["2587899", "313782"],
    "J06.9": ["313782"],
    "J02.9": ["308182"],
    "N39.0": ["197511"],
    "J18.9": ["308182"],
    "M54.50": ["310965", "1049621"],
    "G43.909": ["311700"],
    "S93.401A": ["310965"],
}
SYMPTOMS_FOR = {
    "U07.1": ["Fever", "Cough", "Loss of taste or smell", "Fatigue"],
    "J06.9": ["Cough", "Sore throat", "Nasal congestion"],
    "J02.9": ["Sore throat", "Fever"],
    "N39.0": ["Painful urination", "Lower abdominal pain"],
    "J18.9": ["Cough", "Fever", "Shortness of breath"],
    "M54.50": ["Low back pain"],
    "R07.9": ["Chest pain", "Shortness of breath"],
    "G43.909": ["Headache", "Nausea"],
    "S93.401A": ["Ankle pain", "Swelling"],
    "I50.9": ["Shortness of breath", "Leg swelling"],
    "I10": ["Headache", "Dizziness"],
    "M17.9": ["Knee pain"],
}
# (CPT code, description, price)
SERVICE_CHARGES = [
    ("99213", "Office visit, established patient, low complexity", "110.00"),
    ("99214", "Office visit, established patient, moderate complexity", "165.00"),
    ("99395", "Preventive visit, established patient, 18-39", "210.00"),
    ("99284", "Emergency department visit, moderate severity", "520.00"),
    ("99223", "Initial hospital inpatient care, high complexity", "380.00"),
    ("99232", "Subsequent hospital inpatient care", "140.00"),
    ("99238", "Hospital discharge day management", "150.00"),
    ("99204", "Urgent care visit, new patient", "230.00"),
    ("99443", "Telephone evaluation and management", "75.00"),
    ("93000", "Electrocardiogram, complete", "60.00"),
    ("71046", "Chest X-ray, 2 views", "95.00"),
    ("36415", "Venipuncture", "12.00"),
    ("80053", "Comprehensive metabolic panel", "45.00"),
    ("85025", "Complete blood count with differential", "30.00"),
    ("87635", "SARS-CoV-2 amplified probe test", "100.00"),
]
VISIT_CHARGE = {
    Encounter.EncounterClass.AMBULATORY: "99213",
    Encounter.EncounterClass.OUTPATIENT: "99214",
    Encounter.EncounterClass.WELLNESS: "99395",
    Encounter.EncounterClass.EMERGENCY: "99284",
    Encounter.EncounterClass.INPATIENT: "99223",
    Encounter.EncounterClass.URGENT_CARE: "99204",
    Encounter.EncounterClass.VIRTUAL: "99443",
}
ENCOUNTER_CLASSES = [
    (Encounter.EncounterClass.AMBULATORY, 40),
    (Encounter.EncounterClass.WELLNESS, 15),
    (Encounter.EncounterClass.EMERGENCY, 14),
    (Encounter.EncounterClass.OUTPATIENT, 10),
    (Encounter.EncounterClass.INPATIENT, 10),
    (Encounter.EncounterClass.URGENT_CARE, 7),
    (Encounter.EncounterClass.VIRTUAL, 4),
]
# How long each class of encounter lasts, in minutes (low, high).
STAY_MINUTES = {
    Encounter.EncounterClass.AMBULATORY: (15, 60),
    Encounter.EncounterClass.WELLNESS: (20, 60),
    Encounter.EncounterClass.OUTPATIENT: (30, 240),
    Encounter.EncounterClass.EMERGENCY: (90, 600),
    Encounter.EncounterClass.INPATIENT: (1 * 1440, 8 * 1440),
    Encounter.EncounterClass.URGENT_CARE: (30, 120),
    Encounter.EncounterClass.VIRTUAL: (10, 30),
}
BILL_STATUSES = [
    (Bill.Status.PAID, 40),
    (Bill.Status.SUBMITTED, 15),
    (Bill.Status.ACCEPTED, 12),
    (Bill.Status.PARTIALLY_PAID, 12),
    (Bill.Status.DENIED, 8),
    (Bill.Status.DRAFT, 8),
    (Bill.Status.CANCELLED, 5),
    (Bill.Status.RESUBMITTED, 3),
    (Bill.Status.APPEALED, 2),
    (Bill.Status.WRITTEN_OFF, 2),
]
# (state USPS code, weight, area code, postal prefix, cities)
STATES = [
    (
        "MA",
        40,
        "617",
        "02",
        ["Boston", "Cambridge", "Worcester", "Springfield", "Lowell"],
    ),
    ("CA", 30, "415", "94", ["San Francisco", "Oakland", "San Jose", "Los Angeles"]),
    ("NY", 10, "212", "10", ["New York", "Brooklyn", "Albany"]),
    ("TX", 8, "512", "78", ["Austin", "Houston", "Dallas"]),
    ("FL", 7, "305", "33", ["Miami", "Tampa", "Orlando"]),
    ("WA", 5, "206", "98", ["Seattle", "Spokane", "Tacoma"]),
]
# OMB race codes (patients/data/value_sets/race.csv): White, Black or African American, Asian,
# American Indian or Alaska Native, Native Hawaiian or Other Pacific Islander, Other Race.
RACES = [("2106-3", 72), ("2054-5", 13), ("2028-9", 8), ("1002-5", 2), ("2076-8", 1), ("2131-1", 4)]
HISPANIC, NOT_HISPANIC = "2135-2", "2186-5"
LANGUAGES = [("en", 80), ("es", 13), ("zh", 3), ("vi", 2), ("pt", 2)]
RELATIONSHIPS = ["Spouse", "Parent", "Child", "Sibling", "Friend", "Partner"]
MARITAL = ["M", "S", "D", "W"]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class DemoSummary:
    patients: int = 0
    created: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    def add(self, model, count: int) -> None:
        label = model._meta.label
        self.created[label] = self.created.get(label, 0) + count


@dataclass
class _Catalogs:
    organizations: list
    doctors: list
    cardiologists: list
    nurses: list
    payers: dict
    conditions: dict
    lab_tests: dict
    covid_pcr: LabTest
    medications: dict
    charges: dict
    departments: dict = field(default_factory=dict)  # (organization pk, name) -> Department


@dataclass
class _Chunk:
    """Unsaved rows of a chunk of patients, in the order they must be written."""

    patients: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    coverages: list = field(default_factory=list)
    encounters: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    vitals: list = field(default_factory=list)
    symptoms: list = field(default_factory=list)
    diagnoses: list = field(default_factory=list)
    labs: list = field(default_factory=list)
    prescriptions: list = field(default_factory=list)
    bills: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    ledger: list = field(default_factory=list)

    def batches(self):
        yield Patient, self.patients
        yield EmergencyContact, self.contacts
        yield Coverage, self.coverages
        yield Encounter, self.encounters
        yield CareAssignment, self.assignments
        yield VitalSigns, self.vitals
        yield Symptom, self.symptoms
        yield Diagnosis, self.diagnoses
        yield LabResult, self.labs
        yield Prescription, self.prescriptions
        yield Bill, self.bills
        yield BillLine, self.lines
        yield LedgerEntry, self.ledger


class _Hospital:
    """Draws the demo population; every random choice comes from `self.rng`."""

    def __init__(self, *, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.now = now
        self.as_of = now.date()
        self.unseen_statuses = [status for status, _weight in BILL_STATUSES]

    # Catalogs and staff -------------------------------------------------------------

    def catalogs(self, summary: DemoSummary, patients: int) -> _Catalogs:
        organizations = []
        for name, street, city, state, postal in ORGANIZATIONS:
            organizations.append(
                self._named(
                    summary,
                    Organization,
                    name,
                    address_line=street,
                    city=city,
                    state=state,
                    postal_code=postal,
                    phone=self.fake.numerify("###-555-####"),
                )
            )
        specialties = {}
        for name in SPECIALTIES:
            specialties[name], created = Specialty.objects.get_or_create(name=name)
            summary.add(Specialty, int(created))
        payers = {}
        for name, city, state, phone in PAYERS:
            payers[name] = self._named(summary, Payer, name, city=city, state=state, phone=phone)
        conditions = self._catalog(
            summary,
            Condition,
            "code",
            [
                Condition(code_system=Condition.CodeSystem.ICD10, code=code, name=name)
                for code, name, _chronic, _weight in CONDITIONS
            ],
            code_system=Condition.CodeSystem.ICD10,
        )
        lab_rows = [
            LabTest(
                loinc_code=loinc,
                name=name,
                unit=unit,
                reference_low=Decimal(low),
                reference_high=Decimal(high),
            )
            for loinc, name, unit, low, high, _tl, _th in LAB_TESTS
        ]
        lab_rows.append(LabTest(loinc_code=COVID_PCR[0], name=COVID_PCR[1], unit=COVID_PCR[2]))
        lab_tests = self._catalog(summary, LabTest, "loinc_code", lab_rows)
        medications = self._catalog(
            summary,
            Medication,
            "code",
            [
                Medication(code=code, name=name, strength=strength, unit_price=Decimal(price))
                for code, name, strength, price in MEDICATIONS
            ],
        )
        charges = self._catalog(
            summary,
            ServiceCharge,
            "code",
            [
                ServiceCharge(
                    code=code, code_system="CPT", description=text, unit_price=Decimal(price)
                )
                for code, text, price in SERVICE_CHARGES
            ],
        )
        departments = self._departments(summary, organizations)
        doctors, nurses = self._staff(summary, patients, organizations, specialties, departments)
        return _Catalogs(
            organizations=organizations,
            doctors=doctors,
            cardiologists=[d for d in doctors if d.specialty.name == "Cardiology"],
            nurses=nurses,
            payers=payers,
            conditions=conditions,
            lab_tests=lab_tests,
            covid_pcr=lab_tests[COVID_PCR[0]],
            medications=medications,
            charges=charges,
            departments=departments,
        )

    @staticmethod
    def _catalog(summary, model, key: str, rows: list, **scope) -> dict:
        """The catalog rows by `key`, reusing rows already there (e.g. from a Synthea import)."""
        existing = model.objects.filter(**scope)
        known = set(existing.values_list(key, flat=True))
        missing = [row for row in rows if getattr(row, key) not in known]
        if missing:
            bulk_create_with_history(
                missing, model, batch_size=500, default_change_reason=CHANGE_REASON
            )
            summary.add(model, len(missing))
        wanted = [getattr(row, key) for row in rows]
        by_key = {getattr(row, key): row for row in existing.filter(**{f"{key}__in": wanted})}
        return {code: by_key[code] for code in wanted}

    @staticmethod
    def _named(summary, model, name: str, **defaults):
        row = model.objects.filter(name=name).order_by("pk").first()
        if row is None:
            row = model(name=name, **defaults)
            row._change_reason = CHANGE_REASON
            row.save()
            summary.add(model, 1)
        return row

    @staticmethod
    def _departments(summary, organizations) -> dict:
        """The clinics of each organization, reusing those already there."""
        departments = {}
        for organization in organizations:
            for name in DEPARTMENTS:
                department = Department.objects.filter(organization=organization, name=name).first()
                if department is None:
                    department = Department(organization=organization, name=name)
                    department._change_reason = CHANGE_REASON
                    department.save()
                    summary.add(Department, 1)
                departments[(organization.pk, name)] = department
        return departments

    def _staff(self, summary, patients, organizations, specialties, departments):
        """Doctors (a quarter of them cardiologists) and nurses, each in a department of their
        organization; multi-table rows, one by one."""
        doctor_count = min(max(patients // 150, 12), 80)
        nurse_count = min(max(patients // 200, 8), 60)
        doctors, nurses = [], []
        for index in range(doctor_count):
            specialty = "Cardiology" if index % 4 == 0 else SPECIALTIES[1 + index % 9]
            sex = self.rng.choice("FM")
            doctors.append(
                Doctor(
                    first_name=self._first_name(sex),
                    last_name=self.fake.last_name(),
                    gender=sex,
                    specialty=specialties[specialty],
                    organization=organizations[index % len(organizations)],
                    department=departments[
                        (
                            organizations[index % len(organizations)].pk,
                            CARDIOLOGY_CLINIC if specialty == "Cardiology" else MEDICINE_CLINIC,
                        )
                    ],
                    license_number=f"MD{100000 + index}",
                    board_certified=self.rng.random() < 0.85,
                )
            )
        for index in range(nurse_count):
            sex = _weighted(self.rng, [("F", 85), ("M", 15)])
            nurses.append(
                Nurse(
                    first_name=self._first_name(sex),
                    last_name=self.fake.last_name(),
                    gender=sex,
                    organization=organizations[index % 2],
                    department=departments[(organizations[index % 2].pk, NURSING_CLINIC)],
                    license_number=f"RN{200000 + index}",
                    ward=WARDS[index % len(WARDS)],
                )
            )
        # Multi-table inheritance rules out bulk_create; a few dozen saves are cheap.
        for provider in (*doctors, *nurses):
            provider._change_reason = CHANGE_REASON
            provider.save()
        summary.add(Doctor, len(doctors))
        summary.add(Nurse, len(nurses))
        return doctors, nurses

    def _first_name(self, sex: str) -> str:
        return self.fake.first_name_female() if sex == "F" else self.fake.first_name_male()

    # Patients ----------------------------------------------------------------------

    def patient(self, index: int, cat: _Catalogs, chunk: _Chunk) -> None:
        rng = self.rng
        sex = rng.choice("FM")
        age_days = int(rng.triangular(200, 95 * 365, 52 * 365))
        born = self.as_of - timedelta(days=age_days)
        state, _w, area, postal, cities = _weighted(rng, [(row, row[1]) for row in STATES])
        first = self._first_name(sex)
        last = self.fake.last_name()
        patient = Patient(
            mrn=mrn_for_serial(index + 1),
            first_name=first,
            middle_name=self._first_name(sex) if rng.random() < 0.4 else "",
            last_name=last,
            date_of_birth=born,
            sex=sex,
            race=_weighted(rng, RACES),
            ethnicity=HISPANIC if rng.random() < 0.15 else NOT_HISPANIC,
            preferred_language=_weighted(rng, LANGUAGES),
            marital_status=rng.choice(MARITAL) if age_days > 18 * 365 else "S",
            address_line=self.fake.street_address(),
            city=rng.choice(cities),
            state=state,
            county="",
            postal_code=f"{postal}{rng.randint(100, 999)}",
            phone=f"{area}-555-{rng.randint(0, 9999):04d}",
            email=f"{first}.{last}{index}@example.com".lower() if rng.random() < 0.7 else "",
        )
        patient.set_ssn(
            f"{rng.randint(100, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        )
        patient.refresh_match_keys()
        patient._change_reason = CHANGE_REASON
        chunk.patients.append(patient)
        age = age_days // 365

        if rng.random() < 0.85:
            for _ in range(1 if rng.random() < 0.8 else 2):
                contact_sex = rng.choice("FM")
                chunk.contacts.append(
                    EmergencyContact(
                        patient=patient,
                        first_name=self._first_name(contact_sex),
                        last_name=last if rng.random() < 0.6 else self.fake.last_name(),
                        relationship="Parent" if age < 18 else rng.choice(RELATIONSHIPS),
                        phone=f"{area}-555-{rng.randint(0, 9999):04d}",
                    )
                )

        payer = self._payer(age, cat)
        if payer is not None:
            chunk.coverages.append(
                Coverage(
                    patient=patient,
                    payer=payer,
                    member_id=f"{payer.name[:3].upper()}{rng.randint(10**8, 10**9 - 1)}",
                    start_date=max(born, self.as_of - timedelta(days=rng.randint(800, 4000))),
                    ownership=Coverage.Ownership.GUARDIAN if age < 18 else Coverage.Ownership.SELF,
                )
            )

        chronic = self._chronic_conditions(age)
        visits = rng.choices([1, 2, 3, 4, 5], weights=[30, 30, 20, 12, 8])[0]
        offsets = sorted(rng.sample(range(1, 730), visits), reverse=True)
        still_admitted = rng.random() < 0.03
        for number, days_ago in enumerate(offsets):
            last_visit = number == visits - 1
            self._encounter(
                patient,
                days_ago=0 if (last_visit and still_admitted) else days_ago,
                is_open=last_visit and still_admitted,
                chronic=chronic if number == 0 else [],
                known=chronic,
                payer=payer,
                cat=cat,
                chunk=chunk,
            )

    def _payer(self, age: int, cat: _Catalogs):
        roll = self.rng.random()
        if age >= 65:
            return cat.payers["Medicare"] if roll < 0.9 else None
        if roll < 0.18:
            return cat.payers["Medicaid"]
        if roll < 0.88:
            return cat.payers[self.rng.choice(PRIVATE_PAYERS)]
        return None

    def _chronic_conditions(self, age: int) -> list[str]:
        if age < 18:
            return ["J45.909"] if self.rng.random() < 0.1 else []
        chance = min(0.2 + age / 100, 0.95)
        chronic = []
        for code, _name, is_chronic, weight in CONDITIONS:
            if is_chronic and self.rng.random() < chance * weight / 100:
                chronic.append(code)
        return chronic

    def _encounter(self, patient, *, days_ago, is_open, chronic, known, payer, cat, chunk):
        rng = self.rng
        encounter_class = (
            Encounter.EncounterClass.INPATIENT if is_open else _weighted(rng, ENCOUNTER_CLASSES)
        )
        admitted = self.now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
        if is_open:
            admitted = self.now - timedelta(hours=rng.randint(4, 96))
        acute = []
        if encounter_class != Encounter.EncounterClass.WELLNESS:
            acute = [_weighted(rng, [(c[0], c[3]) for c in CONDITIONS if not c[2]])]
        codes = [*chronic, *acute]
        reason_code = acute[0] if acute else (chronic[0] if chronic else "")
        reason = cat.conditions[reason_code].name if reason_code else "Annual check-up"
        low, high = STAY_MINUTES[encounter_class]
        stay = timedelta(minutes=rng.randint(low, high))
        latest_discharge = self.now - timedelta(hours=1)
        if not is_open and admitted + stay > latest_discharge:
            admitted = latest_discharge - stay
        discharged = None if is_open else admitted + stay
        organization = cat.organizations[
            0 if patient.state == "MA" else 1 if patient.state == "CA" else 2
        ]
        encounter = Encounter(
            patient=patient,
            encounter_class=encounter_class,
            status=Encounter.Status.IN_PROGRESS if is_open else Encounter.Status.FINISHED,
            admitted_at=admitted,
            discharged_at=discharged,
            type_description=f"{encounter_class.label} visit",
            reason=reason,
            reason_code=reason_code,
            organization=organization,
        )
        chunk.encounters.append(encounter)

        cardiac = any(code in CARDIAC_CODES for code in [*codes, *known])
        doctor = rng.choice(cat.cardiologists if cardiac else cat.doctors)
        chunk.assignments.append(
            CareAssignment(
                encounter=encounter,
                provider=doctor,
                role=CareAssignment.Role.ATTENDING,
                ended_at=discharged,
            )
        )
        if encounter_class in (
            Encounter.EncounterClass.INPATIENT,
            Encounter.EncounterClass.EMERGENCY,
        ):
            chunk.assignments.append(
                CareAssignment(
                    encounter=encounter,
                    provider=rng.choice(cat.nurses),
                    role=CareAssignment.Role.NURSING,
                    ended_at=discharged,
                )
            )

        readings = 3 if encounter_class == Encounter.EncounterClass.INPATIENT else 1
        if encounter_class != Encounter.EncounterClass.VIRTUAL:
            for reading in range(readings):
                chunk.vitals.append(
                    self._vitals(
                        encounter,
                        admitted + timedelta(minutes=10 + reading * 480),
                        hypertensive="I10" in known,
                        fever="U07.1" in acute,
                    )
                )

        for code in acute:
            for description in rng.sample(SYMPTOMS_FOR.get(code, ["Fatigue"]), k=1):
                chunk.symptoms.append(
                    Symptom(
                        encounter=encounter,
                        description=description,
                        severity=_weighted(
                            rng,
                            [
                                (Symptom.Severity.MILD, 5),
                                (Symptom.Severity.MODERATE, 4),
                                (Symptom.Severity.SEVERE, 1),
                            ],
                        ),
                        onset_date=(admitted - timedelta(days=rng.randint(0, 5))).date(),
                    )
                )

        for code in codes:
            is_acute = code in acute
            chunk.diagnoses.append(
                Diagnosis(
                    encounter=encounter,
                    condition=cat.conditions[code],
                    diagnosed_by=doctor,
                    onset_date=admitted.date(),
                    resolved_date=min(
                        discharged.date() + timedelta(days=rng.randint(3, 20)), self.as_of
                    )
                    if is_acute and discharged
                    else None,
                    status=Diagnosis.Status.RESOLVED
                    if is_acute and discharged
                    else Diagnosis.Status.ACTIVE,
                )
            )

        lab_codes = []
        for code in codes:
            lab_codes.extend(LABS_FOR.get(code, []))
        if encounter_class in (
            Encounter.EncounterClass.WELLNESS,
            Encounter.EncounterClass.INPATIENT,
        ):
            lab_codes.extend(rng.sample(ROUTINE_LABS, k=3))
        for loinc in dict.fromkeys(lab_codes):
            chunk.labs.append(self._lab(encounter, cat.lab_tests[loinc], admitted))
        if "U07.1" in acute or ("J06.9" in acute and rng.random() < 0.5):
            detected = "U07.1" in acute
            chunk.labs.append(
                LabResult(
                    encounter=encounter,
                    lab_test=cat.covid_pcr,
                    observed_at=admitted + timedelta(hours=2),
                    value_text="Detected" if detected else "Not detected",
                    abnormal_flag=LabResult.Flag.ABNORMAL if detected else LabResult.Flag.NORMAL,
                )
            )

        for code in codes:
            options = MEDS_FOR.get(code)
            if not options or rng.random() < 0.2:
                continue
            medication = cat.medications[rng.choice(options)]
            start = admitted.date()
            chronic_med = code in chronic
            chunk.prescriptions.append(
                Prescription(
                    encounter=encounter,
                    medication=medication,
                    prescriber=doctor,
                    dose="1 tablet" if "Tablet" in medication.name else "as directed",
                    frequency="once daily"
                    if chronic_med
                    else rng.choice(
                        ["twice daily", "every 6 hours as needed", "three times daily"]
                    ),
                    start_date=start,
                    end_date=None if chronic_med else start + timedelta(days=rng.randint(5, 14)),
                    dispenses=rng.randint(1, 6) if chronic_med else 1,
                    reason=cat.conditions[code].name,
                )
            )

        self._bill(
            encounter, patient, payer, is_open, lab_count=len(lab_codes), cat=cat, chunk=chunk
        )

    def _vitals(self, encounter, recorded_at, *, hypertensive: bool, fever: bool) -> VitalSigns:
        rng = self.rng
        systolic = rng.randint(135, 175) if hypertensive else rng.randint(100, 135)
        diastolic = min(rng.randint(60, 95) + (8 if hypertensive else 0), systolic - 20)
        height = Decimal(rng.randint(1500, 1950)) / 10
        bmi = rng.uniform(18.5, 38)
        weight = _money(bmi * float(height / 100) ** 2).quantize(Decimal("0.1"))
        vitals = VitalSigns(
            encounter=encounter,
            recorded_at=recorded_at,
            heart_rate=rng.randint(58, 105),
            temperature_c=Decimal(rng.randint(380, 395) if fever else rng.randint(361, 374)) / 10,
            systolic_bp=systolic,
            diastolic_bp=diastolic,
            spo2=rng.randint(90, 97) if fever else rng.randint(95, 100),
            respiratory_rate=rng.randint(12, 22),
            weight_kg=weight,
            height_cm=height,
            pain_score=rng.randint(0, 8),
        )
        # Derived, not drawn, so the seed's later draws stay as they were: a complete NEWS2 set.
        vitals.supplemental_oxygen = vitals.spo2 <= 92
        vitals.consciousness = VitalSigns.Consciousness.ALERT
        return vitals

    def _lab(self, encounter, lab_test: LabTest, admitted) -> LabResult:
        spec = next(row for row in LAB_TESTS if row[0] == lab_test.loinc_code)
        low, high = spec[5], spec[6]
        places = 2 if high < 1 else 1 if high < 20 else 0
        value = Decimal(str(round(self.rng.uniform(low, high), places)))
        result = LabResult(
            encounter=encounter,
            lab_test=lab_test,
            observed_at=admitted + timedelta(hours=1),
            value_numeric=value,
            unit=lab_test.unit,
            reference_low=lab_test.reference_low,
            reference_high=lab_test.reference_high,
        )
        result.abnormal_flag = result.flag_from_range()
        return result

    def _bill(self, encounter, patient, payer, is_open, *, lab_count, cat, chunk) -> None:
        rng = self.rng
        # The first bills take each status once, so even a tiny demo shows every status.
        if is_open:
            status = Bill.Status.DRAFT
        elif self.unseen_statuses:
            status = self.unseen_statuses[0]
        else:
            status = _weighted(rng, BILL_STATUSES)
        if status in self.unseen_statuses:
            self.unseen_statuses.remove(status)
        bill = Bill(
            encounter=encounter,
            patient=patient,
            payer=payer,
            status=status,
            issued_on=(encounter.discharged_at or encounter.admitted_at).date(),
        )
        codes = [VISIT_CHARGE[encounter.encounter_class]]
        if encounter.encounter_class == Encounter.EncounterClass.INPATIENT:
            codes.extend(["99232", "99238"])
        if lab_count:
            codes.extend(["36415", "80053"])
        if encounter.reason_code in CARDIAC_CODES:
            codes.append("93000")
        if encounter.reason_code in ("J18.9", "U07.1") and rng.random() < 0.6:
            codes.append("71046")
        total = Decimal("0.00")
        for code in codes:
            charge = cat.charges[code]
            quantity = Decimal(
                max((encounter.discharged_at - encounter.admitted_at).days, 1)
                if code == "99232" and encounter.discharged_at
                else 1
            )
            line = BillLine(
                bill=bill,
                service_charge=charge,
                code=charge.code,
                description=charge.description,
                quantity=quantity,
                unit_price=charge.unit_price,
            )
            total += line.amount
            chunk.lines.append(line)
        bill.total_amount = total
        self._ledger(bill, status, chunk)
        chunk.bills.append(bill)

    def _ledger(self, bill, status, chunk) -> None:
        """The payer's allowance, its payment, the patient's share and payment, as a billing
        office would have posted them for a bill of that status; the totals are their sums."""
        rng = self.rng
        total, posted_on = bill.total_amount, bill.issued_on
        entries = []

        def post(kind, amount, **details):
            if amount > 0:
                entries.append(
                    LedgerEntry(bill=bill, kind=kind, amount=amount, posted_on=posted_on, **details)
                )

        paid_statuses = (Bill.Status.ACCEPTED, Bill.Status.PARTIALLY_PAID, Bill.Status.PAID)
        if bill.payer is not None and status in (*paid_statuses, Bill.Status.WRITTEN_OFF):
            allowed = _money(total * Decimal(rng.randint(60, 95)) / 100)
            bill.sanctioned_amount = allowed
            post(LedgerEntry.Kind.CONTRACTUAL, total - allowed, reason_code="45")
            # A partly paid claim leaves the patient a share still to pay.
            shares = [80, 90] if status == Bill.Status.PARTIALLY_PAID else [80, 90, 100]
            insurer_share = _money(allowed * Decimal(rng.choice(shares)) / 100)
            if status in (Bill.Status.PARTIALLY_PAID, Bill.Status.PAID):
                post(
                    LedgerEntry.Kind.PAYMENT,
                    insurer_share,
                    party=LedgerEntry.Party.PAYER,
                    method=LedgerEntry.Method.EFT,
                    reference=f"ERA-{rng.randint(100000, 999999)}",
                )
            post(LedgerEntry.Kind.TRANSFER, allowed - insurer_share, reason_code="2")
            patient_share = allowed - insurer_share
        else:
            patient_share = total if bill.payer is None else ZERO
        if status == Bill.Status.PAID:
            post(
                LedgerEntry.Kind.PAYMENT,
                patient_share,
                party=LedgerEntry.Party.PATIENT,
                method=rng.choice([LedgerEntry.Method.CARD, LedgerEntry.Method.CASH]),
            )
        elif status == Bill.Status.PARTIALLY_PAID and bill.payer is None:
            post(
                LedgerEntry.Kind.PAYMENT,
                _money(patient_share * Decimal(rng.randint(20, 70)) / 100),
                party=LedgerEntry.Party.PATIENT,
                method=LedgerEntry.Method.CARD,
            )
        elif status == Bill.Status.WRITTEN_OFF:
            paid = sum((e.amount for e in entries if e.kind == LedgerEntry.Kind.CONTRACTUAL), ZERO)
            post(LedgerEntry.Kind.WRITE_OFF, total - paid, reason_code="29")
        totals = LedgerTotals()
        for entry in entries:
            totals.add(entry.kind, entry.party, entry.amount)
        for name, value in totals.fields().items():
            setattr(bill, name, value)
        chunk.ledger.extend(entries)


# Services ------------------------------------------------------------------------------


class _RowWriter:
    """Inserts the population's rows and their "created" history rows with `executemany`.

    `bulk_create_with_history` spends most of its time compiling SQL per row (about 8 ms
    per demo patient); this writer gives rows explicit ids (the demo only seeds an empty
    database, one process at a time) and binds plain tuples, which is several times
    faster. The history rows are the ones simple-history's `bulk_history_create` writes.
    """

    HISTORY_FIELDS = ("history_date", "history_change_reason", "history_type", "history_user")
    BATCH = 2000

    def __init__(self, *, now: datetime, summary: DemoSummary):
        self.now = now
        self.summary = summary
        self.next_ids: dict = {}

    def write(self, model, rows: list) -> None:
        if not rows:
            return
        meta = model._meta
        first_id = self.next_ids.get(model)
        if first_id is None:
            first_id = (model._base_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.next_ids[model] = first_id + len(rows)
        foreign_keys = [f for f in meta.concrete_fields if f.is_relation]
        stamped = [f for f in meta.concrete_fields if getattr(f, "auto_now_add", False)]
        for offset, row in enumerate(rows):
            values = row.__dict__
            values[meta.pk.attname] = first_id + offset
            for fk in foreign_keys:
                parent = row._state.fields_cache.get(fk.name)
                if parent is not None and values.get(fk.attname) is None:
                    values[fk.attname] = parent.pk
            for f in stamped:
                if values.get(f.attname) is None:
                    values[f.attname] = self.now
            row._state.adding = False
            row._state.db = "default"
        self._insert(model, meta.concrete_fields, rows, {})
        history = getattr(model, "history", None)
        if history is not None:
            historical = history.model
            fields = [f for f in historical._meta.concrete_fields if f.name != "history_id"]
            unknown = [
                f.name
                for f in fields
                if f.name not in self.HISTORY_FIELDS and not hasattr(rows[0], f.attname)
            ]
            if unknown:
                raise RuntimeError(f"history of {meta.label} has fields {unknown} to fill")
            fixed = {
                "history_date": self.now,
                "history_change_reason": CHANGE_REASON,
                "history_type": "+",
                "history_user_id": None,
            }
            self._insert(historical, fields, rows, fixed)
        self.summary.add(model, len(rows))

    def _insert(self, model, fields, rows, fixed: dict) -> None:
        ops = connection.ops
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Table and column names come from model metadata, values are bound parameters.
        sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        prepare = [(f.attname, fixed.get(f.attname, _KEEP), _preparer(f)) for f in fields]
        values = [
            tuple(
                (convert(row.__dict__[attname]) if value is _KEEP else convert(value))
                for attname, value, convert in prepare
            )
            for row in rows
        ]
        with connection.cursor() as cursor:
            for start in range(0, len(values), self.BATCH):
                cursor.executemany(sql, values[start : start + self.BATCH])


_KEEP = object()


def _as_is(value):
    return value


def _preparer(field):
    """How a field's Python value becomes a driver value (dates need the backend's say)."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.TimeField):
        return connection.ops.adapt_timefield_value
    if isinstance(field, models.UUIDField):
        return functools.partial(field.get_db_prep_save, connection=connection)
    return _as_is


@contextlib.contextmanager
def _large_sqlite_cache():
    """SQLite's default 2 MB page cache makes index upkeep dominate a large seed."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB, only while seeding
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


@transaction.atomic
def demo_seed(*, patients: int, seed: int, as_of: date | None = None, progress=None) -> DemoSummary:
    """Build the demo hospital with `patients` patients; refuses a database that has patients.

    One transaction: a failure part-way leaves the database as empty as it was.
    """
    if patients < 1:
        raise ValueError("the demo needs at least one patient")
    if Patient.all_objects.exists():
        raise ValueError("the database already has patients; seed an empty database")
    roles_setup()
    summary = DemoSummary(patients=patients)
    if as_of is None:
        now = timezone.now().replace(second=0, microsecond=0)
    else:
        now = datetime.combine(as_of, time(12, 0), tzinfo=UTC)
    hospital = _Hospital(seed=seed, now=now)
    with transaction.atomic():
        catalogs = hospital.catalogs(summary, patients)
    writer = _RowWriter(now=now, summary=summary)
    with _large_sqlite_cache():
        for start in range(0, patients, CHUNK_PATIENTS):
            chunk = _Chunk()
            for index in range(start, min(start + CHUNK_PATIENTS, patients)):
                hospital.patient(index, catalogs, chunk)
            with transaction.atomic():
                for model, rows in chunk.batches():
                    writer.write(model, rows)
            if progress is not None:
                progress(min(start + CHUNK_PATIENTS, patients))
    with transaction.atomic():
        demo_logins_create(catalogs=catalogs, summary=summary)
    with transaction.atomic():
        demo_schedules_create(catalogs=catalogs, summary=summary, seed=seed, now=now)
    summary.created["vaccination events (document store)"] = demo_vaccinations_create(
        seed=seed, today=timezone.localtime(now).date()
    )
    return summary


# Vaccinations go to the document store for the first patients only: the embedded store's
# writes slow down as it fills, and a sample is enough for the charts and reports.
DEMO_VACCINATED_PATIENTS = 1500
# (CVX code, vaccine as recorded, share of patients, doses, years between doses)
DEMO_VACCINES = (
    ("150", "Influenza, injectable, quadrivalent, preservative free", 0.55, 3, 1),
    ("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose", 0.45, 3, 0.4),
    ("115", "Tdap", 0.35, 1, 0),
    ("133", "Pneumococcal conjugate PCV 13", 0.2, 1, 0),
    ("43", "Hep B, adult", 0.15, 3, 0.2),
    ("121", "Zoster vaccine, live", 0.1, 1, 0),
)


def demo_vaccinations_create(*, seed: int, today: date) -> int:
    """Completed vaccinations for a deterministic share of the first patients."""
    from patients.vaccinations import vaccinations_import_many

    rng = random.Random(seed * 104729 + 7)
    events = []
    for patient in Patient.objects.order_by("pk")[:DEMO_VACCINATED_PATIENTS]:
        for code, vaccine, share, doses, years_apart in DEMO_VACCINES:
            if rng.random() >= share:
                continue
            first = today - timedelta(days=rng.randint(30, 5 * 365))
            for dose in range(1, rng.randint(1, doses) + 1):
                given = first + timedelta(days=int(365 * years_apart * (dose - 1)))
                if given > today:
                    break
                events.append(
                    {
                        "patient": patient,
                        "vaccine": vaccine,
                        "cvx_code": code,
                        "dose_number": dose,
                        "date": given,
                        "route": "intramuscular",
                        "external_id": f"demo-vaccination-{patient.pk}-{code}-{dose}",
                    }
                )
    return vaccinations_import_many(events=events) if events else 0


class _Schedules:
    """Working hours and two weeks of appointments that obey the booking rules: inside the
    provider's hours, on their slot grid, never over another appointment of the provider or
    of the patient (a patient has at most one appointment a day). Today's first patients
    are checked in as `appointment_check_in` does it: arrived, an open encounter of the class
    the appointment type maps to, the provider on its care team.
    """

    def __init__(self, *, seed: int, now: datetime, booked_by):
        # Its own generator: the population of a seed does not depend on the schedules.
        self.rng = random.Random(seed * 7919 + 13)
        self.now = now
        self.today = timezone.localtime(now).date()
        self.booked_by = booked_by
        self.hours: list[WorkingHours] = []
        self.appointments: list[Appointment] = []
        self.encounters: list[Encounter] = []
        self.assignments: list[CareAssignment] = []
        self.busy: set[tuple[int, date]] = set()  # (patient pk, day) already booked
        self.videos = 0

    def working_hours(self, provider, *, slot_minutes: int, weekend: bool = False) -> list:
        blocks = []
        for weekday in range(7 if weekend else 5):
            for starts_at, ends_at in WORKING_BLOCKS if weekday < 5 else (WEEKEND_BLOCK,):
                blocks.append(
                    WorkingHours(
                        provider=provider,
                        department=provider.department,
                        weekday=weekday,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        slot_minutes=slot_minutes,
                    )
                )
        self.hours.extend(blocks)
        return blocks

    @staticmethod
    def slots(blocks, day: date) -> list[datetime]:
        found = []
        for block in blocks:
            if block.weekday != day.weekday():
                continue
            moment = timezone.make_aware(datetime.combine(day, block.starts_at))
            end = timezone.make_aware(datetime.combine(day, block.ends_at))
            step = timedelta(minutes=block.slot_minutes)
            while moment + step <= end:
                found.append(moment)
                moment += step
        return found

    def _free_patient(self, day: date, patients: list, preferred: list) -> int | None:
        for pk in preferred:
            if (pk, day) not in self.busy:
                preferred.remove(pk)
                return pk
        for _attempt in range(8):
            pk = self.rng.choice(patients)
            if (pk, day) not in self.busy:
                return pk
        return None

    def _book(self, provider, patient_pk, starts_at, minutes, *, video=False) -> Appointment:
        kind = (
            Appointment.Kind.NURSING
            if isinstance(provider, Nurse)
            else _weighted(self.rng, APPOINTMENT_KINDS)
        )
        appointment = Appointment(
            patient_id=patient_pk,
            provider=provider,
            department=provider.department,
            starts_at=starts_at,
            duration_minutes=minutes,
            ends_at=starts_at + timedelta(minutes=minutes),
            kind=kind,
            reason=self.rng.choice(APPOINTMENT_REASONS[kind]),
            booked_by=self.booked_by,
        )
        if video:
            self.videos += 1
            appointment.mode = Appointment.Mode.VIDEO
            appointment.meeting_link = VIDEO_LINK.format(number=self.videos)
        self.busy.add((patient_pk, timezone.localtime(starts_at).date()))
        self.appointments.append(appointment)
        return appointment

    def _check_in(self, appointment: Appointment, arrived_at: datetime) -> None:
        encounter = Encounter(
            patient_id=appointment.patient_id,
            encounter_class=ENCOUNTER_CLASS_OF_KIND[Appointment.Kind(appointment.kind)],
            status=Encounter.Status.IN_PROGRESS,
            admitted_at=arrived_at,
            reason=appointment.reason,
            organization_id=appointment.department.organization_id,
        )
        self.encounters.append(encounter)
        nursing = appointment.kind == Appointment.Kind.NURSING
        self.assignments.append(
            CareAssignment(
                encounter=encounter,
                provider=appointment.provider,
                role=CareAssignment.Role.NURSING if nursing else CareAssignment.Role.ATTENDING,
            )
        )
        appointment.status = Appointment.Status.ARRIVED
        appointment.arrived_at = arrived_at
        appointment.encounter = encounter

    def book_provider(
        self, provider, blocks, *, patients, fill, arrivals=0, arriving=(), video=False, first=()
    ) -> None:
        """Book a share `fill` of the provider's slots from today on. Today, `arrivals`
        patients (drawn from `arriving`) are checked in: those due last before now, or the
        day's first when fewer than that are past. `video`: the first free slot is a video visit.
        `first` are booked before anyone else, two days ahead at least (they may cancel)."""
        minutes = blocks[0].slot_minutes
        first = list(first)
        for offset in range(SCHEDULE_DAYS):
            day = self.today + timedelta(days=offset)
            slots = self.slots(blocks, day)
            due = []
            if offset == 0 and arrivals:
                past = [slot for slot in slots if slot < self.now]
                # Early in the day fewer slots lie behind: the next patients came early.
                due = past[-arrivals:] if len(past) >= arrivals else slots[:arrivals]
                for slot in due:
                    patient_pk = self._free_patient(day, list(arriving) or patients, [])
                    if patient_pk is not None:
                        appointment = self._book(provider, patient_pk, slot, minutes)
                        self._check_in(appointment, min(slot, self.now) - timedelta(minutes=5))
            free = [slot for slot in slots if slot >= self.now and slot not in due]
            if video and free:
                patient_pk = self._free_patient(day, patients, [])
                if patient_pk is not None:
                    self._book(provider, patient_pk, free.pop(0), minutes, video=True)
                    video = False
            for slot in free:
                if self.rng.random() >= fill:
                    continue
                patient_pk = self._free_patient(day, patients, first if offset >= 2 else [])
                if patient_pk is not None:
                    self._book(provider, patient_pk, slot, minutes)


def _pks(queryset) -> list[int]:
    return list(queryset.order_by("mrn").values_list("pk", flat=True).distinct())


def demo_schedules_create(*, catalogs: _Catalogs, summary: DemoSummary, seed: int, now) -> None:
    """Working hours for the demo clinicians and most other providers, and appointments for
    the coming two weeks, today included: the demo doctor and nurse have patients waiting
    today, the doctor a video visit, and the portal's records upcoming visits."""
    doctor = Doctor.objects.select_related("department").get(user__username="doctor")
    nurse = Nurse.objects.select_related("department").get(user__username="nurse")
    desk = get_user_model().objects.filter(username="frontdesk").first()
    schedules = _Schedules(seed=seed, now=now, booked_by=desk)
    # Who is admitted now is not booked in clinic; a check-in would open a second encounter.
    admitted = Encounter.objects.filter(discharged_at__isnull=True).values("patient_id")
    patients = _pks(Patient.objects.exclude(pk__in=admitted))
    if not patients:
        return
    portal_records = _pks(
        Patient.objects.filter(
            Q(user__username="patient") | Q(proxy_accesses__proxy__username="proxy")
        ).exclude(pk__in=admitted)
    )
    # The demo clinicians' arrivals come from their care teams: whom they see stays the same.
    team = _pks(Patient.objects.visible_to(doctor.user).exclude(pk__in=admitted))
    nurse_team = _pks(Patient.objects.visible_to(nurse.user).exclude(pk__in=admitted))
    schedules.book_provider(
        doctor,
        schedules.working_hours(doctor, slot_minutes=DOCTOR_SLOT_MINUTES, weekend=True),
        patients=patients,
        fill=DEMO_LOGIN_FILL,
        arrivals=ARRIVED_TODAY_DEMO,
        arriving=team,
        video=True,
        first=portal_records,
    )
    schedules.book_provider(
        nurse,
        schedules.working_hours(nurse, slot_minutes=NURSE_SLOT_MINUTES, weekend=True),
        patients=patients,
        fill=DEMO_LOGIN_FILL,
        arrivals=ARRIVED_TODAY_DEMO,
        arriving=nurse_team,
    )
    # Two doctors in three and every other nurse keep office hours; the rest work wards.
    others = [
        (provider, DOCTOR_SLOT_MINUTES)
        for index, provider in enumerate(catalogs.doctors)
        if index % 3 != 2
    ] + [
        (provider, NURSE_SLOT_MINUTES)
        for index, provider in enumerate(catalogs.nurses)
        if index % 2 == 0
    ]
    blocks = [schedules.working_hours(provider, slot_minutes=slot) for provider, slot in others]
    days = [schedules.today + timedelta(days=offset) for offset in range(SCHEDULE_DAYS)]
    slots = sum(len(schedules.slots(hours, day)) for hours in blocks for day in days)
    # About one appointment per patient in the two weeks, at most OTHERS_FILL of the slots.
    fill = min(OTHERS_FILL, len(patients) / slots) if slots else 0
    for index, ((provider, _slot), hours) in enumerate(zip(others, blocks, strict=True)):
        schedules.book_provider(
            provider, hours, patients=patients, fill=fill, arrivals=1 if index % 2 == 0 else 0
        )
    writer = _RowWriter(now=now, summary=summary)
    writer.write(Encounter, schedules.encounters)
    writer.write(CareAssignment, schedules.assignments)
    writer.write(WorkingHours, schedules.hours)
    writer.write(Appointment, schedules.appointments)


@functools.cache
def _demo_password_hash() -> str:
    # One (slow, Argon2) hash shared by the demo logins: they share the password anyway.
    return make_password(DEMO_PASSWORD)


def _login(spec: DemoLogin, **names):
    user_model = get_user_model()
    user = user_model.objects.filter(username=spec.username).first() or user_model(
        username=spec.username
    )
    user.first_name = names.get("first_name", spec.first_name)
    user.last_name = names.get("last_name", spec.last_name)
    user.email = f"{spec.username}@demo.phms.example"
    user.is_staff = spec.role == Role.ADMINISTRATOR
    user.is_active = True
    password_validation.validate_password(DEMO_PASSWORD, user)
    user.password = _demo_password_hash()
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=spec.role.value))
    return user


def _existing_provider(model, user):
    provider = model.all_objects.filter(user=user).first()
    if provider is not None and provider.is_deleted:
        provider.restore()
    return provider


def demo_logins_create(*, catalogs: _Catalogs, summary: DemoSummary) -> None:
    """One login per role; the doctor and nurse join care teams, the patient gets a record."""
    specs = {spec.role: spec for spec in DEMO_LOGINS}
    team = list(Patient.objects.order_by("mrn")[:DOCTOR_TEAM_SIZE])
    staff = {
        role: _login(specs[role]) for role in (Role.ADMINISTRATOR, Role.BILLING, Role.FRONT_DESK)
    }

    doctor_user = _login(specs[Role.DOCTOR])
    doctor = _existing_provider(Doctor, doctor_user) or Doctor(
        user=doctor_user,
        first_name=doctor_user.first_name,
        last_name=doctor_user.last_name,
        gender=Doctor.Gender.FEMALE,
        specialty=Specialty.objects.get(name="Cardiology"),
        organization=catalogs.organizations[0],
        license_number="MD-DEMO-0001",
        board_certified=True,
    )
    doctor.department = doctor.department or catalogs.departments.get(
        (catalogs.organizations[0].pk, CARDIOLOGY_CLINIC)
    )
    doctor.full_clean()
    doctor.save()
    nurse_user = _login(specs[Role.NURSE])
    nurse = _existing_provider(Nurse, nurse_user) or Nurse(
        user=nurse_user,
        first_name=nurse_user.first_name,
        last_name=nurse_user.last_name,
        gender=Nurse.Gender.FEMALE,
        organization=catalogs.organizations[0],
        license_number="RN-DEMO-0001",
        ward=WARDS[0],
    )
    nurse.department = nurse.department or catalogs.departments.get(
        (catalogs.organizations[0].pk, NURSING_CLINIC)
    )
    nurse.full_clean()
    nurse.save()
    summary.add(Doctor, 1)
    summary.add(Nurse, 1)
    for position, patient in enumerate(team):
        encounter = patient.encounters.order_by("-admitted_at").first()
        care_assignment_create(
            encounter=encounter, provider=doctor, role=CareAssignment.Role.ATTENDING
        )
        summary.add(CareAssignment, 1)
        if position < NURSE_TEAM_SIZE:
            care_assignment_create(
                encounter=encounter, provider=nurse, role=CareAssignment.Role.NURSING
            )
            summary.add(CareAssignment, 1)

    portal_patient = team[0]
    patient_user = _login(
        specs[Role.PATIENT],
        first_name=portal_patient.first_name,
        last_name=portal_patient.last_name,
    )
    portal_patient.user = patient_user
    portal_patient.save(update_fields=["user"])
    proxy_user = _login(DEMO_PROXY)
    for patient in team[1:3]:
        proxy_access_grant(
            patient=patient,
            proxy=proxy_user,
            relationship=ProxyAccess.Relationship.PARENT,
            ends_on=timezone.localdate() + timedelta(days=DEMO_PROXY_DAYS),
            by=staff[Role.FRONT_DESK],
        )
    summary.add(get_user_model(), len(DEMO_LOGINS) + 1)


def demo_logins() -> list[dict]:
    """The demo logins that exist, for printing: username, password, role, what they see."""
    existing = set(
        get_user_model()
        .objects.filter(username__in=[spec.username for spec in (*DEMO_LOGINS, DEMO_PROXY)])
        .values_list("username", flat=True)
    )
    return [
        {
            "username": spec.username,
            "password": DEMO_PASSWORD,
            "role": spec.role.label,
            "sees": spec.sees,
        }
        for spec in (*DEMO_LOGINS, DEMO_PROXY)
        if spec.username in existing
    ]
