from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from access.admin_audit import AccessLoggedAdmin
from billing.models import Bill, BillEvent, BillLine, LedgerEntry, ServiceCharge
from core.admin_mixins import ReadOnlyAdminMixin, SoftDeleteAdmin, SoftDeleteInline


@admin.register(ServiceCharge)
class ServiceChargeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "description", "code_system", "unit_price"]
    list_filter = ["code_system"]
    search_fields = ["code", "description"]


class BillLineInline(SoftDeleteInline):
    model = BillLine
    fields = ["service_charge", "code", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]
    autocomplete_fields = ["service_charge"]


@admin.register(Bill)
class BillAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = [
        "id",
        "issued_on",
        "patient",
        "payer_or_self_pay",
        "status",
        "total_amount",
        "sanctioned_amount",
        "insurance_paid",
        "patient_paid",
        "adjusted",
    ]
    list_select_related = ["patient", "payer"]
    list_filter = ["status", "payer"]
    search_fields = ["patient__mrn", "patient__last_name", "payer__name", "external_id"]
    date_hierarchy = "issued_on"
    autocomplete_fields = ["encounter", "patient", "payer"]
    inlines = [BillLineInline]
    readonly_fields = ["insurance_paid", "patient_paid", "adjusted", "patient_responsibility"]

    @admin.display(description="payer", ordering="payer__name")
    def payer_or_self_pay(self, obj):
        return obj.payer.name if obj.payer_id else "Self-pay"


@admin.register(BillLine)
class BillLineAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    patient_path = "bill.patient_id"

    list_display = ["description", "bill", "code", "quantity", "unit_price", "amount"]
    list_select_related = ["bill", "service_charge"]
    search_fields = ["description", "code", "bill__patient__mrn"]
    autocomplete_fields = ["bill", "service_charge"]


class _ReadOnlyAdmin(AccessLoggedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Ledger entries and bill events are written by billing's services only; a posted
    entry is corrected by a reversal on the bill's page, never edited."""

    patient_path = "bill.patient_id"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnlyAdmin):
    list_display = ["posted_on", "bill", "kind", "party", "amount", "method", "reason_code"]
    list_filter = ["kind", "party", "method"]
    list_select_related = ["bill"]
    search_fields = ["bill__patient__mrn", "reference", "external_id"]
    date_hierarchy = "posted_on"


@admin.register(BillEvent)
class BillEventAdmin(_ReadOnlyAdmin):
    list_display = ["at", "bill", "action", "from_status", "to_status", "reason_codes", "by"]
    list_filter = ["action", "to_status"]
    list_select_related = ["bill", "by"]
    search_fields = ["bill__patient__mrn", "reason"]
