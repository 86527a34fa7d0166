"""Reads for billing: the worklist with its aging buckets, one bill, a patient's statement."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from access import permissions
from billing.access import bills_visible_to
from billing.lifecycle import AWAITING_PAYER
from billing.models import HALF_CENT, ZERO, Bill, BillEvent, LedgerEntry
from patients.models import Coverage, Diagnosis

MONEY = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")
BALANCE = ExpressionWrapper(
    F("total_amount") - F("insurance_paid") - F("patient_paid") - F("adjusted"), output_field=MONEY
)


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    low: int  # days since issue, inclusive
    high: int | None  # inclusive; None: no upper end


AGE_BUCKETS = [
    AgeBucket("0-30", "0-30 days", 0, 30),
    AgeBucket("31-60", "31-60 days", 31, 60),
    AgeBucket("61-90", "61-90 days", 61, 90),
    AgeBucket("90+", "Over 90 days", 91, None),
]
SORTS = {
    "issued": ("issued_on", "id"),
    "-issued": ("-issued_on", "-id"),
    "balance": ("balance_due", "id"),
    "-balance": ("-balance_due", "-id"),
    "total": ("total_amount", "id"),
    "-total": ("-total_amount", "-id"),
    "patient": ("patient__last_name", "patient__first_name", "id"),
    "-patient": ("-patient__last_name", "-patient__first_name", "-id"),
    "status": ("status", "-issued_on", "-id"),
    "-status": ("-status", "-issued_on", "-id"),
}
DEFAULT_SORT = "-issued"


def _bucket_filter(bucket: AgeBucket, today: date) -> Q:
    """Issued-on range of a bucket, so the date index serves it."""
    condition = Q(issued_on__lte=today - timedelta(days=bucket.low))
    if bucket.high is not None:
        condition &= Q(issued_on__gte=today - timedelta(days=bucket.high))
    return condition


@dataclass(frozen=True)
class WorklistFilters:
    status: str = ""
    payer_id: int | None = None
    self_pay: bool = False
    bucket: str = ""
    balance_from: Decimal | None = None
    balance_to: Decimal | None = None
    patient: str = ""
    sort: str = DEFAULT_SORT


def _filtered(user, filters: WorklistFilters, today: date, *, with_bucket=True) -> QuerySet:
    bills = bills_visible_to(user).annotate(balance_due=BALANCE)
    if filters.status == "open":
        bills = bills.exclude(
            status__in=[Bill.Status.PAID, Bill.Status.CANCELLED, Bill.Status.WRITTEN_OFF]
        )
    elif filters.status:
        bills = bills.filter(status=filters.status)
    if filters.self_pay:
        bills = bills.filter(payer__isnull=True)
    elif filters.payer_id:
        bills = bills.filter(payer_id=filters.payer_id)
    if filters.balance_from is not None:
        bills = bills.filter(balance_due__gte=filters.balance_from)
    if filters.balance_to is not None:
        bills = bills.filter(balance_due__lte=filters.balance_to)
    words = filters.patient.split()
    for word in words:
        bills = bills.filter(
            Q(patient__last_name__istartswith=word)
            | Q(patient__first_name__istartswith=word)
            | Q(patient__mrn__iexact=word)
        )
    if with_bucket and filters.bucket:
        bucket = next(b for b in AGE_BUCKETS if b.key == filters.bucket)
        bills = bills.filter(_bucket_filter(bucket, today))
    return bills


def worklist(*, user, filters: WorklistFilters, today: date | None = None) -> QuerySet[Bill]:
    """The bills the user may see that match the filters, sorted, patient and payer joined."""
    today = today or timezone.localdate()
    bills = _filtered(user, filters, today).select_related("patient", "payer")
    return bills.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


@dataclass(frozen=True)
class BucketTotal:
    bucket: AgeBucket
    bills: int
    balance: Decimal
    selected: bool


def bucket_totals(
    *, user, filters: WorklistFilters, today: date | None = None
) -> list[BucketTotal]:
    """Bills with a balance, and that balance, per age bucket, for the worklist's other
    filters: one query, whatever the number of bills."""
    today = today or timezone.localdate()
    bills = _filtered(user, filters, today, with_bucket=False).filter(balance_due__gt=HALF_CENT)
    aggregates = {}
    for bucket in AGE_BUCKETS:
        condition = _bucket_filter(bucket, today)
        aggregates[f"n_{bucket.key}"] = Count("pk", filter=condition)
        aggregates[f"sum_{bucket.key}"] = Coalesce(
            Sum("balance_due", filter=condition), ZERO, output_field=MONEY
        )
    row = bills.aggregate(**aggregates)
    return [
        BucketTotal(
            b, row[f"n_{b.key}"], row[f"sum_{b.key}"].quantize(CENT), filters.bucket == b.key
        )
        for b in AGE_BUCKETS
    ]


def billing_version() -> tuple[int, int, int]:
    """Moves on every write to bills: a new history row (every save, soft delete, import),
    ledger entry or status event. Three indexed MAX lookups."""
    return (
        Bill.history.aggregate(top=Max("history_id"))["top"] or 0,
        LedgerEntry.objects.aggregate(top=Max("pk"))["top"] or 0,
        BillEvent.objects.aggregate(top=Max("pk"))["top"] or 0,
    )


@dataclass(frozen=True)
class WorklistSummary:
    count: int
    buckets: list[BucketTotal]


def worklist_cache_key(*, user, kind: str, parts, version: tuple) -> str:
    """A cache key for something drawn from the bills the user sees, as they are now: it
    names the scope (billing staff and administrators see every bill and share entries;
    anyone else has their own), today, the `billing_version` and a digest of `parts`."""
    scope = "all" if permissions.can_use_billing(user) else f"user-{user.pk}"
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
    versions = ":".join(map(str, version))
    return f"billing-{kind}:{scope}:{timezone.localdate()}:{versions}:{digest}"


def worklist_summary(*, user, filters: WorklistFilters, version: tuple) -> WorklistSummary:
    """The filtered list's size and its aging buckets: two scans of the bills, kept in the
    cache until a bill changes or the day turns (`worklist_cache_key`)."""
    key = worklist_cache_key(user=user, kind="summary", parts=filters, version=version)
    summary = cache.get(key)
    if summary is None:
        today = timezone.localdate()
        summary = WorklistSummary(
            count=_filtered(user, filters, today).count(),
            buckets=bucket_totals(user=user, filters=filters, today=today),
        )
        cache.set(key, summary, settings.BILLING_SUMMARY_CACHE_SECONDS)
    return summary


def denials(*, user) -> QuerySet[Bill]:
    """Denied claims, oldest first, each with its latest denial's codes and reason."""
    latest_denial = BillEvent.objects.filter(action="deny").order_by("-at", "-id")
    return (
        bills_visible_to(user)
        .filter(status=Bill.Status.DENIED)
        .select_related("patient", "payer")
        .prefetch_related(Prefetch("events", queryset=latest_denial, to_attr="denial_events"))
        .order_by("issued_on", "id")
    )


def bill_for_user(*, user, bill_pk) -> Bill | None:
    """One bill with what its page shows (None when the user may not see it)."""
    bill = (
        bills_visible_to(user)
        .filter(pk=bill_pk)
        .select_related("patient", "payer", "encounter")
        .prefetch_related(
            "lines",
            Prefetch(
                "encounter__diagnoses", queryset=Diagnosis.objects.select_related("condition")
            ),
            Prefetch("patient__coverages", queryset=Coverage.objects.select_related("payer")),
            Prefetch(
                "ledger",
                queryset=LedgerEntry.objects.select_related("posted_by", "reverses").order_by(
                    "posted_at", "id"
                ),
            ),
            Prefetch(
                "events", queryset=BillEvent.objects.select_related("by").order_by("at", "id")
            ),
        )
        .first()
    )
    if bill is not None:
        bill.reversed_entry_ids = {e.reverses_id for e in bill.ledger.all() if e.reverses_id}
    return bill


@dataclass(frozen=True)
class BillAmounts:
    """What a bill comes to for the patient: the same figures on the statement and the portal."""

    charged: Decimal
    insurance_paid: Decimal
    adjusted: Decimal
    patient_paid: Decimal
    patient_owes: Decimal | None  # None: the insurer has not answered yet

    @property
    def waiting_for_insurance(self) -> bool:
        return self.patient_owes is None


def bill_amounts(bill: Bill) -> BillAmounts:
    if bill.status == Bill.Status.CANCELLED:
        owes = ZERO
    elif bill.is_self_pay:
        owes = bill.balance
    elif bill.status in AWAITING_PAYER | {Bill.Status.DRAFT} and bill.patient_owes == 0:
        owes = None
    else:
        owes = bill.patient_owes
    return BillAmounts(
        bill.total_amount, bill.insurance_paid, bill.adjusted, bill.patient_paid, owes
    )


@dataclass(frozen=True)
class Statement:
    patient: object
    bills: list
    charged: Decimal
    insurance_paid: Decimal
    adjusted: Decimal
    patient_paid: Decimal
    patient_owes: Decimal
    waiting: int  # bills whose insurer has not answered


def statement(patient) -> Statement:
    """Every live bill of the patient with its amounts, and the totals."""
    bills = list(
        Bill.objects.filter(patient=patient)
        .select_related("payer", "encounter")
        .order_by("issued_on", "id")
    )
    for bill in bills:
        bill.amounts = bill_amounts(bill)
    live = [b for b in bills if b.status != Bill.Status.CANCELLED]
    return Statement(
        patient=patient,
        bills=bills,
        charged=sum((b.total_amount for b in live), ZERO),
        insurance_paid=sum((b.insurance_paid for b in live), ZERO),
        adjusted=sum((b.adjusted for b in live), ZERO),
        patient_paid=sum((b.patient_paid for b in live), ZERO),
        patient_owes=sum((b.amounts.patient_owes or ZERO for b in live), ZERO),
        waiting=sum(1 for b in live if b.amounts.waiting_for_insurance),
    )
