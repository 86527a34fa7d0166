from django.contrib import admin

from access.admin_audit import AccessLoggedAdmin
from core.admin_mixins import SoftDeleteAdmin
from scheduling.models import Appointment, AppointmentRequest, ScheduleException, WorkingHours


@admin.register(WorkingHours)
class WorkingHoursAdmin(SoftDeleteAdmin):
    list_display = ["provider", "department", "weekday", "starts_at", "ends_at", "slot_minutes"]
    list_select_related = ["provider", "department"]
    list_filter = ["weekday", "department"]
    search_fields = ["provider__last_name", "department__name"]
    autocomplete_fields = ["provider", "department"]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(SoftDeleteAdmin):
    list_display = ["provider", "kind", "starts_at", "ends_at", "note"]
    list_select_related = ["provider"]
    list_filter = ["kind"]
    search_fields = ["provider__last_name"]
    autocomplete_fields = ["provider"]


@admin.register(Appointment)
class AppointmentAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    """Read here; bookings go through the schedule pages, which keep the booking rules."""

    list_display = ["starts_at", "provider", "department", "kind", "mode", "status", "walk_in"]
    list_select_related = ["provider", "department"]
    list_filter = ["status", "kind", "mode", "department"]
    date_hierarchy = "starts_at"
    search_fields = ["patient__mrn", "patient__last_name", "provider__last_name"]
    raw_id_fields = ["patient", "provider", "department", "encounter", "booked_by", "cancelled_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(AccessLoggedAdmin, SoftDeleteAdmin):
    list_display = ["requested_at", "patient", "department", "status"]
    list_select_related = ["patient", "department"]
    list_filter = ["status"]
    raw_id_fields = [
        "patient",
        "requested_by",
        "department",
        "provider",
        "handled_by",
        "appointment",
    ]

    def has_add_permission(self, request):
        return False
