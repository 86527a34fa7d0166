from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.softdelete import SoftDeleteModel
from patients.models import Encounter, Patient, Payer

ZERO = Decimal("0.00")


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
    """A bill for one encounter; with a payer it is a claim, without one it is self-pay."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"

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
    # What the payer sanctioned (approved to pay) of the total.
    sanctioned_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    history = HistoricalRecords()

    soft_delete_cascade = ("lines",)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & Q(sanctioned_amount__gte=0)
                & Q(paid_amount__gte=0),
                name="bill_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(sanctioned_amount__lte=F("total_amount")),
                name="bill_sanctioned_within_total",
            ),
        ]

    def __str__(self):
        return f"Bill {self.pk} {self.get_status_display()} {self.total_amount}"

    @property
    def is_self_pay(self) -> bool:
        return self.payer_id is None

    @property
    def balance(self) -> Decimal:
        return max(self.total_amount - self.paid_amount, ZERO)


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
