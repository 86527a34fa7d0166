"""Writes to bills: lifecycle actions and ledger entries, each under a row lock on the bill
so that two clerks acting on one bill at once are applied one after the other."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import carc
from billing.lifecycle import ACTIONS, CLOSED, actions_allowed, status_after_ledger
from billing.models import ZERO, Bill, BillEvent, LedgerEntry

Kind = LedgerEntry.Kind
Party = LedgerEntry.Party
CENT = Decimal("0.01")


class BillingRefused(Exception):
    """An action or entry the bill's state does not allow; the message says why."""


@dataclass
class LedgerTotals:
    insurance_paid: Decimal = ZERO
    patient_paid: Decimal = ZERO
    adjusted: Decimal = ZERO
    patient_responsibility: Decimal = ZERO

    def add(self, kind: str, party: str, amount: Decimal) -> None:
        if kind == Kind.PAYMENT:
            self._add_paid(party, amount)
        elif kind == Kind.REFUND:
            self._add_paid(party, -amount)
        elif kind in (Kind.CONTRACTUAL, Kind.WRITE_OFF):
            self.adjusted += amount
        elif kind == Kind.TRANSFER:
            self.patient_responsibility += amount

    def _add_paid(self, party: str, amount: Decimal) -> None:
        if party == Party.PAYER:
            self.insurance_paid += amount
        else:
            self.patient_paid += amount

    def fields(self) -> dict:
        return self.__dict__.copy()


def ledger_totals(bill_ids) -> dict[int, LedgerTotals]:
    """The ledger's sums per bill, from one grouped query (a reversal counts against the
    entry it reverses)."""
    totals = defaultdict(LedgerTotals)
    rows = (
        LedgerEntry.objects.filter(bill_id__in=bill_ids)
        .values("bill_id", "kind", "party", "reverses__kind", "reverses__party")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        if row["kind"] == Kind.REVERSAL:
            totals[row["bill_id"]].add(row["reverses__kind"], row["reverses__party"], -row["total"])
        else:
            totals[row["bill_id"]].add(row["kind"], row["party"], row["total"])
    return totals


def refresh_totals(bill_ids) -> None:
    """Write the ledger's sums onto the bills (after an import wrote ledger rows in bulk)."""
    bill_ids = list(bill_ids)
    totals = ledger_totals(bill_ids)
    bills = list(Bill._base_manager.filter(pk__in=bill_ids))
    for bill in bills:
        for name, value in totals[bill.pk].fields().items():
            setattr(bill, name, value)
    Bill._base_manager.bulk_update(bills, list(LedgerTotals().fields()), batch_size=500)


def _locked(bill_pk) -> Bill:
    return Bill.objects.select_for_update().select_related("payer").get(pk=bill_pk)


def _record_event(bill, *, action, from_status, by, reason="", reason_codes=()) -> None:
    BillEvent.objects.create(
        bill=bill,
        action=action,
        from_status=from_status,
        to_status=bill.status,
        reason=reason,
        reason_codes=" ".join(reason_codes),
        by=by,
    )


def _allowed_text(bill) -> str:
    allowed = [action.label.lower() for action in actions_allowed(bill)]
    if not allowed:
        return f"A {bill.get_status_display().lower()} bill allows no further action."
    return f"A {bill.get_status_display().lower()} bill allows: {', '.join(allowed)}."


def _save(bill, by, reason) -> None:
    bill._history_user = by
    bill._change_reason = reason[:100]
    bill.save()


@transaction.atomic
def bill_act(
    *, bill_pk, action: str, by, reason: str = "", reason_codes=(), sanctioned_amount=None
) -> Bill:
    """Apply a lifecycle action (see `billing.lifecycle.ACTIONS`)."""
    bill = _locked(bill_pk)
    step = ACTIONS.get(action)
    if step is None or step not in actions_allowed(bill):
        label = step.label if step else action
        raise BillingRefused(f"{label} is not possible now. {_allowed_text(bill)}")
    reason = reason.strip()
    if step.needs_reason and not reason:
        raise BillingRefused(f"{step.label} needs a reason.")
    reason_codes = list(reason_codes)
    unknown = [code for code in reason_codes if code not in carc.CODES]
    if unknown:
        raise BillingRefused(f"Unknown reason codes: {', '.join(unknown)}.")
    if step.needs_denial_codes and not reason_codes:
        raise BillingRefused("A denial needs at least one reason code from the payer.")
    if action == "cancel" and bill.paid_amount > 0:
        raise BillingRefused(
            "Money was paid on this bill: refund it before cancelling, or write off the balance."
        )
    from_status = bill.status
    if action == "write_off" and bill.balance > 0:
        code = reason_codes[0] if reason_codes else ""
        if not code:
            raise BillingRefused("A write-off needs a reason code.")
        _post(bill, kind=Kind.WRITE_OFF, amount=bill.balance, by=by, reason_code=code, note=reason)
    if action == "accept" and sanctioned_amount is not None:
        if not ZERO <= sanctioned_amount <= bill.total_amount:
            raise BillingRefused(f"The approved amount must be between 0 and {bill.total_amount}.")
        bill.sanctioned_amount = sanctioned_amount
    bill.status = step.target
    _save(bill, by, reason or step.label)
    _record_event(
        bill,
        action=action,
        from_status=from_status,
        by=by,
        reason=reason,
        reason_codes=reason_codes,
    )
    return bill


def bulk_submit(*, bill_pks, by) -> tuple[int, int]:
    """Submit each selected draft; returns (submitted, refused). Each bill in its own lock."""
    submitted = refused = 0
    for pk in bill_pks:
        try:
            bill_act(bill_pk=pk, action="submit", by=by)
            submitted += 1
        except (BillingRefused, Bill.DoesNotExist):
            refused += 1
    return submitted, refused


def _check_entry(bill, kind, party, amount) -> None:
    if bill.status in CLOSED:
        raise BillingRefused(
            f"A {bill.get_status_display().lower()} bill takes no new entries "
            "(a reversal of an entry is still possible)."
        )
    if amount <= 0 or amount != amount.quantize(CENT):
        raise BillingRefused("The amount must be more than 0, in whole cents.")
    if kind in (Kind.PAYMENT, Kind.CONTRACTUAL, Kind.WRITE_OFF) and amount > bill.balance:
        raise BillingRefused(
            f"{amount} is more than the balance of {bill.balance}: nothing may be overpaid."
        )
    if kind == Kind.REFUND:
        paid = bill.insurance_paid if party == Party.PAYER else bill.patient_paid
        if amount > paid:
            raise BillingRefused(f"Only {paid} was paid by that party; a refund cannot exceed it.")
    if kind == Kind.TRANSFER:
        if bill.is_self_pay:
            raise BillingRefused("A self-pay bill is the patient's already.")
        insurers_part = bill.balance - bill.patient_owes
        if amount > insurers_part:
            raise BillingRefused(f"Only {insurers_part} of the balance is still the insurer's.")


def _post(bill, *, kind, amount, by, party="", reason_code="", **details) -> LedgerEntry:
    if kind in (Kind.CONTRACTUAL, Kind.WRITE_OFF, Kind.REFUND) and reason_code not in carc.CODES:
        raise BillingRefused("An adjustment needs a reason code from the list.")
    entry = LedgerEntry.objects.create(
        bill=bill,
        kind=kind,
        party=party,
        amount=amount,
        reason_code=reason_code,
        posted_by=by,
        posted_on=details.pop("posted_on", None) or timezone.localdate(),
        **details,
    )
    for name, value in ledger_totals([bill.pk])[bill.pk].fields().items():
        setattr(bill, name, value)
    return entry


@transaction.atomic
def post_entry(
    *,
    bill_pk,
    kind: str,
    amount: Decimal,
    by,
    party: str = "",
    posted_on: date | None = None,
    method: str = "",
    reference: str = "",
    reason_code: str = "",
    note: str = "",
) -> LedgerEntry:
    """Post a payment, adjustment, refund or transfer; the bill's totals and status follow."""
    if kind == Kind.REVERSAL:
        raise BillingRefused("A reversal names the entry it reverses.")
    if kind not in Kind.values:
        raise BillingRefused(f"Unknown kind of entry {kind!r}.")
    bill = _locked(bill_pk)
    if kind == Kind.PAYMENT and party == Party.PAYER and bill.status == Bill.Status.DRAFT:
        raise BillingRefused(
            "The claim is still a draft: submit it before posting the payer's payment."
        )
    if kind in (Kind.PAYMENT, Kind.REFUND) and party not in Party.values:
        raise BillingRefused("Say who paid: the insurance or the patient.")
    if kind == Kind.PAYMENT and party == Party.PAYER and bill.is_self_pay:
        raise BillingRefused("A self-pay bill has no insurance to pay it.")
    if kind not in (Kind.PAYMENT, Kind.REFUND):
        party = ""
    _check_entry(bill, kind, party, amount)
    from_status = bill.status
    entry = _post(
        bill,
        kind=kind,
        amount=amount,
        by=by,
        party=party,
        reason_code=reason_code,
        posted_on=posted_on,
        method=method,
        reference=reference,
        note=note,
    )
    _follow_ledger(bill, from_status, by, payer_paid_now=party == Party.PAYER, entry=entry)
    return entry


@transaction.atomic
def reverse_entry(*, entry_pk, by, reason: str) -> LedgerEntry:
    """Undo a posted entry by posting its opposite; the original stays as it was."""
    reason = reason.strip()
    if not reason:
        raise BillingRefused("A reversal needs a reason.")
    bill_pk = LedgerEntry.objects.values_list("bill_id", flat=True).get(pk=entry_pk)
    bill = _locked(bill_pk)
    entry = LedgerEntry.objects.get(pk=entry_pk)
    if entry.kind == Kind.REVERSAL:
        raise BillingRefused("A reversal cannot be reversed: post the entry again instead.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise BillingRefused("This entry was reversed already.")
    if bill.status == Bill.Status.CANCELLED:
        raise BillingRefused("A cancelled bill takes no entries.")
    if bill.status == Bill.Status.WRITTEN_OFF and entry.kind != Kind.WRITE_OFF:
        raise BillingRefused("Reverse the write-off first: the bill is closed.")
    totals = LedgerTotals(**{k: getattr(bill, k) for k in LedgerTotals().fields()})
    totals.add(entry.kind, entry.party, -entry.amount)
    if min(totals.fields().values()) < 0 or (
        bill.total_amount < totals.insurance_paid + totals.patient_paid + totals.adjusted
    ):
        raise BillingRefused("Reversing this entry would leave the ledger below zero.")
    from_status = bill.status
    reversal = _post(
        bill,
        kind=Kind.REVERSAL,
        amount=entry.amount,
        by=by,
        party=entry.party,
        reverses=entry,
        note=reason[:200],
    )
    if bill.status == Bill.Status.WRITTEN_OFF and entry.kind == Kind.WRITE_OFF:
        bill.status = Bill.Status.ACCEPTED if not bill.is_self_pay else Bill.Status.SUBMITTED
    _follow_ledger(bill, from_status, by, payer_paid_now=False, entry=reversal, reason=reason)
    return reversal


def _follow_ledger(bill, from_status, by, *, payer_paid_now, entry, reason="") -> None:
    if bill.status != Bill.Status.WRITTEN_OFF:
        bill.status = status_after_ledger(bill, payer_paid_now=payer_paid_now)
    _save(bill, by, reason or f"{entry.get_kind_display()} {entry.amount}")
    if bill.status != from_status:
        _record_event(bill, action=entry.kind, from_status=from_status, by=by, reason=reason)
