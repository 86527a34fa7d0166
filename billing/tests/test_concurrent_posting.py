"""Two clerks post to one bill at the same instant, each on their own database connection:
the row lock applies them one after the other, so neither payment is lost and the bill is
never overpaid."""

import threading
import time as clock
from decimal import Decimal

import pytest
from django.db import connection, connections

from access.roles import Role
from billing import services
from billing.models import Bill
from billing.services import BillingRefused, post_entry
from billing.tests.factories import BillFactory
from phms.tests import personas

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "mysql",
        reason="needs a server database: SQLite runs one writer at a time by design",
    ),
]


def _race(monkeypatch, bill, amounts):
    clerks = [
        personas.user_with_role(Role.BILLING, username=f"clerk.race.{n}")
        for n in range(len(amounts))
    ]
    checked = services._check_entry

    def slow_check(*args):
        checked(*args)
        clock.sleep(0.5)  # widen the window between reading the balance and writing

    monkeypatch.setattr(services, "_check_entry", slow_check)
    barrier = threading.Barrier(len(amounts))
    outcomes = []

    def clerk(user, amount):
        try:
            barrier.wait(timeout=10)
            post_entry(
                bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal(amount), by=user
            )
            outcomes.append("posted")
        except BillingRefused as refused:
            outcomes.append(str(refused))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=clerk, args=pair) for pair in zip(clerks, amounts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_payments_at_once_are_both_kept(monkeypatch):
    bill = BillFactory(
        status=Bill.Status.ACCEPTED, total_amount=Decimal("100.00"), sanctioned_amount=0
    )

    outcomes = _race(monkeypatch, bill, ["30.00", "45.50"])

    assert outcomes == ["posted", "posted"]
    bill.refresh_from_db()
    assert bill.insurance_paid == Decimal("75.50")
    assert bill.ledger.count() == 2
    assert bill.status == Bill.Status.PARTIALLY_PAID


def test_two_payments_that_together_overpay_let_one_through(monkeypatch):
    bill = BillFactory(
        status=Bill.Status.ACCEPTED, total_amount=Decimal("100.00"), sanctioned_amount=0
    )

    outcomes = _race(monkeypatch, bill, ["80.00", "80.00"])

    assert sorted(outcomes)[0].startswith("80.00 is more than the balance of 20.00")
    assert sorted(outcomes)[1] == "posted"
    bill.refresh_from_db()
    assert (bill.insurance_paid, bill.balance) == (Decimal("80.00"), Decimal("20.00"))
