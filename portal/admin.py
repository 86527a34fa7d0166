from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from access.admin_audit import AccessLoggedAdmin
from portal import services
from portal.models import ChangeRequest, PortalInvitation, ProxyAccess


@admin.register(ChangeRequest)
class ChangeRequestAdmin(AccessLoggedAdmin, SimpleHistoryAdmin):
    list_display = ("requested_at", "patient", "kind", "summary", "status", "review_link")
    list_filter = ("status", "kind")
    search_fields = ("patient__last_name", "patient__mrn")
    list_select_related = ("patient",)
    readonly_fields = (
        "patient",
        "kind",
        "values",
        "requested_by",
        "requested_at",
        "status",
        "reviewed_by",
        "reviewed_at",
        "decline_reason",
    )
    actions = ["accept_selected"]

    @admin.display(description="review")
    def review_link(self, obj):
        return format_html('<a href="{}">Review</a>', reverse("portal:review", args=[obj.pk]))

    @admin.action(description="Accept and apply the selected pending requests")
    def accept_selected(self, request, queryset):
        accepted = 0
        for change in queryset.filter(status=ChangeRequest.Status.PENDING):
            try:
                services.change_request_accept(change=change, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{change}: {' '.join(error.messages)}", level=messages.ERROR
                )
            else:
                accepted += 1
        self.message_user(request, f"{accepted} request(s) accepted and applied.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProxyAccess)
class ProxyAccessAdmin(AccessLoggedAdmin, SimpleHistoryAdmin):
    list_display = ("proxy", "patient", "relationship", "ends_on", "revoked_at")
    list_filter = ("relationship",)
    search_fields = ("proxy__username", "patient__last_name", "patient__mrn")
    raw_id_fields = ("proxy", "patient", "granted_by", "revoked_by")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PortalInvitation)
class PortalInvitationAdmin(AccessLoggedAdmin, SimpleHistoryAdmin):
    list_display = ("patient", "created_at", "expires_at", "used_at", "revoked_at", "state")
    exclude = ("token_hash", "code_hash")
    readonly_fields = (
        "patient",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
        "failed_attempts",
        "emailed_to",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
