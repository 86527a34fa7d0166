"""The ledger: totals are its sums, money is exact, nothing is overpaid, a posted entry is
never changed and a reversal undoes it; the status follows the balance."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import Bill, LedgerEntry
from billing.services import BillingRefused, ledger_totals, post_entry, reverse_entry
from billing.tests.factories import BillFactory

pytestmark = pytest.mark.django_db

S = Bill.Status
Kind = LedgerEntry.Kind


def _claim(total="100.00", status=S.ACCEPTED, **kwargs):
    return BillFactory(status=status, total_amount=Decimal(total), sanctioned_amount=0, **kwargs)


def _pay(bill, amount, by, party="payer"):
    return post_entry(
        bill_pk=bill.pk, kind=Kind.PAYMENT, party=party, amount=Decimal(amount), by=by
    )


def _stored_matches_ledger(bill):
    bill.refresh_from_db()
    sums = ledger_totals([bill.pk])[bill.pk]
    return all(getattr(bill, name) == value for name, value in sums.fields().items())


def test_a_payment_moves_a_claim_to_partially_paid_and_a_zero_balance_to_paid(billing_clerk):
    bill = _claim()

    _pay(bill, "60.00", billing_clerk)
    bill.refresh_from_db()
    assert (bill.status, bill.insurance_paid, bill.balance) == (
        S.PARTIALLY_PAID,
        Decimal("60.00"),
        Decimal("40.00"),
    )

    post_entry(bill_pk=bill.pk, kind=Kind.TRANSFER, amount=Decimal("40.00"), by=billing_clerk)
    bill.refresh_from_db()
    assert bill.patient_owes == Decimal("40.00")
    _pay(bill, "40.00", billing_clerk, party="patient")

    bill.refresh_from_db()
    assert (bill.status, bill.balance, bill.patient_owes) == (
        S.PAID,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert _stored_matches_ledger(bill)


def test_many_partial_payments_add_up_to_the_cent(billing_clerk):
    bill = _claim(total="100.00", payer=None, status=S.SUBMITTED)
    for _ in range(29):
        _pay(bill, "3.33", billing_clerk, party="patient")  # 96.57
    bill.refresh_from_db()
    assert bill.balance == Decimal("3.43")
    assert bill.status == S.PARTIALLY_PAID

    with pytest.raises(BillingRefused, match="more than the balance of 3.43"):
        _pay(bill, "3.44", billing_clerk, party="patient")
    _pay(bill, "3.43", billing_clerk, party="patient")

    bill.refresh_from_db()
    assert (bill.balance, bill.status) == (Decimal("0.00"), S.PAID)
    assert bill.ledger.count() == 30
    assert _stored_matches_ledger(bill)


@pytest.mark.parametrize("amount", ["0", "-5.00", "0.001", "10.005"])
def test_a_payment_of_nothing_negative_or_part_of_a_cent_is_refused(amount, billing_clerk):
    bill = _claim()

    with pytest.raises(BillingRefused, match="more than 0, in whole cents"):
        _pay(bill, amount, billing_clerk)
    assert not bill.ledger.exists()


def test_the_database_refuses_an_overpayment_and_a_negative_entry(billing_clerk):
    bill = _claim(total="50.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Bill.objects.filter(pk=bill.pk).update(patient_paid=Decimal("50.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            bill=bill,
            kind=Kind.PAYMENT,
            party="payer",
            amount=Decimal("-1"),
            posted_on="2026-01-01",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            bill=bill, kind=Kind.CONTRACTUAL, amount=Decimal("1"), posted_on="2026-01-01"
        )  # no reason code


def test_a_posted_entry_is_never_changed(billing_clerk):
    entry = _pay(_claim(), "10.00", billing_clerk)
    entry.amount = Decimal("1.00")

    with pytest.raises(ValueError, match="post a reversal"):
        entry.save()
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")


def test_a_reversal_undoes_a_payment_and_the_bill_reopens(billing_clerk):
    bill = _claim(total="80.00")
    payment = _pay(bill, "80.00", billing_clerk)
    bill.refresh_from_db()
    assert bill.status == S.PAID

    reversal = reverse_entry(entry_pk=payment.pk, by=billing_clerk, reason="Check bounced")

    bill.refresh_from_db()
    assert (bill.status, bill.insurance_paid, bill.balance) == (
        S.ACCEPTED,
        Decimal("0.00"),
        Decimal("80.00"),
    )
    assert (reversal.kind, reversal.reverses, reversal.amount) == (
        Kind.REVERSAL,
        payment,
        Decimal("80.00"),
    )
    payment.refresh_from_db()
    assert payment.amount == Decimal("80.00")  # the original stays as it was
    with pytest.raises(BillingRefused, match="reversed already"):
        reverse_entry(entry_pk=payment.pk, by=billing_clerk, reason="Again")
    with pytest.raises(BillingRefused, match="cannot be reversed"):
        reverse_entry(entry_pk=reversal.pk, by=billing_clerk, reason="Undo the undo")
    assert _stored_matches_ledger(bill)


def test_a_refund_gives_back_no_more_than_was_paid(billing_clerk):
    bill = _claim(total="100.00")
    _pay(bill, "30.00", billing_clerk, party="patient")

    with pytest.raises(BillingRefused, match="Only 30.00 was paid"):
        post_entry(
            bill_pk=bill.pk, kind=Kind.REFUND, party="patient", amount=Decimal("30.01"),
            reason_code="18", by=billing_clerk,
        )  # fmt: skip
    post_entry(
        bill_pk=bill.pk, kind=Kind.REFUND, party="patient", amount=Decimal("30.00"),
        reason_code="18", by=billing_clerk,
    )  # fmt: skip

    bill.refresh_from_db()
    assert (bill.patient_paid, bill.balance) == (Decimal("0.00"), Decimal("100.00"))


def test_adjustments_need_a_code_and_stay_within_the_balance(billing_clerk):
    bill = _claim(total="100.00")
    with pytest.raises(BillingRefused, match="reason code"):
        post_entry(bill_pk=bill.pk, kind=Kind.CONTRACTUAL, amount=Decimal("5"), by=billing_clerk)
    with pytest.raises(BillingRefused, match="more than the balance"):
        post_entry(
            bill_pk=bill.pk,
            kind=Kind.CONTRACTUAL,
            amount=Decimal("100.01"),
            reason_code="45",
            by=billing_clerk,
        )
    post_entry(
        bill_pk=bill.pk,
        kind=Kind.CONTRACTUAL,
        amount=Decimal("25.50"),
        reason_code="45",
        by=billing_clerk,
    )

    bill.refresh_from_db()
    assert (bill.adjusted, bill.balance) == (Decimal("25.50"), Decimal("74.50"))


def test_closed_bills_take_no_entries(billing_clerk):
    for status in (S.PAID, S.CANCELLED, S.WRITTEN_OFF):
        bill = _claim(status=status)
        with pytest.raises(BillingRefused, match="takes no new entries"):
            _pay(bill, "1.00", billing_clerk)


def test_a_self_pay_bill_has_no_insurance_payment_and_no_transfer(billing_clerk):
    bill = _claim(payer=None, status=S.SUBMITTED)
    with pytest.raises(BillingRefused, match="no insurance"):
        _pay(bill, "1.00", billing_clerk, party="payer")
    with pytest.raises(BillingRefused, match="the patient's already"):
        post_entry(bill_pk=bill.pk, kind=Kind.TRANSFER, amount=Decimal("1"), by=billing_clerk)


def test_a_payer_does_not_pay_a_draft_and_unknown_kinds_are_refused(billing_clerk):
    bill = _claim(status=S.DRAFT)
    with pytest.raises(BillingRefused, match="submit it before"):
        _pay(bill, "1.00", billing_clerk)
    with pytest.raises(BillingRefused, match="Unknown kind"):
        post_entry(bill_pk=bill.pk, kind="gift", amount=Decimal("1"), by=billing_clerk)
    _pay(bill, "5.00", billing_clerk, party="patient")  # a copay at the desk is fine
    bill.refresh_from_db()
    assert (bill.status, bill.patient_paid) == (S.DRAFT, Decimal("5.00"))


def test_reversing_a_write_off_reopens_the_bill(billing_clerk):
    from billing.services import bill_act

    bill = _claim(total="40.00")
    bill_act(
        bill_pk=bill.pk, action="write_off", reason="Too old", reason_codes=["29"], by=billing_clerk
    )
    write_off = bill.ledger.get(kind=Kind.WRITE_OFF)
    with pytest.raises(BillingRefused, match="takes no new entries"):
        _pay(bill, "1.00", billing_clerk)

    reverse_entry(entry_pk=write_off.pk, by=billing_clerk, reason="Patient will pay")

    bill.refresh_from_db()
    assert (bill.status, bill.adjusted, bill.balance) == (
        S.ACCEPTED,
        Decimal("0.00"),
        Decimal("40.00"),
    )
    assert _stored_matches_ledger(bill)
