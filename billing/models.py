from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing import carc
from core.softdelete import SoftDeleteModel
from patients.models import Encounter, Patient, Payer

ZERO = Decimal("0.00")
HALF_CENT = Decimal("0.005")


class ServiceCharge(models.Model):
    """A billable service (procedure, visit, test) and its list price."""

    code = models.CharField(max_length=32, unique=True)
    code_system = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=255, db_index=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    history = HistoricalRecords()

    class Meta:
        ordering = ["description"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="service_charge_price_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.description}"


class Bill(SoftDeleteModel):
    """A bill for one encounter; with a payer it is a claim, without one it is self-pay.

    What was paid and adjusted is kept in the ledger (`LedgerEntry`); the totals here are
    the ledger's sums, written only by `billing.ledger` in the transaction that posts an
    entry, so lists can filter and sort by balance without summing the ledger per row.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"
        RESUBMITTED = "resubmitted", "Resubmitted"
        APPEALED = "appealed", "Appealed"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        WRITTEN_OFF = "written_off", "Written off"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="bills")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="bills")
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    issued_on = models.DateField(db_index=True)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    # What the payer sanctioned (approved to pay) of the total, from its answer to the claim.
    sanctioned_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    # The ledger's sums (see the class docstring).
    insurance_paid = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, editable=False
    )
    patient_paid = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, editable=False
    )
    adjusted = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, editable=False)
    # What was moved to the patient's responsibility (co-insurance, deductible, denied parts).
    patient_responsibility = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, editable=False
    )

    history = HistoricalRecords()

    soft_delete_cascade = ("lines",)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & Q(sanctioned_amount__gte=0)
                & Q(insurance_paid__gte=0)
                & Q(patient_paid__gte=0)
                & Q(adjusted__gte=0)
                & Q(patient_responsibility__gte=0),
                name="bill_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(sanctioned_amount__lte=F("total_amount")),
                name="bill_sanctioned_within_total",
            ),
            # Amounts are whole cents; SQLite adds decimals as floats (60.00 + 17.49 exceeds
            # 77.49 there), so the check allows less than half a cent, and no whole cent.
            models.CheckConstraint(
                condition=Q(
                    total_amount__gte=F("insurance_paid")
                    + F("patient_paid")
                    + F("adjusted")
                    - Value(HALF_CENT)
                ),
                name="bill_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "issued_on"], name="bill_status_issued"),
            # Covers the claim report's grouped sums (reports/selectors.py): no table read.
            # `deleted_at` leads (every query asks IS NULL), or MariaDB takes its own index.
            models.Index(
                fields=[
                    "deleted_at", "status", "payer", "issued_on", "patient", "total_amount",
                    "insurance_paid", "patient_paid", "adjusted",
                ],
                name="bill_report_idx",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"Bill {self.pk} {self.get_status_display()} {self.total_amount}"

    @property
    def is_self_pay(self) -> bool:
        return self.payer_id is None

    @property
    def paid_amount(self) -> Decimal:
        return self.insurance_paid + self.patient_paid

    @property
    def balance(self) -> Decimal:
        return self.total_amount - self.insurance_paid - self.patient_paid - self.adjusted

    @property
    def patient_owes(self) -> Decimal:
        """Self-pay: the balance. A claim: what was moved to the patient, less what the
        patient paid (never more than the balance)."""
        if self.is_self_pay:
            return self.balance
        return min(max(self.patient_responsibility - self.patient_paid, ZERO), self.balance)


class BillLine(SoftDeleteModel):
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines")
    service_charge = models.ForeignKey(
        ServiceCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="bill_lines"
    )
    code = models.CharField(max_length=32, blank=True)
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bill", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gte=0),
                name="bill_line_amounts_valid",
            )
        ]

    def __str__(self):
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class LedgerEntry(models.Model):
    """A payment, adjustment, transfer of responsibility or reversal posted to a bill.

    Posted entries are never changed: a mistake is undone by a reversal entry.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        CONTRACTUAL = "contractual", "Contractual adjustment"
        WRITE_OFF = "write_off", "Write-off"
        REFUND = "refund", "Refund"
        TRANSFER = "transfer", "Transfer to patient"
        REVERSAL = "reversal", "Reversal"

    class Party(models.TextChoices):
        PAYER = "payer", "Insurance"
        PATIENT = "patient", "Patient"

    class Method(models.TextChoices):
        EFT = "eft", "Electronic funds transfer"
        CHECK = "check", "Check"
        CARD = "card", "Card"
        CASH = "cash", "Cash"
        COPAY = "copay", "Copay at the desk"
        OTHER = "other", "Other"

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Payments and refunds: who paid (or was paid back). Blank for other kinds.
    party = models.CharField(max_length=10, choices=Party.choices, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    posted_on = models.DateField()
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    reason_code = models.CharField(max_length=8, blank=True)
    note = models.CharField(max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bill", "posted_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind__in=["payment", "refund"]) | ~Q(party=""),
                name="ledger_payment_names_its_party",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["contractual", "write_off", "refund"]) | ~Q(reason_code=""),
                name="ledger_adjustment_has_reason_code",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_names_its_entry",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} on bill {self.bill_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("A posted ledger entry is never changed: post a reversal instead.")
        super().save(*args, **kwargs)

    @property
    def details(self) -> str:
        """Method, reference, reason code and note, as one line."""
        reason = carc.describe(self.reason_code) if self.reason_code else ""
        method = self.get_method_display() if self.method else ""
        return " · ".join(part for part in (method, self.reference, reason, self.note) if part)


class BillEvent(models.Model):
    """One step of a bill's life: who moved it from which status to which, and why."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, choices=Bill.Status.choices)
    to_status = models.CharField(max_length=20, choices=Bill.Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    # Claim adjustment reason codes a payer gave (a denial's), space-separated.
    reason_codes = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bill", "at", "id"]
        indexes = [models.Index(fields=["bill", "-at"], name="bill_event_latest")]

    def __str__(self):
        return f"{self.action} {self.from_status} -> {self.to_status}"

    @property
    def codes(self) -> list[str]:
        """Each reason code with its description."""
        return [carc.describe(code) for code in self.reason_codes.split()]
