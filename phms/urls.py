from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
    path("admin/", admin.site.urls),
    path("patients/", include("patients.urls")),
    path("schedule/", include("scheduling.urls")),
    path("billing/", include("billing.urls")),
    path("access/", include("access.urls")),
    path("portal/", include("portal.urls")),
]

handler403 = "access.views.permission_denied"
handler404 = "access.views.page_not_found"

admin.site.site_header = "PHMS administration"
admin.site.site_title = "PHMS admin"
admin.site.index_title = "Patient Health Management System"
