from django.urls import path

from access import views as access_views

app_name = "access"

urlpatterns = [
    path(
        "break-glass/<int:patient_pk>/",
        access_views.break_glass,
        name="break_glass",
    ),
]
