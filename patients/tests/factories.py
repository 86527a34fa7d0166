"""Factories for the patients app. Deterministic once `factory.random.reseed_random` is called.

Dates come from fixed ranges (never "today"), so a seed gives the same rows on any day.
"""

import datetime as dt
from decimal import Decimal

import factory
from factory import fuzzy

from patients.models import (
    Allergy,
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
from providers.tests.factories import DoctorFactory, NurseFactory, OrganizationFactory

UTC = dt.UTC


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Health Plan {n}")
    city = factory.Faker("city")
    state = "Massachusetts"
    phone = factory.Faker("numerify", text="800-###-####")


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition
        django_get_or_create = ("code_system", "code")

    code_system = Condition.CodeSystem.ICD10
    code = "I10"
    name = "Hypertension"


class LabTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabTest
        django_get_or_create = ("loinc_code",)

    loinc_code = "2345-7"
    name = "Glucose [Mass/volume] in Serum or Plasma"
    unit = "mg/dL"
    reference_low = Decimal("70")
    reference_high = Decimal("99")


class MedicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medication
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"RX{n:05d}")
    name = factory.Sequence(lambda n: f"Medication {n}")
    strength = "10 mg"
    unit_price = fuzzy.FuzzyDecimal(1, 200, precision=2)


class PatientFactory(factory.django.DjangoModelFactory):
    """A registered patient; pass `ssn="123-45-6789"` to store one (encrypted)."""

    class Meta:
        model = Patient

    mrn = factory.Sequence(mrn_for_serial)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = fuzzy.FuzzyDate(dt.date(1935, 1, 1), dt.date(2015, 12, 31))
    sex = factory.Iterator([Patient.Sex.FEMALE, Patient.Sex.MALE])
    address_line = factory.Faker("street_address")
    city = factory.Faker("city")
    state = factory.Iterator(["MA", "CA"])
    postal_code = factory.Faker("postcode")
    phone = factory.Faker("numerify", text="555-###-####")
    ssn = factory.Faker("numerify", text="9##-##-####")

    @classmethod
    def _create(cls, model_class, *args, ssn=None, **kwargs):
        patient = model_class(*args, **kwargs)
        if ssn:
            patient.set_ssn(ssn)
        patient.save()
        return patient

    @classmethod
    def _build(cls, model_class, *args, ssn=None, **kwargs):
        patient = model_class(*args, **kwargs)
        if ssn:
            patient.set_ssn(ssn)
        return patient


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    patient = factory.SubFactory(PatientFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    relationship = factory.Iterator(["Spouse", "Parent", "Child", "Sibling", "Friend"])
    phone = factory.Faker("numerify", text="555-###-####")


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"M{n:09d}")
    start_date = dt.date(2020, 1, 1)


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientFactory)
    code_system = "SNOMED-CT"
    code = "91936005"
    description = "Allergy to penicillin"
    category = "medication"
    reaction = "Hives"
    severity = Allergy.Severity.MODERATE
    onset_date = dt.date(2010, 5, 1)


class EncounterFactory(factory.django.DjangoModelFactory):
    """An open (in progress) encounter; use `finished=True` for a discharged one."""

    class Meta:
        model = Encounter

    class Params:
        finished = factory.Trait(
            status=Encounter.Status.FINISHED,
            discharged_at=factory.LazyAttribute(lambda e: e.admitted_at + dt.timedelta(days=2)),
        )

    patient = factory.SubFactory(PatientFactory)
    encounter_class = Encounter.EncounterClass.INPATIENT
    status = Encounter.Status.IN_PROGRESS
    admitted_at = fuzzy.FuzzyDateTime(
        dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2025, 12, 31, tzinfo=UTC)
    )
    discharged_at = None
    reason = "Chest pain"
    organization = factory.SubFactory(OrganizationFactory)


class CareAssignmentFactory(factory.django.DjangoModelFactory):
    """A bare row; it grants nothing. Use `patients.services.care_assignment_create` for access."""

    class Meta:
        model = CareAssignment

    encounter = factory.SubFactory(EncounterFactory)
    provider = factory.SubFactory(DoctorFactory)
    role = CareAssignment.Role.ATTENDING


class NursingAssignmentFactory(CareAssignmentFactory):
    provider = factory.SubFactory(NurseFactory)
    role = CareAssignment.Role.NURSING


class VitalSignsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VitalSigns

    encounter = factory.SubFactory(EncounterFactory)
    recorded_at = factory.LazyAttribute(lambda v: v.encounter.admitted_at + dt.timedelta(hours=1))
    heart_rate = fuzzy.FuzzyInteger(60, 100)
    temperature_c = fuzzy.FuzzyDecimal(36.1, 37.5, precision=1)
    systolic_bp = fuzzy.FuzzyInteger(105, 145)
    diastolic_bp = fuzzy.FuzzyInteger(65, 95)
    spo2 = fuzzy.FuzzyInteger(94, 100)
    respiratory_rate = fuzzy.FuzzyInteger(12, 20)
    weight_kg = fuzzy.FuzzyDecimal(50, 110, precision=1)
    height_cm = fuzzy.FuzzyDecimal(150, 195, precision=1)
    pain_score = fuzzy.FuzzyInteger(0, 4)


class SymptomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Symptom

    encounter = factory.SubFactory(EncounterFactory)
    description = factory.Iterator(["Chest pain", "Headache", "Shortness of breath", "Fatigue"])
    severity = Symptom.Severity.MODERATE
    onset_date = factory.LazyAttribute(lambda s: s.encounter.admitted_at.date())


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    encounter = factory.SubFactory(EncounterFactory)
    condition = factory.SubFactory(ConditionFactory)
    onset_date = factory.LazyAttribute(lambda d: d.encounter.admitted_at.date())
    status = Diagnosis.Status.ACTIVE


class LabResultFactory(factory.django.DjangoModelFactory):
    """A numeric result; unit, reference range and flag follow the test and the value."""

    class Meta:
        model = LabResult

    encounter = factory.SubFactory(EncounterFactory)
    lab_test = factory.SubFactory(LabTestFactory)
    observed_at = factory.LazyAttribute(lambda r: r.encounter.admitted_at + dt.timedelta(hours=3))
    value_numeric = Decimal("88")
    unit = factory.SelfAttribute("lab_test.unit")
    reference_low = factory.SelfAttribute("lab_test.reference_low")
    reference_high = factory.SelfAttribute("lab_test.reference_high")
    abnormal_flag = factory.LazyAttribute(
        lambda r: LabResult(
            value_numeric=r.value_numeric,
            reference_low=r.reference_low,
            reference_high=r.reference_high,
        ).flag_from_range()
    )


class PrescriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prescription

    encounter = factory.SubFactory(EncounterFactory)
    medication = factory.SubFactory(MedicationFactory)
    dose = "1 tablet"
    frequency = "once daily"
    start_date = factory.LazyAttribute(lambda p: p.encounter.admitted_at.date())
    dispenses = 1
