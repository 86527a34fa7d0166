"""Reads for the billing worklist."""

from django.db.models import QuerySet

from billing.access import bills_visible_to
from billing.models import Bill


def bill_list(*, user, status: str = "") -> QuerySet[Bill]:
    """The bills the user may see, newest first, with patient and payer joined (one query)."""
    bills = bills_visible_to(user).select_related("patient", "payer", "encounter")
    if status:
        bills = bills.filter(status=status)
    return bills.order_by("-issued_on", "-id")
