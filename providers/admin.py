from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import SoftDeleteAdmin
from providers.models import (
    Department,
    Doctor,
    HealthcareProvider,
    Nurse,
    Organization,
    Specialty,
)


@admin.register(Specialty)
class SpecialtyAdmin(SimpleHistoryAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Organization)
class OrganizationAdmin(SoftDeleteAdmin):
    fields = ["external_id", "name", "address_line", "city", "state", "postal_code", "phone"]
    list_display = ["name", "city", "state", "phone"]
    list_filter = ["state"]
    search_fields = ["name", "city", "external_id"]


@admin.register(Department)
class DepartmentAdmin(SoftDeleteAdmin):
    fields = ["organization", "name"]
    list_display = ["name", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]


class ProviderAdminBase(SoftDeleteAdmin):
    list_display = ["last_name", "first_name", "specialty", "organization", "user", "email"]
    list_select_related = ["specialty", "organization", "user"]
    list_filter = ["specialty", "gender"]
    search_fields = ["last_name", "first_name", "email", "external_id", "user__username"]
    autocomplete_fields = ["specialty", "organization", "department", "user"]


@admin.register(HealthcareProvider)
class HealthcareProviderAdmin(ProviderAdminBase):
    list_display = ["last_name", "first_name", "kind_label", "specialty", "organization", "email"]

    def get_queryset(self, request):
        # Joining the child tables lets every row tell its kind without a query of its own.
        return (
            super()
            .get_queryset(request)
            .select_related("doctor", "nurse", "specialty", "organization", "user")
        )

    @admin.display(description="kind")
    def kind_label(self, obj):
        return obj.kind


@admin.register(Doctor)
class DoctorAdmin(ProviderAdminBase):
    list_display = [*ProviderAdminBase.list_display[:3], "license_number", "board_certified"]
    list_filter = ["specialty", "board_certified", "gender"]


@admin.register(Nurse)
class NurseAdmin(ProviderAdminBase):
    list_display = [*ProviderAdminBase.list_display[:2], "ward", "registered", "license_number"]
    list_filter = ["registered", "ward", "gender"]
