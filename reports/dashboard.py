"""The operations dashboard's figures: small counts read live (no cache), each a few
indexed or grouped queries, so that the page can refresh itself every 30 seconds."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import BreakGlassAccess
from billing.lifecycle import AWAITING_PAYER, OPEN
from billing.models import Bill
from billing.selectors import BALANCE, MONEY
from core import health
from patients.models import Encounter, Patient
from scheduling.selectors import day_bounds, week_start

STATUS_LABELS = dict(Bill.Status.choices)
CLASS_LABELS = dict(Encounter.EncounterClass.choices)
# The census: patients in the building now (planned encounters have not started).
OPEN_ENCOUNTER_STATUSES = (Encounter.Status.IN_PROGRESS,)


@dataclass(frozen=True)
class BillStatusLine:
    status: str
    label: str
    bills: int
    balance: object  # Decimal
    awaiting_us: bool  # open and not waiting on the payer


@dataclass(frozen=True)
class Dashboard:
    census: list[tuple[str, str, int]]  # (class, label, open encounters)
    census_total: int
    admissions_today: int
    discharges_today: int
    registered_this_week: int
    week_start: dt.date
    bills: list[BillStatusLine]
    balance_awaiting_action: object  # Decimal
    break_glass_unreviewed: int
    database: str
    documents: str
    updated_at: dt.datetime


def operations_dashboard() -> Dashboard:
    now = timezone.localtime()
    today = now.date()
    day_start, day_end = day_bounds(today)
    monday = week_start(today)
    census = [
        (encounter_class, CLASS_LABELS.get(encounter_class, encounter_class), count)
        for encounter_class, count in Encounter.objects.filter(
            discharged_at__isnull=True, status__in=OPEN_ENCOUNTER_STATUSES
        )
        .values("encounter_class")
        .annotate(count=Count("pk"))
        .order_by("-count", "encounter_class")
        .values_list("encounter_class", "count")
    ]
    bills = [
        BillStatusLine(
            status=status,
            label=STATUS_LABELS.get(status, status),
            bills=count,
            balance=owed,
            awaiting_us=status in OPEN and status not in AWAITING_PAYER,
        )
        for status, count, owed in Bill.objects.filter(status__in=OPEN)
        .values("status")
        .annotate(
            count=Count("pk"),
            owed=Coalesce(Sum(BALANCE), 0, output_field=MONEY),
        )
        .order_by("status")
        .values_list("status", "count", "owed")
    ]
    return Dashboard(
        census=census,
        census_total=sum(count for _, _, count in census),
        admissions_today=Encounter.objects.filter(
            admitted_at__gte=day_start, admitted_at__lt=day_end
        ).count(),
        discharges_today=Encounter.objects.filter(
            discharged_at__gte=day_start, discharged_at__lt=day_end
        ).count(),
        registered_this_week=Patient.objects.filter(created_at__gte=day_bounds(monday)[0]).count(),
        week_start=monday,
        bills=bills,
        balance_awaiting_action=sum((line.balance for line in bills if line.awaiting_us), start=0),
        break_glass_unreviewed=BreakGlassAccess.objects.filter(reviewed_at__isnull=True).count(),
        database=health.database_status(),
        documents=health.document_store_status(),
        updated_at=now,
    )
