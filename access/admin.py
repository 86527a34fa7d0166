from django.contrib import admin, messages
from django.db.models import F

from access.admin_audit import AccessLoggedAdmin
from access.models import AccessLog, BreakGlassAccess
from access.services import break_glass_review


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Append-only: nobody, not even a superuser, adds, changes or deletes entries here."""

    list_display = (
        "at",
        "user",
        "role",
        "patient",
        "section",
        "client_address",
        "break_glass_reason",
    )
    list_filter = ("section", "role", ("at", admin.DateFieldListFilter))
    search_fields = ("patient__mrn", "user__username")
    date_hierarchy = "at"
    list_select_related = ("user", "patient")
    readonly_fields = [field.name for field in AccessLog._meta.fields]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(AccessLoggedAdmin, admin.ModelAdmin):
    """The review queue: unreviewed emergency accesses first."""

    list_display = (
        "started_at",
        "user",
        "patient",
        "category",
        "reason",
        "expires_at",
        "ended_at",
        "reviewed_at",
        "reviewed_by",
    )
    list_filter = (("reviewed_at", admin.EmptyFieldListFilter), "category", "started_at")
    search_fields = ("patient__mrn", "user__username", "reason")
    list_select_related = ("user", "patient", "reviewed_by")
    readonly_fields = (
        "user",
        "patient",
        "category",
        "reason",
        "started_at",
        "expires_at",
        "ended_at",
        "reviewed_at",
        "reviewed_by",
    )
    fields = readonly_fields + ("review_note",)
    actions = ["mark_reviewed"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .order_by(F("reviewed_at").asc(nulls_first=True), "-started_at")
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Saving the review note is the review.
        break_glass_review(access=obj, by=request.user, note=obj.review_note)

    @admin.action(description="Mark reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        count = 0
        for access in queryset.filter(reviewed_at__isnull=True):
            break_glass_review(access=access, by=request.user)
            count += 1
        self.message_user(
            request, f"{count} emergency access(es) marked reviewed.", messages.SUCCESS
        )
