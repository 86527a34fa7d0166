"""The database itself rejects bad rows, whatever code path writes them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Bill, BillLine
from patients.models import Coverage, Encounter, Patient, Payer, VitalSigns
from phms.tests.records import make_encounter, make_patient

pytestmark = pytest.mark.django_db


def assert_rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.fixture
def encounter():
    return make_encounter(make_patient())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("heart_rate", 19),
        ("heart_rate", 251),
        ("temperature_c", Decimal("29.9")),
        ("temperature_c", Decimal("45.1")),
        ("systolic_bp", 261),
        ("diastolic_bp", 19),
        ("spo2", 49),
        ("spo2", 101),
        ("respiratory_rate", 3),
        ("respiratory_rate", 71),
        ("weight_kg", Decimal("0.2")),
        ("weight_kg", Decimal("400.1")),
        ("height_cm", Decimal("19.9")),
        ("pain_score", 11),
    ],
)
def test_it_rejects_an_implausible_vital_sign(encounter, field, value):
    assert_rejected(
        lambda: VitalSigns.objects.create(
            encounter=encounter, recorded_at=timezone.now(), **{field: value}
        )
    )


def test_it_accepts_plausible_and_missing_vital_signs(encounter):
    VitalSigns.objects.create(
        encounter=encounter, recorded_at=timezone.now(), heart_rate=20, spo2=100,
        temperature_c=Decimal("37.0"),
    )
    VitalSigns.objects.create(encounter=encounter, recorded_at=timezone.now())
    assert VitalSigns.objects.count() == 2


def test_it_rejects_systolic_not_above_diastolic(encounter):
    assert_rejected(
        lambda: VitalSigns.objects.create(
            encounter=encounter, recorded_at=timezone.now(), systolic_bp=80, diastolic_bp=80
        )
    )


def test_it_rejects_discharge_before_admission():
    patient = make_patient()
    admitted = timezone.now()
    assert_rejected(
        lambda: Encounter.objects.create(
            patient=patient, admitted_at=admitted, discharged_at=admitted - timedelta(minutes=1)
        )
    )


def _bill(encounter, **amounts):
    return Bill.objects.create(
        encounter=encounter, patient=encounter.patient, issued_on=date.today(), **amounts
    )


@pytest.mark.parametrize(
    "amounts",
    [
        {"total_amount": Decimal("-0.01")},
        {"sanctioned_amount": Decimal("-1.00"), "total_amount": Decimal("10.00")},
        {"patient_paid": Decimal("-5.00")},
    ],
)
def test_it_rejects_negative_bill_amounts(encounter, amounts):
    assert_rejected(lambda: _bill(encounter, **amounts))


def test_it_rejects_sanctioned_above_total(encounter):
    assert_rejected(
        lambda: _bill(
            encounter, total_amount=Decimal("100.00"), sanctioned_amount=Decimal("100.01")
        )
    )


def test_it_rejects_a_negative_bill_line_price(encounter):
    bill = _bill(encounter, total_amount=Decimal("10.00"))
    assert_rejected(
        lambda: BillLine.objects.create(bill=bill, description="x", unit_price=Decimal("-1"))
    )


def test_it_rejects_coverage_ending_before_it_starts():
    patient = make_patient()
    payer = Payer.objects.create(name="Acme")
    assert_rejected(
        lambda: Coverage.objects.create(
            patient=patient, payer=payer, start_date=date(2024, 5, 1), end_date=date(2024, 4, 30)
        )
    )


def test_it_rejects_death_before_birth():
    assert_rejected(
        lambda: make_patient(date_of_birth=date(2000, 1, 2), date_of_death=date(2000, 1, 1))
    )


def test_it_rejects_a_duplicate_mrn():
    make_patient(mrn="MRN-DUP")
    assert_rejected(lambda: make_patient(mrn="MRN-DUP"))
    assert Patient.all_objects.filter(mrn="MRN-DUP").count() == 1


def test_it_keeps_the_mrn_unique_across_deleted_patients():
    make_patient(mrn="MRN-GONE").delete()
    assert_rejected(lambda: make_patient(mrn="MRN-GONE"))
