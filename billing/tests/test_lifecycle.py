"""Every lifecycle action from every status: allowed ones move the bill and are recorded,
refused ones leave it as it was and say what is allowed."""

from decimal import Decimal

import pytest

from billing.lifecycle import ACTIONS, actions_allowed
from billing.models import Bill, BillEvent, LedgerEntry
from billing.services import BillingRefused, bill_act, bulk_submit, post_entry
from billing.tests.factories import BillFactory

pytestmark = pytest.mark.django_db

S = Bill.Status
# The table as the issue states it, written out by hand (the code's table must agree).
EXPECTED = {
    "submit": ({S.DRAFT}, S.SUBMITTED),
    "accept": ({S.SUBMITTED, S.RESUBMITTED, S.APPEALED}, S.ACCEPTED),
    "deny": ({S.SUBMITTED, S.RESUBMITTED, S.APPEALED}, S.DENIED),
    "resubmit": ({S.DENIED}, S.RESUBMITTED),
    "appeal": ({S.DENIED}, S.APPEALED),
    "cancel": (
        {S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DENIED, S.RESUBMITTED, S.APPEALED, S.PARTIALLY_PAID},
        S.CANCELLED,
    ),
    "write_off": (
        {S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DENIED, S.RESUBMITTED, S.APPEALED, S.PARTIALLY_PAID},
        S.WRITTEN_OFF,
    ),
}
ARGUMENTS = {
    "deny": {"reason_codes": ["16"], "reason": "Missing referral"},
    "appeal": {"reason": "Referral attached"},
    "cancel": {"reason": "Billed twice"},
    "write_off": {"reason": "Small balance", "reason_codes": ["45"]},
}
CASES = [(action, status) for action in EXPECTED for status in S.values]


def test_the_table_is_the_one_the_billing_office_asked_for():
    assert {name: (set(a.sources), a.target) for name, a in ACTIONS.items()} == EXPECTED


@pytest.mark.parametrize(("action", "status"), CASES)
def test_each_action_from_each_status(action, status, billing_clerk):
    bill = BillFactory(status=status, total_amount=Decimal("240.00"), sanctioned_amount=0)
    sources, target = EXPECTED[action]

    if status in sources:
        bill_act(bill_pk=bill.pk, action=action, by=billing_clerk, **ARGUMENTS.get(action, {}))
        bill.refresh_from_db()
        assert bill.status == target
        event = BillEvent.objects.get(bill=bill)
        assert (event.action, event.from_status, event.to_status) == (action, status, target)
        assert event.by == billing_clerk
    else:
        with pytest.raises(BillingRefused) as refused:
            bill_act(bill_pk=bill.pk, action=action, by=billing_clerk, **ARGUMENTS.get(action, {}))
        bill.refresh_from_db()
        assert bill.status == status
        assert not BillEvent.objects.filter(bill=bill).exists()
        allowed = [a.label.lower() for a in actions_allowed(bill)]
        message = str(refused.value)
        assert "is not possible now" in message
        assert all(label in message for label in allowed)
        if not allowed:
            assert "allows no further action" in message


def test_a_self_pay_bill_goes_to_no_payer(billing_clerk):
    bill = BillFactory(payer=None, status=S.SUBMITTED, sanctioned_amount=0)

    assert [a.name for a in actions_allowed(bill)] == ["cancel", "write_off"]
    with pytest.raises(BillingRefused):
        bill_act(bill_pk=bill.pk, action="accept", by=billing_clerk)


@pytest.mark.parametrize(
    ("action", "arguments", "message"),
    [
        ("deny", {}, "at least one reason code"),
        ("deny", {"reason_codes": ["XYZ"]}, "Unknown reason codes: XYZ"),
        ("appeal", {"reason": "   "}, "needs a reason"),
        ("cancel", {}, "needs a reason"),
        ("write_off", {"reason": "Old"}, "needs a reason code"),
    ],
)
def test_an_action_without_what_it_needs_is_refused(action, arguments, message, billing_clerk):
    status = S.DENIED if action == "appeal" else S.SUBMITTED
    bill = BillFactory(status=status, sanctioned_amount=0)

    with pytest.raises(BillingRefused, match=message):
        bill_act(bill_pk=bill.pk, action=action, by=billing_clerk, **arguments)
    bill.refresh_from_db()
    assert bill.status == status


def test_a_resubmission_keeps_the_denial_in_the_history(billing_clerk):
    bill = BillFactory(status=S.SUBMITTED, sanctioned_amount=0)
    bill_act(bill_pk=bill.pk, action="deny", reason_codes=["16", "197"], by=billing_clerk)
    bill_act(bill_pk=bill.pk, action="resubmit", reason="Authorization added", by=billing_clerk)
    bill_act(bill_pk=bill.pk, action="deny", reason_codes=["50"], by=billing_clerk)

    events = list(bill.events.values_list("action", "to_status", "reason_codes"))
    assert events == [
        ("deny", S.DENIED, "16 197"),
        ("resubmit", S.RESUBMITTED, ""),
        ("deny", S.DENIED, "50"),
    ]
    assert bill.history.count() == 4  # created, and each of the three steps


def test_accepting_records_what_the_payer_approved(billing_clerk):
    bill = BillFactory(status=S.SUBMITTED, total_amount=Decimal("240.00"), sanctioned_amount=0)
    with pytest.raises(BillingRefused, match="between 0 and 240.00"):
        bill_act(
            bill_pk=bill.pk, action="accept", sanctioned_amount=Decimal("241"), by=billing_clerk
        )

    bill_act(
        bill_pk=bill.pk, action="accept", sanctioned_amount=Decimal("180.00"), by=billing_clerk
    )

    bill.refresh_from_db()
    assert (bill.status, bill.sanctioned_amount) == (S.ACCEPTED, Decimal("180.00"))


def test_a_bill_with_money_on_it_is_not_cancelled_but_written_off(billing_clerk):
    bill = BillFactory(status=S.ACCEPTED, total_amount=Decimal("100.00"), sanctioned_amount=0)
    post_entry(
        bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("70.00"), by=billing_clerk
    )

    with pytest.raises(BillingRefused, match="refund it before cancelling"):
        bill_act(bill_pk=bill.pk, action="cancel", reason="Wrong patient", by=billing_clerk)
    bill_act(
        bill_pk=bill.pk,
        action="write_off",
        reason="Patient share forgiven",
        reason_codes=["45"],
        by=billing_clerk,
    )

    bill.refresh_from_db()
    assert bill.status == S.WRITTEN_OFF
    assert bill.balance == Decimal("0.00")
    write_off = bill.ledger.get(kind=LedgerEntry.Kind.WRITE_OFF)
    assert (write_off.amount, write_off.reason_code) == (Decimal("30.00"), "45")


def test_bulk_submit_submits_the_drafts_and_leaves_the_rest(billing_clerk):
    drafts = [BillFactory(status=S.DRAFT, sanctioned_amount=0) for _ in range(3)]
    paid = BillFactory(status=S.PAID, sanctioned_amount=0)

    submitted, refused = bulk_submit(
        bill_pks=[b.pk for b in drafts] + [paid.pk, 999999], by=billing_clerk
    )

    assert (submitted, refused) == (3, 2)
    assert set(
        Bill.objects.filter(pk__in=[b.pk for b in drafts]).values_list("status", flat=True)
    ) == {S.SUBMITTED}
    paid.refresh_from_db()
    assert paid.status == S.PAID
