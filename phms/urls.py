from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from access import account_views, two_factor_views
from phms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", two_factor_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("accounts/password-reset/", account_views.password_reset, name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            extra_context={"timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("patients/", include("patients.urls")),
    path("schedule/", include("scheduling.urls")),
    path("billing/", include("billing.urls")),
    path("reports/", include("reports.urls")),
    path("access/", include("access.urls")),
    path("portal/", include("portal.urls")),
    path("fhir/", include("interop.fhir.urls")),
    path("interop/", include("interop.urls")),
]

handler403 = "access.views.permission_denied"
handler404 = "access.views.page_not_found"
handler500 = "phms.views.server_error"

admin.site.site_header = "PHMS administration"
admin.site.site_title = "PHMS admin"
admin.site.index_title = "Patient Health Management System"
