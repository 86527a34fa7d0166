"""A database from before the ledger migrates forward: each typed-in paid amount becomes
a payment entry, and the old "approved" status becomes "accepted"."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("billing", "0001_initial")]
AFTER = [("billing", "0002_ledger_and_claim_lifecycle")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_paid_amounts_become_payments_and_approved_becomes_accepted():
    from patients.tests.factories import EncounterFactory, PayerFactory

    encounter = EncounterFactory()
    payer = PayerFactory()
    old = _migrate(BEFORE)
    try:
        Bill = old.get_model("billing", "Bill")
        common = {"encounter_id": encounter.pk, "patient_id": encounter.patient_id}
        claim = Bill.objects.create(
            **common, payer_id=payer.pk, status="approved", issued_on=date(2026, 1, 5),
            total_amount=Decimal("100.00"), sanctioned_amount=Decimal("80.00"),
            paid_amount=Decimal("60.00"),
        )  # fmt: skip
        self_pay = Bill.objects.create(
            **common, status="partially_paid", issued_on=date(2026, 2, 1),
            total_amount=Decimal("50.00"), paid_amount=Decimal("20.00"),
        )  # fmt: skip
        unpaid = Bill.objects.create(
            **common, payer_id=payer.pk, status="submitted", issued_on=date(2026, 3, 1),
            total_amount=Decimal("30.00"),
        )  # fmt: skip
    finally:
        new = _migrate(AFTER)

    Bill, LedgerEntry = new.get_model("billing", "Bill"), new.get_model("billing", "LedgerEntry")
    claim_now = Bill.objects.get(pk=claim.pk)
    assert (claim_now.status, claim_now.insurance_paid, claim_now.patient_paid) == (
        "accepted", Decimal("60.00"), Decimal("0.00"),
    )  # fmt: skip
    self_pay_now = Bill.objects.get(pk=self_pay.pk)
    assert (self_pay_now.insurance_paid, self_pay_now.patient_paid) == (
        Decimal("0.00"),
        Decimal("20.00"),
    )
    entries = sorted(
        LedgerEntry.objects.values_list("bill_id", "kind", "party", "amount", "posted_on")
    )
    assert entries == [
        (claim.pk, "payment", "payer", Decimal("60.00"), date(2026, 1, 5)),
        (self_pay.pk, "payment", "patient", Decimal("20.00"), date(2026, 2, 1)),
    ]
    assert not LedgerEntry.objects.filter(bill_id=unpaid.pk).exists()
