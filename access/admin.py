import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F

from access.admin_audit import AccessLoggedAdmin
from access.api_tokens import (
    DEFAULT_LIFETIME_DAYS,
    MAX_LIFETIME_DAYS,
    api_token_create,
    api_token_revoke,
)
from access.models import AccessLog, ApiToken, BreakGlassAccess
from access.services import break_glass_review, password_reset_link
from access.two_factor import second_factor_reset
from core.admin_mixins import ReadOnlyAdminMixin

security_log = logging.getLogger("phms.security")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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


class ApiTokenAddForm(forms.ModelForm):
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=DEFAULT_LIFETIME_DAYS,
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here for a user (the secret is shown once) and revoked; never edited."""

    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        return ("user", "name", "days") if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, secret = api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
        )
        obj.pk = token.pk
        self.message_user(
            request,
            f"Token for {token.user}: {secret} (copy it now; it is not shown again).",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, "Token(s) revoked.", messages.SUCCESS)


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the reset link an administrator hands over when no mail
    server is configured."""

    actions = ["password_reset_link", "reset_second_factor"]

    @admin.action(description="Reset two-step sign-in (lost phone)")
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user, by=request.user)
        self.message_user(
            request,
            f"Two-step sign-in reset for {queryset.count()} user(s); they set it up again at "
            "their next sign-in.",
            messages.SUCCESS,
        )

    @admin.action(description="Make a password reset link (hand it to the user)")
    def password_reset_link(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one user.", messages.ERROR)
            return
        user = queryset.get()
        link = request.build_absolute_uri(password_reset_link(user))
        security_log.warning(
            "password reset link made: user=%s by administrator=%s", user.pk, request.user.pk
        )
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        self.message_user(
            request,
            f"Reset link for {user.get_username()} (works once, for {hours} hours; give it only "
            f"to the user in person): {link}",
            messages.WARNING,
        )
