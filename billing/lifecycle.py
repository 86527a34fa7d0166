"""The claim lifecycle: which action moves a bill from which statuses to which.

This table is the only place transitions are defined; `billing.services` enforces it
under a row lock. Payments move a bill to partially paid and paid through the ledger
(`status_after_ledger`), not through an action.
"""

from dataclasses import dataclass

from billing.models import Bill

S = Bill.Status

OPEN = frozenset(
    {S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DENIED, S.RESUBMITTED, S.APPEALED, S.PARTIALLY_PAID}
)
CLOSED = frozenset({S.PAID, S.CANCELLED, S.WRITTEN_OFF})
AWAITING_PAYER = frozenset({S.SUBMITTED, S.RESUBMITTED, S.APPEALED})


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset
    target: str
    needs_reason: bool = False
    needs_denial_codes: bool = False
    claims_only: bool = False  # a self-pay bill goes to no payer


ACTIONS = {
    action.name: action
    for action in [
        Action("submit", "Submit the claim", frozenset({S.DRAFT}), S.SUBMITTED),
        Action("accept", "Record acceptance", AWAITING_PAYER, S.ACCEPTED, claims_only=True),
        Action(
            "deny",
            "Record a denial",
            AWAITING_PAYER,
            S.DENIED,
            needs_denial_codes=True,
            claims_only=True,
        ),
        Action("resubmit", "Resubmit", frozenset({S.DENIED}), S.RESUBMITTED, claims_only=True),
        Action(
            "appeal",
            "Appeal",
            frozenset({S.DENIED}),
            S.APPEALED,
            needs_reason=True,
            claims_only=True,
        ),
        Action("cancel", "Cancel the bill", OPEN, S.CANCELLED, needs_reason=True),
        Action("write_off", "Write off the balance", OPEN, S.WRITTEN_OFF, needs_reason=True),
    ]
}


def actions_allowed(bill) -> list[Action]:
    return [
        action
        for action in ACTIONS.values()
        if bill.status in action.sources and not (action.claims_only and bill.is_self_pay)
    ]


def status_after_ledger(bill, *, payer_paid_now: bool) -> str:
    """The status once the ledger's totals are current: a zero balance is paid; money in
    moves a bill to partially paid; a reversal that takes every payment away returns a
    paid bill to where it was before it was paid."""
    if bill.balance == 0 and bill.total_amount > 0:
        return S.PAID
    if bill.status in (S.PAID, S.PARTIALLY_PAID):
        if bill.paid_amount > 0:
            return S.PARTIALLY_PAID
        return S.SUBMITTED if bill.is_self_pay else S.ACCEPTED
    if bill.paid_amount > 0 and (payer_paid_now or bill.is_self_pay):
        return S.PARTIALLY_PAID
    return bill.status
