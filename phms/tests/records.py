"""Small hand-built records for the soft-delete, history, admin and purge tests.

Kept deliberately tiny (one of each thing); the factories in each app's tests build
realistic populations.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from billing.models import Bill, BillLine, ServiceCharge
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
from providers.models import Doctor, Nurse, Organization, Specialty

_serial = count(1)


def make_patient(**fields) -> Patient:
    number = next(_serial)
    values = {
        "mrn": mrn_for_serial(50_000_000 + number),  # apart from the factories' serials
        "first_name": "Ada",
        "last_name": f"Lovelace{number}",
        "date_of_birth": date(1980, 1, 1),
        "sex": Patient.Sex.FEMALE,
    }
    values.update(fields)
    return Patient.objects.create(**values)


def make_encounter(patient: Patient, **fields) -> Encounter:
    values = {"patient": patient, "admitted_at": timezone.now() - timedelta(days=2)}
    values.update(fields)
    return Encounter.objects.create(**values)


def make_doctor(**fields) -> Doctor:
    number = next(_serial)
    values = {"first_name": "Gregory", "last_name": f"House{number}", "license_number": "D1"}
    values.update(fields)
    return Doctor.objects.create(**values)


def make_nurse(**fields) -> Nurse:
    number = next(_serial)
    values = {"first_name": "Florence", "last_name": f"Nightingale{number}", "ward": "4B"}
    values.update(fields)
    return Nurse.objects.create(**values)


@dataclass
class PatientRecord:
    """One patient with one of every dependant row."""

    patient: Patient
    contact: EmergencyContact
    coverage: Coverage
    allergy: Allergy
    encounter: Encounter
    assignment: CareAssignment
    vitals: VitalSigns
    symptom: Symptom
    diagnosis: Diagnosis
    lab_result: LabResult
    prescription: Prescription
    bill: Bill
    line: BillLine
    doctor: Doctor
    nurse: Nurse

    def dependants(self) -> list:
        return [
            self.contact,
            self.coverage,
            self.allergy,
            self.encounter,
            self.assignment,
            self.vitals,
            self.symptom,
            self.diagnosis,
            self.lab_result,
            self.prescription,
            self.bill,
            self.line,
        ]


def make_patient_record() -> PatientRecord:
    number = next(_serial)
    payer = Payer.objects.create(name=f"Acme Health {number}")
    condition = Condition.objects.create(
        code_system=Condition.CodeSystem.ICD10, code=f"I10.{number}", name="Hypertension"
    )
    lab_test = LabTest.objects.create(loinc_code=f"2345-{number}", name="Glucose", unit="mg/dL")
    medication = Medication.objects.create(
        code=f"RX{number}", name="Lisinopril", strength="10 mg", unit_price=Decimal("0.25")
    )
    service = ServiceCharge.objects.create(
        code=f"99{number:03d}", description="Office visit", unit_price=Decimal("120.00")
    )
    specialty = Specialty.objects.create(name=f"Cardiology {number}")
    organization = Organization.objects.create(name=f"General Hospital {number}")
    doctor = make_doctor(specialty=specialty, organization=organization)
    nurse = make_nurse(organization=organization)

    patient = make_patient()
    encounter = make_encounter(patient, organization=organization)
    now = timezone.now()
    bill = Bill.objects.create(
        encounter=encounter,
        patient=patient,
        payer=payer,
        issued_on=date.today(),
        total_amount=Decimal("120.00"),
        sanctioned_amount=Decimal("100.00"),
    )
    return PatientRecord(
        patient=patient,
        contact=EmergencyContact.objects.create(
            patient=patient, first_name="Charles", last_name="Babbage",
            relationship="friend", phone="555-0100",
        ),
        coverage=Coverage.objects.create(
            patient=patient, payer=payer, member_id="M-1", start_date=date(2020, 1, 1)
        ),
        allergy=Allergy.objects.create(patient=patient, description="Penicillin"),
        encounter=encounter,
        assignment=CareAssignment.objects.create(
            encounter=encounter, provider=doctor, role=CareAssignment.Role.ATTENDING
        ),
        vitals=VitalSigns.objects.create(
            encounter=encounter, recorded_at=now, heart_rate=72, systolic_bp=120, diastolic_bp=80
        ),
        symptom=Symptom.objects.create(encounter=encounter, description="Headache"),
        diagnosis=Diagnosis.objects.create(
            encounter=encounter, condition=condition, onset_date=date.today(), diagnosed_by=doctor
        ),
        lab_result=LabResult.objects.create(
            encounter=encounter, lab_test=lab_test, observed_at=now,
            value_numeric=Decimal("98"), unit="mg/dL",
        ),
        prescription=Prescription.objects.create(
            encounter=encounter, medication=medication, dose="10 mg",
            start_date=date.today(), prescriber=doctor,
        ),
        bill=bill,
        line=BillLine.objects.create(
            bill=bill, service_charge=service, description="Office visit",
            unit_price=Decimal("120.00"),
        ),
        doctor=doctor,
        nurse=nurse,
    )
